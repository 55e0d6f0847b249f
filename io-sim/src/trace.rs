//! The run's fingerprint: a 64-bit FNV-1a digest over every input, output
//! and state checkpoint, stable across processes and machines (no
//! `RandomState`), plus an optional readable log.
//!
//! Two runs of the same seed must produce the same digest; the determinism
//! check compares digests and, on mismatch, the per-step digest history to
//! find the first divergent step.

use rnatsd_core::time::Instant;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64 bit.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(FNV_OFFSET)
    }
}

impl Fnv64 {
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= *b as u64;
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
    }

    pub fn write_u64(&mut self, v: u64) {
        self.write(&v.to_le_bytes());
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// One digest over a run, with an optional history of per-step digests and
/// an optional readable log.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    hash: Fnv64,
    steps: u64,
    history: Option<Vec<u64>>,
    log: Option<Vec<String>>,
}

impl Trace {
    pub fn new() -> Trace {
        Trace::default()
    }

    /// Also keep a readable line per record.
    pub fn with_log(mut self) -> Trace {
        self.log = Some(Vec::new());
        self
    }

    /// Also keep the digest after every record (to locate divergence).
    pub fn with_history(mut self) -> Trace {
        self.history = Some(Vec::new());
        self
    }

    pub fn logging(&self) -> bool {
        self.log.is_some()
    }

    /// Records one step: when, which node/connection, what kind, and the
    /// bytes involved.
    pub fn record(&mut self, at: Instant, who: u64, kind: &str, data: &[u8]) {
        self.hash.write_u64(at.as_nanos());
        self.hash.write_u64(who);
        self.hash.write(kind.as_bytes());
        self.hash.write_u64(data.len() as u64);
        self.hash.write(data);
        self.steps += 1;
        if let Some(h) = self.history.as_mut() {
            h.push(self.hash.finish());
        }
        if let Some(log) = self.log.as_mut() {
            log.push(format!(
                "{:>8} {:>14.6} {:>4} {:<14} {}",
                self.steps,
                at.as_nanos() as f64 / 1e9,
                who,
                kind,
                printable(data)
            ));
        }
    }

    /// A readable note that does not change the digest (e.g. a checker's
    /// explanation).
    pub fn note(&mut self, text: impl FnOnce() -> String) {
        if let Some(log) = self.log.as_mut() {
            log.push(format!("         # {}", text()));
        }
    }

    pub fn digest(&self) -> u64 {
        self.hash.finish()
    }

    pub fn steps(&self) -> u64 {
        self.steps
    }

    pub fn history(&self) -> Option<&[u64]> {
        self.history.as_deref()
    }

    pub fn log(&self) -> Option<&[String]> {
        self.log.as_deref()
    }
}

/// The first step at which two digest histories differ.
pub fn first_divergence(a: &[u64], b: &[u64]) -> Option<usize> {
    let n = a.len().min(b.len());
    (0..n)
        .find(|i| a[*i] != b[*i])
        .or((a.len() != b.len()).then_some(n))
}

/// Bytes as text with CR/LF and non-printables escaped, cut at 120 chars.
pub fn printable(data: &[u8]) -> String {
    let mut s = String::new();
    for b in data.iter().take(120) {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(*b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    if data.len() > 120 {
        s.push_str(&format!("...(+{})", data.len() - 120));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_known_vectors() {
        let h = |s: &[u8]| {
            let mut f = Fnv64::default();
            f.write(s);
            f.finish()
        };
        assert_eq!(h(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(h(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(h(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn digest_depends_on_every_field() {
        let base = |at, who, kind: &str, data: &[u8]| {
            let mut t = Trace::new();
            t.record(Instant::from_nanos(at), who, kind, data);
            t.digest()
        };
        let d = base(1, 2, "read", b"x");
        assert_eq!(d, base(1, 2, "read", b"x"));
        assert_ne!(d, base(2, 2, "read", b"x"));
        assert_ne!(d, base(1, 3, "read", b"x"));
        assert_ne!(d, base(1, 2, "write", b"x"));
        assert_ne!(d, base(1, 2, "read", b"y"));
    }

    #[test]
    fn divergence_is_located() {
        let mut a = Trace::new().with_history().with_log();
        let mut b = Trace::new().with_history();
        for i in 0..5u64 {
            a.record(Instant::from_nanos(i), 0, "k", &[i as u8]);
            b.record(
                Instant::from_nanos(i),
                0,
                "k",
                &[if i == 3 { 9 } else { i as u8 }],
            );
        }
        assert_eq!(
            first_divergence(a.history().unwrap(), b.history().unwrap()),
            Some(3)
        );
        assert_eq!(
            first_divergence(a.history().unwrap(), a.history().unwrap()),
            None
        );
        assert_eq!(a.log().unwrap().len(), 5);
        assert!(a.log().unwrap()[0].contains("\\x00"));
    }
}
