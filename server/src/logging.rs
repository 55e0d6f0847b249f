//! Logging through `tracing`, in nats-server's format:
//! `[pid] 2006/01/02 15:04:05.000000 [INF] message`.
//! `-D` turns on debug, `-V` protocol tracing; `-l` writes to a file.

use std::fmt;
use std::io::Write;
use std::sync::Mutex;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

struct GoFormat {
    pid: u32,
    logtime: bool,
    utc: bool,
}

impl<S, N> FormatEvent<S, N> for GoFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut w: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        write!(w, "[{}] ", self.pid)?;
        if self.logtime {
            write!(w, "{} ", timestamp(self.utc))?;
        }
        let lvl = match *event.metadata().level() {
            Level::ERROR => "[ERR]",
            Level::WARN => "[WRN]",
            Level::INFO => "[INF]",
            Level::DEBUG => "[DBG]",
            Level::TRACE => "[TRC]",
        };
        write!(w, "{lvl} ")?;
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// Local time is not available without a timezone database; like Go's
/// `logtime_utc`, we print UTC (the offset is the same on most servers).
fn timestamp(_utc: bool) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs() as i64;
    let micros = now.subsec_micros();
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = rnatsd_core::server::civil_from_days(days);
    format!("{y:04}/{m:02}/{d:02} {:02}:{:02}:{:02}.{micros:06}", rem / 3600, (rem % 3600) / 60, rem % 60)
}


/// A file sink shared by the subscriber's writer; [`reopen`] swaps the
/// file (SIGUSR1, for log rotation).
/// Where log lines go: the log file and its path, or stderr (`None`).
/// Reopening (SIGUSR1) and a reloaded `log_file` swap the file in place.
struct FileSink(Mutex<Option<(std::fs::File, String)>>);

type LevelHandle = tracing_subscriber::reload::Handle<LevelFilter, tracing_subscriber::Registry>;

/// Set once by [`init`]: the level switch and the log file, for reloads.
static LEVEL: std::sync::OnceLock<LevelHandle> = std::sync::OnceLock::new();
static FILE: std::sync::OnceLock<&'static FileSink> = std::sync::OnceLock::new();

fn level_of(debug: bool, trace: bool) -> LevelFilter {
    if trace {
        LevelFilter::TRACE
    } else if debug {
        LevelFilter::DEBUG
    } else {
        LevelFilter::INFO
    }
}

/// Applies reloaded `debug`/`trace` options.
pub fn set_level(debug: bool, trace: bool) {
    if let Some(h) = LEVEL.get() {
        let _ = h.modify(|l| *l = level_of(debug, trace));
    }
}

/// Reopens the log file (Go's `ReOpenLogFile`). Without a log file there
/// is nothing to reopen; the message says so as Go's does.
pub fn reopen() -> Result<(), String> {
    let Some(sink) = FILE.get() else {
        return Err("File log re-open ignored, not a file logger".to_string());
    };
    let mut guard = sink.0.lock().unwrap_or_else(|e| e.into_inner());
    let Some((file, path)) = guard.as_mut() else {
        return Err("File log re-open ignored, not a file logger".to_string());
    };
    *file = open_log(path)?;
    Ok(())
}

/// Applies a reloaded `log_file` (Go's `ConfigureLogger` on reload): lines
/// from now on go to `path`, or to stderr when it is `None`.
pub fn set_file(path: Option<&str>) -> Result<(), String> {
    let Some(sink) = FILE.get() else {
        return Err("logging is not initialized".to_string());
    };
    let next = match path {
        Some(p) => Some((open_log(p)?, p.to_string())),
        None => None,
    };
    *sink.0.lock().unwrap_or_else(|e| e.into_inner()) = next;
    Ok(())
}

fn open_log(path: &str) -> Result<std::fs::File, String> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("error opening log file {path:?}: {e}"))
}

impl Write for &FileSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            Some((f, _)) => f.write(buf),
            None => std::io::stderr().write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            Some((f, _)) => f.flush(),
            None => std::io::stderr().flush(),
        }
    }
}

/// Installs the global subscriber. Errors when the log file can't be opened.
pub fn init(debug: bool, trace: bool, logtime: bool, utc: bool, log_file: Option<&str>) -> Result<(), String> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let (filter, handle) = tracing_subscriber::reload::Layer::new(level_of(debug, trace));
    let fmt = GoFormat { pid: std::process::id(), logtime, utc };
    let registry = tracing_subscriber::registry().with(filter);
    let file = match log_file {
        Some(path) => Some((open_log(path)?, path.to_string())),
        None => None,
    };
    let sink: &'static FileSink = Box::leak(Box::new(FileSink(Mutex::new(file))));
    let _ = FILE.set(sink);
    let layer = tracing_subscriber::fmt::layer().event_format(fmt).with_writer(move || sink);
    let res = registry.with(layer).try_init();
    let _ = LEVEL.set(handle);
    res.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(rnatsd_core::server::civil_from_days(0), (1970, 1, 1));
        assert_eq!(rnatsd_core::server::civil_from_days(19_782), (2024, 2, 29));
    }
}
