//! A streaming scanner for the server-to-client side of the NATS protocol.
//!
//! The load generator only needs to know *which* frames arrived and how big
//! their payloads were, so the scanner never copies payload bytes: after a
//! `MSG`/`HMSG` control line it simply skips `size + 2` bytes, however the
//! stream was split into reads. Control lines that straddle a read boundary
//! are buffered in a small line buffer bounded by [`LINE_LEN_MAX`].

use std::fmt;

/// Longest control line accepted (the Go server's default `max_control_line`
/// is 4 KiB; `INFO` lines can be longer, so allow some headroom).
pub const LINE_LEN_MAX: usize = 64 * 1024;

/// One server-to-client frame. Slices borrow from the scanner's input or its
/// line buffer and are valid only inside the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// `MSG` or `HMSG`; `payload_len` counts headers and body (the bytes the
    /// scanner skips, without the trailing CRLF).
    Msg {
        subject: &'a [u8],
        sid: &'a [u8],
        reply: Option<&'a [u8]>,
        payload_len: usize,
    },
    Info,
    Ping,
    Pong,
    Ok,
    Err(&'a [u8]),
}

/// A malformed or oversized frame from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanError {
    LineTooLong,
    UnknownOp(String),
    BadMsgArgs(String),
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanError::LineTooLong => write!(f, "control line longer than {LINE_LEN_MAX} bytes"),
            ScanError::UnknownOp(line) => write!(f, "unknown protocol line {line:?}"),
            ScanError::BadMsgArgs(line) => write!(f, "malformed MSG arguments {line:?}"),
        }
    }
}

impl std::error::Error for ScanError {}

/// Incremental frame scanner. Feed it reads in order with [`FrameScanner::feed`].
#[derive(Debug, Default)]
pub struct FrameScanner {
    /// Partial control line carried over from the previous read.
    line: Vec<u8>,
    /// Payload bytes (including the trailing CRLF) still to skip.
    skip: usize,
}

impl FrameScanner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Scans `input`, calling `on_frame` for each complete frame header. A
    /// `Msg` frame is reported as soon as its control line is complete, before
    /// its payload has been consumed.
    pub fn feed(
        &mut self,
        mut input: &[u8],
        mut on_frame: impl FnMut(Frame<'_>),
    ) -> Result<(), ScanError> {
        loop {
            if self.skip > 0 {
                let n = self.skip.min(input.len());
                self.skip -= n;
                input = &input[n..];
            }
            if input.is_empty() {
                return Ok(());
            }
            let Some(pos) = memchr::memchr(b'\n', input) else {
                if self.line.len() + input.len() > LINE_LEN_MAX {
                    return Err(ScanError::LineTooLong);
                }
                self.line.extend_from_slice(input);
                return Ok(());
            };
            let (head, rest) = (&input[..pos], &input[pos + 1..]);
            input = rest;
            if self.line.is_empty() {
                self.skip = scan_line(head, &mut on_frame)?;
            } else {
                if self.line.len() + head.len() > LINE_LEN_MAX {
                    return Err(ScanError::LineTooLong);
                }
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(head);
                let result = scan_line(&line, &mut on_frame);
                line.clear();
                self.line = line;
                self.skip = result?;
            }
        }
    }
}

