//! The decoder's errors, worded as Go words them (server/parser.go,
//! server/client.go, server/errors.go; nats.go for the client-side MSG/HMSG).

use super::parser::State;
use bytes::Bytes;
use std::fmt;

/// Go's `PROTO_SNIPPET_SIZE`: bytes of input quoted in a parse error.
pub const PROTO_SNIPPET_SIZE: usize = 32;
/// Go's `MAX_CONTROL_LINE_SNIPPET_SIZE`: bytes of a long line quoted in the error.
pub const MAX_CONTROL_LINE_SNIPPET_SIZE: usize = 128;

/// Which argument check failed; each maps to one Go error text.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ArgError {
    PubParse,
    PubSize,
    HpubParse,
    HpubHeaderSize,
    HpubTotalSize,
    HpubHeaderTooLarge,
    SubParse,
    UnsubParse,
    MsgParse,
    MsgSize,
    HmsgParse,
    HmsgHeaderSize,
}

impl ArgError {
    /// Go's wording, up to the quoted argument.
    fn prefix(self) -> &'static str {
        match self {
            ArgError::PubParse => "processPub Parse Error",
            ArgError::PubSize => "processPub Bad or Missing Size",
            ArgError::HpubParse => "processHeaderPub Parse Error",
            ArgError::HpubHeaderSize => "processHeaderPub Bad or Missing Header Size",
            ArgError::HpubTotalSize => "processHeaderPub Bad or Missing Total Size",
            ArgError::HpubHeaderTooLarge => "processHeaderPub Header Size larger then TotalSize",
            ArgError::SubParse => "processSub Parse Error",
            ArgError::UnsubParse => "processUnsub Parse Error",
            ArgError::MsgParse => "nats: processMsgArgs Parse Error",
            ArgError::MsgSize => "nats: processMsgArgs Bad or Missing Size",
            ArgError::HmsgParse => "nats: processHeaderMsgArgs Parse Error",
            ArgError::HmsgHeaderSize => "nats: processHeaderMsgArgs Bad or Missing Header Size",
        }
    }

    /// The server quotes with `%q`; the Go client (MSG/HMSG) with `'%s'`.
    fn client_side(self) -> bool {
        matches!(
            self,
            ArgError::MsgParse | ArgError::MsgSize | ArgError::HmsgParse | ArgError::HmsgHeaderSize
        )
    }
}

/// A protocol error. In Go every one of them ends the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// A byte that starts or continues no known op, or a payload not followed
    /// by CRLF (Go's `parseErr`). `snippet`: up to 32 bytes from that byte.
    UnknownOp { state: State, snippet: Bytes },
    /// The arguments of a control line are longer than `max_control_line`
    /// (Go's `overMaxControlLineLimit`). `snippet`: its first 128 bytes.
    MaxControlLine {
        state: State,
        max_control_line: usize,
        len: usize,
        snippet: Bytes,
    },
    /// A PUB/HPUB (or MSG/HMSG) announces more than `max_payload` bytes.
    MaxPayload { size: usize, max_payload: usize },
    /// Malformed arguments: wrong count, bad sizes. `arg`: the argument line.
    BadArgs { kind: ArgError, arg: Bytes },
}

impl ParseError {
    /// Go's wording of this error. When [`Self::sends_err`] is true this is
    /// exactly the text Go sends in `-ERR '<text>'`; otherwise Go sends no
    /// `-ERR` and this is the error it logs before closing.
    pub fn err_text(&self) -> String {
        match self {
            ParseError::UnknownOp { .. } => String::from("Unknown Protocol Operation"),
            // Go sends `ErrMaxControlLine.Error()`; the context only goes to the log.
            ParseError::MaxControlLine { .. } => String::from("maximum control line exceeded"),
            ParseError::MaxPayload { .. } => String::from("Maximum Payload Violation"),
            ParseError::BadArgs { kind, arg } => {
                let mut text = String::from(kind.prefix());
                text.push_str(": ");
                if kind.client_side() {
                    text.push('\'');
                    text.push_str(&String::from_utf8_lossy(arg));
                    text.push('\'');
                } else {
                    go_quote_into(&mut text, arg);
                }
                text
            }
        }
    }

    /// Whether Go sends `-ERR '<err_text>'` before closing. Argument errors
    /// (`processPub Parse Error`...) are only logged, then the connection is
    /// closed as a protocol violation.
    pub fn sends_err(&self) -> bool {
        match self {
            ParseError::UnknownOp { .. }
            | ParseError::MaxControlLine { .. }
            | ParseError::MaxPayload { .. } => true,
            ParseError::BadArgs { .. } => false,
        }
    }

    /// Whether the connection must be closed. True for every parse error, as
    /// in Go (maxPayloadViolation and overMaxControlLineLimit close; the other
    /// errors make readLoop close with ProtocolViolation).
    pub fn closes_connection(&self) -> bool {
        match self {
            ParseError::UnknownOp { .. }
            | ParseError::MaxControlLine { .. }
            | ParseError::MaxPayload { .. }
            | ParseError::BadArgs { .. } => true,
        }
    }
}

impl fmt::Display for ParseError {
    /// The text Go logs, context included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnknownOp { state, snippet } => {
                let snip = proto_snippet(0, PROTO_SNIPPET_SIZE, snippet);
                write!(f, "parser ERROR, state={}: proto='{snip}...'", *state as u8)
            }
            ParseError::MaxControlLine {
                state,
                max_control_line,
                len,
                snippet,
            } => {
                let snip = proto_snippet(0, MAX_CONTROL_LINE_SNIPPET_SIZE, snippet);
                write!(
                    f,
                    "{}: State {}, max_control_line {max_control_line}, Buffer len {len} \
                     (snip: {snip}...)",
                    self.err_text(),
                    *state as u8,
                )
            }
            ParseError::MaxPayload { size, max_payload } => {
                write!(f, "maximum payload exceeded: {size} vs {max_payload}")
            }
            ParseError::BadArgs { .. } => f.write_str(&self.err_text()),
        }
    }
}

impl std::error::Error for ParseError {}

/// Go's `protoSnippet`: `buf[start..start+max]` quoted with `%q`, `""` when
/// `start` is past the end. Like Go, a window cut by the end of the buffer
/// also loses its last byte.
pub fn proto_snippet(start: usize, max: usize, buf: &[u8]) -> String {
    if start >= buf.len() {
        return String::from("\"\"");
    }
    let mut stop = start.saturating_add(max);
    if stop > buf.len() {
        stop = buf.len() - 1;
    }
    let mut out = String::new();
    go_quote_into(&mut out, &buf[start..stop.max(start)]);
    out
}

/// Go's `%q` of a byte string, as a new `String`.
pub(crate) fn go_quote(bytes: &[u8]) -> String {
    let mut out = String::new();
    go_quote_into(&mut out, bytes);
    out
}

/// Go's `%q` of a byte string (strconv.Quote): printable UTF-8 kept, the
/// usual escapes, `\xNN` for invalid bytes and ASCII controls.
fn go_quote_into(out: &mut String, bytes: &[u8]) {
    use std::fmt::Write;
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\x07' => out.push_str("\\a"),
                '\x08' => out.push_str("\\b"),
                '\x0c' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\x0b' => out.push_str("\\v"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if c.is_control() || (c.is_whitespace() && c != ' ') => {
                    if (c as u32) < 0x10000 {
                        let _ = write!(out, "\\u{:04x}", c as u32);
                    } else {
                        let _ = write!(out, "\\U{:08x}", c as u32);
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
}
