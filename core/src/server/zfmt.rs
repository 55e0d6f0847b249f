//! How Go's monitoring JSON renders times and durations: `time.Time` as
//! RFC 3339 with trailing zeros of the fraction dropped (Go's
//! `RFC3339Nano`), `time.Duration` as Go's `String()` (`1.5ms`, `2m0s`),
//! and uptimes as Go's `myUptime` (`1d2h3m4s`). Pure functions of values.

use std::time::Duration;

use crate::time::{Instant, UnixNanos};

/// Go's `time.Time` JSON encoding for a UTC instant.
pub fn rfc3339(unix_nanos: UnixNanos) -> String {
    let secs = unix_nanos.div_euclid(1_000_000_000);
    let nanos = unix_nanos.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    let mut out = format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}", rem / 3600, (rem % 3600) / 60, rem % 60);
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Wall time of a monotonic instant, given one (monotonic, wall) pair
/// taken at the same moment.
pub fn wall_of(at: Instant, now: Instant, realtime: UnixNanos) -> UnixNanos {
    if at <= now {
        realtime - (now - at).as_nanos() as i64
    } else {
        realtime + (at - now).as_nanos() as i64
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Go's `myUptime`: whole seconds as `[Ny][Nd][Nh][Nm]Ns`.
pub fn my_uptime(d: Duration) -> String {
    let tsecs = d.as_secs();
    let (tmins, thrs) = (tsecs / 60, tsecs / 3600);
    let (tdays, tyrs) = (thrs / 24, thrs / 24 / 365);
    if tyrs > 0 {
        format!("{tyrs}y{}d{}h{}m{}s", tdays % 365, thrs % 24, tmins % 60, tsecs % 60)
    } else if tdays > 0 {
        format!("{tdays}d{}h{}m{}s", thrs % 24, tmins % 60, tsecs % 60)
    } else if thrs > 0 {
        format!("{thrs}h{}m{}s", tmins % 60, tsecs % 60)
    } else if tmins > 0 {
        format!("{tmins}m{}s", tsecs % 60)
    } else {
        format!("{tsecs}s")
    }
}

/// Go's `time.Duration.String()`.
pub fn go_duration(d: Duration) -> String {
    let n = d.as_nanos();
    if n == 0 {
        return "0s".to_string();
    }
    if n < 1_000 {
        return format!("{n}ns");
    }
    if n < 1_000_000 {
        return format!("{}µs", frac(n, 1_000));
    }
    if n < 1_000_000_000 {
        return format!("{}ms", frac(n, 1_000_000));
    }
    let secs = n / 1_000_000_000;
    let sub = n % 1_000_000_000;
    let s = frac((secs % 60) * 1_000_000_000 + sub, 1_000_000_000);
    let (m, h) = ((secs / 60) % 60, secs / 3600);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if secs >= 60 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// `n / unit` as a decimal with trailing fraction zeros dropped.
fn frac(n: u128, unit: u128) -> String {
    let whole = n / unit;
    let rem = n % unit;
    if rem == 0 {
        return whole.to_string();
    }
    let width = unit.to_string().len() - 1;
    let f = format!("{rem:0width$}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

/// Go's round-trip-time rendering for monitoring: durations between 1µs
/// and 1ms are truncated to whole microseconds.
pub fn rtt_string(rtt: Duration) -> String {
    let d = if rtt > Duration::from_micros(1) && rtt < Duration::from_millis(1) {
        Duration::from_micros(rtt.as_micros() as u64)
    } else {
        rtt
    };
    go_duration(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_like_go_time_marshal() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_210_096_500_000_000), "2024-02-29T12:34:56.5Z");
        assert_eq!(rfc3339(1_709_210_096_000_000_123), "2024-02-29T12:34:56.000000123Z");
    }

    #[test]
    fn my_uptime_like_go() {
        assert_eq!(my_uptime(Duration::from_secs(5)), "5s");
        assert_eq!(my_uptime(Duration::from_secs(3725)), "1h2m5s");
        assert_eq!(my_uptime(Duration::from_secs(90_061)), "1d1h1m1s");
        assert_eq!(my_uptime(Duration::from_secs(366 * 86_400)), "1y1d0h0m0s");
    }

    #[test]
    fn go_duration_strings() {
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(Duration::from_nanos(500)), "500ns");
        assert_eq!(go_duration(Duration::from_nanos(1_500)), "1.5µs");
        assert_eq!(go_duration(Duration::from_micros(1_234)), "1.234ms");
        assert_eq!(go_duration(Duration::from_millis(1_500)), "1.5s");
        assert_eq!(go_duration(Duration::from_secs(120)), "2m0s");
        assert_eq!(go_duration(Duration::from_secs(3_661)), "1h1m1s");
        assert_eq!(rtt_string(Duration::from_nanos(123_456)), "123µs");
    }
}