/// Decodes one control line (without its `\n`) and returns how many payload
/// bytes follow it, including the payload's CRLF.
fn scan_line(line: &[u8], on_frame: &mut impl FnMut(Frame<'_>)) -> Result<usize, ScanError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let (op, args) = match memchr::memchr2(b' ', b'\t', line) {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &line[line.len()..]),
    };
    let lossy = || String::from_utf8_lossy(line).into_owned();
    if op.eq_ignore_ascii_case(b"MSG") || op.eq_ignore_ascii_case(b"HMSG") {
        let headers = op.len() == 4;
        let mut fields = args
            .split(|b| *b == b' ' || *b == b'\t')
            .filter(|f| !f.is_empty());
        let mut parts: [&[u8]; 5] = [&[]; 5];
        let mut n = 0;
        for field in fields.by_ref() {
            if n == parts.len() {
                return Err(ScanError::BadMsgArgs(lossy()));
            }
            parts[n] = field;
            n += 1;
        }
        // MSG: subject sid [reply] size; HMSG: subject sid [reply] hdr_len total_len.
        let sizes = if headers { 2 } else { 1 };
        let reply = match n.checked_sub(sizes) {
            Some(2) => None,
            Some(3) => Some(parts[2]),
            _ => return Err(ScanError::BadMsgArgs(lossy())),
        };
        let payload_len = parse_size(parts[n - 1]).ok_or_else(|| ScanError::BadMsgArgs(lossy()))?;
        if headers {
            let hdr_len = parse_size(parts[n - 2]).ok_or_else(|| ScanError::BadMsgArgs(lossy()))?;
            if hdr_len > payload_len {
                return Err(ScanError::BadMsgArgs(lossy()));
            }
        }
        on_frame(Frame::Msg {
            subject: parts[0],
            sid: parts[1],
            reply,
            payload_len,
        });
        return Ok(payload_len + 2);
    }
    let frame = if op.eq_ignore_ascii_case(b"PING") {
        Frame::Ping
    } else if op.eq_ignore_ascii_case(b"PONG") {
        Frame::Pong
    } else if op.eq_ignore_ascii_case(b"+OK") {
        Frame::Ok
    } else if op.eq_ignore_ascii_case(b"-ERR") {
        Frame::Err(args)
    } else if op.eq_ignore_ascii_case(b"INFO") {
        Frame::Info
    } else {
        return Err(ScanError::UnknownOp(lossy()));
    };
    on_frame(frame);
    Ok(0)
}

/// Parses a decimal payload size; `None` for empty, non-digit or huge input.
fn parse_size(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 12 {
        return None;
    }
    let mut value = 0usize;
    for d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + usize::from(d - b'0');
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a test remembers about a frame (owned, so it outlives the callback).
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Seen {
        Msg {
            subject: Vec<u8>,
            reply: Option<Vec<u8>>,
            payload_len: usize,
        },
        Ping,
        Pong,
        Ok,
        Err(Vec<u8>),
        Info,
    }

    fn record(frame: Frame<'_>) -> Seen {
        match frame {
            Frame::Msg {
                subject,
                reply,
                payload_len,
                ..
            } => Seen::Msg {
                subject: subject.to_vec(),
                reply: reply.map(<[u8]>::to_vec),
                payload_len,
            },
            Frame::Ping => Seen::Ping,
            Frame::Pong => Seen::Pong,
            Frame::Ok => Seen::Ok,
            Frame::Err(text) => Seen::Err(text.to_vec()),
            Frame::Info => Seen::Info,
        }
    }

    fn scan_chunks(chunks: &[&[u8]]) -> Result<Vec<Seen>, ScanError> {
        let mut scanner = FrameScanner::new();
        let mut seen = Vec::new();
        for chunk in chunks {
            scanner.feed(chunk, |f| seen.push(record(f)))?;
        }
        Ok(seen)
    }

    /// A stream whose payloads contain protocol-looking bytes, so a scanner
    /// that looked for `MSG ` or CRLF inside payloads would miscount.
    fn tricky_stream() -> (Vec<u8>, Vec<Seen>) {
        let mut bytes = b"INFO {\"server_id\":\"x\",\"max_payload\":1048576}\r\n".to_vec();
        let mut expected = vec![Seen::Info];
        for i in 0..40usize {
            let payload: Vec<u8> = match i % 4 {
                0 => b"MSG fake 1 3\r\nabc\r\n".to_vec(),
                1 => Vec::new(),
                2 => vec![b'\n'; i],
                _ => b"PING\r\nPONG\r\n".repeat(i),
            };
            if i % 5 == 3 {
                bytes.extend_from_slice(
                    format!("MSG s.{i} 7 _INBOX.r {}\r\n", payload.len()).as_bytes(),
                );
                expected.push(Seen::Msg {
                    subject: format!("s.{i}").into_bytes(),
                    reply: Some(b"_INBOX.r".to_vec()),
                    payload_len: payload.len(),
                });
            } else if i % 7 == 2 {
                let hdr = b"NATS/1.0\r\n\r\n";
                let total = hdr.len() + payload.len();
                bytes.extend_from_slice(
                    format!("HMSG h.{i} 9 {} {total}\r\n", hdr.len()).as_bytes(),
                );
                bytes.extend_from_slice(hdr);
                expected.push(Seen::Msg {
                    subject: format!("h.{i}").into_bytes(),
                    reply: None,
                    payload_len: total,
                });
            } else {
                bytes.extend_from_slice(format!("MSG s.{i} 1 {}\r\n", payload.len()).as_bytes());
                expected.push(Seen::Msg {
                    subject: format!("s.{i}").into_bytes(),
                    reply: None,
                    payload_len: payload.len(),
                });
            }
            bytes.extend_from_slice(&payload);
            bytes.extend_from_slice(b"\r\n");
            if i % 9 == 0 {
                bytes.extend_from_slice(b"PING\r\n+OK\r\n");
                expected.extend([Seen::Ping, Seen::Ok]);
            }
        }
        bytes.extend_from_slice(b"-ERR 'Slow Consumer'\r\nPONG\r\n");
        expected.extend([Seen::Err(b"'Slow Consumer'".to_vec()), Seen::Pong]);
        (bytes, expected)
    }

    #[test]
    fn scans_whole_stream_in_one_feed() {
        let (bytes, expected) = tricky_stream();
        assert_eq!(scan_chunks(&[&bytes]).unwrap(), expected);
    }

    #[test]
    fn every_two_way_split_gives_same_frames() {
        let (bytes, expected) = tricky_stream();
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(scan_chunks(&[a, b]).unwrap(), expected, "split at {cut}");
        }
    }

    #[test]
    fn byte_at_a_time_and_uneven_chunks_give_same_frames() {
        let (bytes, expected) = tricky_stream();
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(scan_chunks(&singles).unwrap(), expected);
        for size in [2, 3, 5, 7, 13, 64, 1000] {
            let chunks: Vec<&[u8]> = bytes.chunks(size).collect();
            assert_eq!(scan_chunks(&chunks).unwrap(), expected, "chunk size {size}");
        }
    }

    #[test]
    fn counts_many_frames_across_reads() {
        let payload = [b'x'; 128];
        let mut bytes = Vec::new();
        for _ in 0..10_000 {
            bytes.extend_from_slice(b"MSG bench.sub 1 128\r\n");
            bytes.extend_from_slice(&payload);
            bytes.extend_from_slice(b"\r\n");
        }
        let mut scanner = FrameScanner::new();
        let mut count = 0u64;
        let mut bytes_seen = 0usize;
        for chunk in bytes.chunks(4093) {
            scanner
                .feed(chunk, |f| {
                    if let Frame::Msg { payload_len, .. } = f {
                        count += 1;
                        bytes_seen += payload_len;
                    }
                })
                .unwrap();
        }
        assert_eq!(count, 10_000);
        assert_eq!(bytes_seen, 10_000 * 128);
    }

    #[test]
    fn msg_frame_is_reported_before_its_payload_arrives() {
        let mut scanner = FrameScanner::new();
        let mut seen = Vec::new();
        scanner
            .feed(b"MSG a 1 5\r\nhe", |f| seen.push(record(f)))
            .unwrap();
        assert_eq!(seen.len(), 1);
        scanner
            .feed(b"llo\r\nPONG\r\n", |f| seen.push(record(f)))
            .unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1], Seen::Pong);
    }

    #[test]
    fn rejects_malformed_lines() {
        let bad: [&[u8]; 7] = [
            b"MSG a\r\n",
            b"MSG a 1 x\r\n",
            b"MSG a 1 r extra 5\r\n",
            b"HMSG a 1 9 5\r\n",
            b"HMSG a 1 5\r\n",
            b"FOO bar\r\n",
            b"MSG a 1 -3\r\n",
        ];
        for line in bad {
            assert!(
                scan_chunks(&[line]).is_err(),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn rejects_overlong_line_split_across_reads() {
        let chunk = vec![b'A'; LINE_LEN_MAX / 2 + 1];
        let result = scan_chunks(&[b"INFO ", &chunk, &chunk]);
        assert_eq!(result, Err(ScanError::LineTooLong));
    }

    #[test]
    fn accepts_lowercase_ops_and_bare_newlines() {
        let seen = scan_chunks(&[b"ping\npong\r\nmsg a 1 0\n\r\n"]).unwrap();
        let msg = Seen::Msg {
            subject: b"a".to_vec(),
            reply: None,
            payload_len: 0,
        };
        assert_eq!(seen, vec![Seen::Ping, Seen::Pong, msg]);
    }
}
