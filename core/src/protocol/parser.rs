//! The NATS protocol decoder: a pure, zero-copy, incremental bytes -> [`Op`]
//! state machine, ported from Go's `client.parse` (server/parser.go).
//!
//! Go's parser is a method on `*client` that calls `processPub` and friends
//! as it goes. Ours only decodes: it keeps Go's `OP_*` state names ([`State`])
//! but never touches connection state; the caller acts on the returned ops.
//!
//! # Buffer contract
//! The caller appends received bytes to one `BytesMut` and calls
//! [`Parser::parse`] until it returns `Ok(None)`. The parser removes bytes
//! from the front of that buffer as it consumes them (verb letters, blanks,
//! whole ops); the bytes of an op still in progress stay at the front, and
//! the caller must not touch them. Ops carry `Bytes` slices of the buffer
//! (`split_to(..).freeze()`): nothing is copied.
//!
//! Any split of the input stream yields the same ops. Work is linear in the
//! input: an argument line is scanned for its `\n` once (the scan resumes
//! where it stopped), and a payload is never scanned, only waited for.
//!
//! # Mirrored Go details
//! - Verbs are case-insensitive; arguments are separated by blanks (space or
//!   tab), any number of them.
//! - A control line ends at `\n`; a `\r` right before it is dropped. The
//!   first byte of an argument is taken as is (Go consumes it in the
//!   `*_SPC` state), so `PUB \r\n` has the argument `"\r"`.
//! - `PING`, `PONG` and `+OK` ignore anything up to the `\n`.
//! - `CONNECT` and `INFO` need no blank after the verb; the others need one.
//! - A payload must be followed by `\r\n`, else `Unknown Protocol Operation`.
//! - The control line limit counts the arguments (not the verb), both when
//!   the line is complete and while it is still arriving.
//!
//! # Deliberate differences
//! - Go's `drop` flag cuts the last byte of a line that has a `\r` anywhere
//!   (not only before `\n`), and its split-buffer path drops every `\r`: its
//!   result depends on how the bytes were split. We only drop a final `\r`.
//! - MSG/HMSG are decoded like the Go client (nats.go `processMsgArgs`): the
//!   sid is kept as bytes (not checked to be numeric) and `max_payload`
//!   applies to them too. [`Parser::for_client_conn`] rejects them the way
//!   Go's server does for a client connection.
//! - Go reports `Buffer len 0` in the max-control-line context when the
//!   whole line sat in one read; we always report the argument length.

use super::op::Op;
pub use super::parse_error::{
    proto_snippet, ArgError, ParseError, MAX_CONTROL_LINE_SNIPPET_SIZE, PROTO_SNIPPET_SIZE,
};
use bytes::{Buf, Bytes, BytesMut};

/// Limits the parser enforces while decoding.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ParserLimits {
    /// Longest control line (arguments, without verb or CRLF); Go's max_control_line.
    pub max_control_line: usize,
    /// Largest PUB/HPUB/MSG/HMSG payload (headers included); Go's max_payload.
    pub max_payload: usize,
}

impl Default for ParserLimits {
    /// Go's defaults: `MAX_CONTROL_LINE_SIZE` (4 KiB) and `MAX_PAYLOAD_SIZE` (1 MiB).
    fn default() -> ParserLimits {
        ParserLimits {
            max_control_line: crate::options::MAX_CONTROL_LINE_SIZE as usize,
            max_payload: crate::options::MAX_PAYLOAD_SIZE as usize,
        }
    }
}

/// Go's `parserState` values, same names and same numbers (Go logs the
/// number). Route, leaf and gateway states (`OP_A`, `OP_L`, `OP_R`...) are
/// never entered by this parser; they are kept so the numbers line up.
#[allow(non_camel_case_types)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum State {
    OP_START = 0,
    OP_PLUS,
    OP_PLUS_O,
    OP_PLUS_OK,
    OP_MINUS,
    OP_MINUS_E,
    OP_MINUS_ER,
    OP_MINUS_ERR,
    OP_MINUS_ERR_SPC,
    MINUS_ERR_ARG,
    OP_C,
    OP_CO,
    OP_CON,
    OP_CONN,
    OP_CONNE,
    OP_CONNEC,
    OP_CONNECT,
    CONNECT_ARG,
    OP_H,
    OP_HP,
    OP_HPU,
    OP_HPUB,
    OP_HPUB_SPC,
    HPUB_ARG,
    OP_HM,
    OP_HMS,
    OP_HMSG,
    OP_HMSG_SPC,
    HMSG_ARG,
    OP_P,
    OP_PU,
    OP_PUB,
    OP_PUB_SPC,
    PUB_ARG,
    OP_PI,
    OP_PIN,
    OP_PING,
    OP_PO,
    OP_PON,
    OP_PONG,
    MSG_PAYLOAD,
    MSG_END_R,
    MSG_END_N,
    OP_S,
    OP_SU,
    OP_SUB,
    OP_SUB_SPC,
    SUB_ARG,
    OP_A,
    OP_ASUB,
    OP_ASUB_SPC,
    ASUB_ARG,
    OP_AUSUB,
    OP_AUSUB_SPC,
    AUSUB_ARG,
    OP_L,
    OP_LS,
    OP_R,
    OP_RS,
    OP_U,
    OP_UN,
    OP_UNS,
    OP_UNSU,
    OP_UNSUB,
    OP_UNSUB_SPC,
    UNSUB_ARG,
    OP_M,
    OP_MS,
    OP_MSG,
    OP_MSG_SPC,
    MSG_ARG,
    OP_I,
    OP_IN,
    OP_INF,
    OP_INFO,
    INFO_ARG,
}

impl State {
    /// States that collect an argument line up to `\n`.
    pub fn is_arg(self) -> bool {
        use State::*;
        matches!(
            self,
            MINUS_ERR_ARG
                | CONNECT_ARG
                | HPUB_ARG
                | HMSG_ARG
                | PUB_ARG
                | SUB_ARG
                | UNSUB_ARG
                | MSG_ARG
                | INFO_ARG
        )
    }

    /// States that wait for a payload and its trailing CRLF.
    pub fn is_payload(self) -> bool {
        matches!(
            self,
            State::MSG_PAYLOAD | State::MSG_END_R | State::MSG_END_N
        )
    }

    /// For the states that skip blanks before an argument: the argument state.
    fn arg_state_after_blanks(self) -> Option<State> {
        use State::*;
        Some(match self {
            OP_PUB_SPC => PUB_ARG,
            OP_HPUB_SPC => HPUB_ARG,
            OP_MSG_SPC => MSG_ARG,
            OP_HMSG_SPC => HMSG_ARG,
            OP_SUB_SPC => SUB_ARG,
            OP_UNSUB_SPC => UNSUB_ARG,
            OP_MINUS_ERR_SPC => MINUS_ERR_ARG,
            OP_CONNECT => CONNECT_ARG,
            OP_INFO => INFO_ARG,
            _ => return None,
        })
    }
}

/// Go's `parseSize` accepts at most this many digits (999,999,999).
const MAX_PARSE_SIZE_LEN: usize = 9;

/// Go's `parseSize`: 1 to 9 ASCII digits, else `None` (Go's -1).
pub fn parse_size(d: &[u8]) -> Option<usize> {
    if d.is_empty() || d.len() > MAX_PARSE_SIZE_LEN {
        return None;
    }
    let mut n: usize = 0;
    for &b in d {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + usize::from(b - b'0');
    }
    Some(n)
}

/// A byte range of the buffer, relative to the start of the op.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

/// The decoded control line of a message op waiting for its payload.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct PendingMsg {
    verb: MsgVerb,
    /// Control line length including its `\n`: where the payload starts.
    line_len: usize,
    subject: Span,
    sid: Span,
    reply: Option<Span>,
    header_len: usize,
    size: usize,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum MsgVerb {
    Pub,
    Hpub,
    Msg,
    Hmsg,
}

/// Up to 5 tokens of an argument line, plus how many there were in all.
struct Args {
    spans: [Span; 5],
    count: usize,
}

impl Args {
    /// Go's processPub/processHeaderPub split on blanks only; splitArg (SUB,
    /// UNSUB) and the Go client's MSG split on `\r` and `\n` too.
    fn split(arg: &[u8], split_on_crlf: bool) -> Args {
        let mut args = Args {
            spans: [Span::default(); 5],
            count: 0,
        };
        let mut start: Option<usize> = None;
        for (i, &b) in arg.iter().enumerate() {
            let sep = b == b' ' || b == b'\t' || (split_on_crlf && (b == b'\r' || b == b'\n'));
            match (sep, start) {
                (true, Some(s)) => {
                    args.push(Span { start: s, end: i });
                    start = None;
                }
                (false, None) => start = Some(i),
                _ => {}
            }
        }
        if let Some(s) = start {
            args.push(Span {
                start: s,
                end: arg.len(),
            });
        }
        args
    }

    fn push(&mut self, span: Span) {
        if let Some(slot) = self.spans.get_mut(self.count) {
            *slot = span;
        }
        self.count += 1;
    }
}

/// The protocol decoder. See the module docs for the buffer contract.
#[derive(Debug)]
pub struct Parser {
    limits: ParserLimits,
    /// False for a server reading a client connection: MSG/HMSG do not exist there.
    msg_allowed: bool,
    state: State,
    /// In an ARG state: bytes at the front of the buffer already searched
    /// for `\n` (the argument starts at the front).
    scanned: usize,
    /// In a payload state: the decoded control line (at the buffer's front).
    pending: Option<PendingMsg>,
}

enum Step {
    NeedMore,
    Op(Op),
    Arg,
}

impl Parser {
    /// A parser for any op in either direction (INFO, MSG, +OK... from a
    /// server as well as CONNECT, PUB, SUB... from a client).
    pub fn new(limits: ParserLimits) -> Parser {
        Parser {
            limits,
            msg_allowed: true,
            state: State::OP_START,
            scanned: 0,
            pending: None,
        }
    }

    /// The server's parser for a client connection (Go's kind CLIENT): an op
    /// starting with `M` (or `HM`) is an Unknown Protocol Operation.
    pub fn for_client_conn(limits: ParserLimits) -> Parser {
        Parser {
            msg_allowed: false,
            ..Parser::new(limits)
        }
    }

    pub fn limits(&self) -> ParserLimits {
        self.limits
    }

    /// Replaces the limits (Go updates `mcl`/`mpay` once the account is
    /// known). They apply from the next control line on.
    pub fn set_limits(&mut self, limits: ParserLimits) {
        self.limits = limits;
    }

    /// Where the decoder is, in Go's terms.
    pub fn state(&self) -> State {
        self.state
    }

    /// Decodes the next complete op from the front of `buf`, removing its
    /// bytes. `Ok(None)`: more bytes are needed (what is not consumed stays in
    /// `buf`). After an `Err` the connection must be closed; the parser is
    /// reset to `OP_START` and `buf` is left as it was at the error.
    pub fn parse(&mut self, buf: &mut BytesMut) -> Result<Option<Op>, ParseError> {
        let result = self.parse_inner(buf);
        if result.is_err() {
            self.state = State::OP_START;
            self.scanned = 0;
            self.pending = None;
        }
        #[cfg(debug_assertions)]
        self.check_invariants();
        result
    }

    /// Consistency of the decoder's own fields.
    pub fn check_invariants(&self) {
        assert_eq!(self.pending.is_some(), self.state.is_payload());
        if !self.state.is_arg() {
            assert_eq!(self.scanned, 0);
        }
    }

    fn parse_inner(&mut self, buf: &mut BytesMut) -> Result<Option<Op>, ParseError> {
        if self.state.is_payload() {
            return self.parse_payload(buf);
        }
        if self.state == State::OP_START {
            self.fast_verb(buf);
        }
        if !self.state.is_arg() {
            match self.scan_verb(buf)? {
                Step::NeedMore => return Ok(None),
                Step::Op(op) => return Ok(Some(op)),
                Step::Arg => {}
            }
        }
        match self.parse_arg_line(buf)? {
            Some(op) => Ok(Some(op)),
            None if self.state.is_payload() => self.parse_payload(buf),
            None => Ok(None),
        }
    }

    /// The hot path: a `PUB ` or `HPUB ` (all upper or all lower case)
    /// followed by a non-blank jumps straight to the argument state, without
    /// walking the verb automaton byte by byte. Anything else is left to
    /// [`Self::scan_verb`], which gives the same result more slowly.
    #[inline]
    fn fast_verb(&mut self, buf: &mut BytesMut) {
        let (len, state) = match buf.get(..5) {
            Some([b'P', b'U', b'B', b' ', a]) | Some([b'p', b'u', b'b', b' ', a]) if *a != b' ' && *a != b'\t' => {
                (4, State::PUB_ARG)
            }
            Some([b'H', b'P', b'U', b'B', b' ']) | Some([b'h', b'p', b'u', b'b', b' ']) => match buf.get(5) {
                Some(a) if *a != b' ' && *a != b'\t' => (5, State::HPUB_ARG),
                _ => return,
            },
            _ => return,
        };
        buf.advance(len);
        self.state = state;
        self.scanned = 1;
    }

    /// Walks the verb letters and blanks, consuming them, until an op without
    /// arguments completes, an argument starts, or the bytes run out.
    fn scan_verb(&mut self, buf: &mut BytesMut) -> Result<Step, ParseError> {
        use State::*;
        let mut i = 0;
        let step = loop {
            let Some(&b) = buf.get(i) else {
                break Step::NeedMore;
            };
            match self.state {
                OP_PING | OP_PONG | OP_PLUS_OK => {
                    let Some(off) = memchr::memchr(b'\n', &buf[i..]) else {
                        i = buf.len();
                        break Step::NeedMore;
                    };
                    i += off + 1;
                    let op = match self.state {
                        OP_PING => Op::Ping,
                        OP_PONG => Op::Pong,
                        _ => Op::Ok,
                    };
                    self.state = OP_START;
                    break Step::Op(op);
                }
                state => {
                    if let Some(arg_state) = state.arg_state_after_blanks() {
                        if b == b' ' || b == b'\t' {
                            i += 1;
                            continue;
                        }
                        // The first argument byte is taken whatever it is, as in Go.
                        self.state = arg_state;
                        self.scanned = 1;
                        break Step::Arg;
                    }
                    let Some(next) = self.next_verb_state(state, b) else {
                        let end = buf.len().min(i + PROTO_SNIPPET_SIZE);
                        let snippet = Bytes::copy_from_slice(&buf[i..end]);
                        return Err(ParseError::UnknownOp { state, snippet });
                    };
                    self.state = next;
                    i += 1;
                }
            }
        };
        buf.advance(i);
        Ok(step)
    }

    /// The verb automaton: letters in either case, then the blank after the verb.
    fn next_verb_state(&self, state: State, b: u8) -> Option<State> {
        use State::*;
        let blank = b == b' ' || b == b'\t';
        Some(match (state, b.to_ascii_uppercase()) {
            (OP_START, b'P') => OP_P,
            (OP_START, b'H') => OP_H,
            (OP_START, b'S') => OP_S,
            (OP_START, b'U') => OP_U,
            (OP_START, b'C') => OP_C,
            (OP_START, b'I') => OP_I,
            (OP_START, b'+') => OP_PLUS,
            (OP_START, b'-') => OP_MINUS,
            (OP_START, b'M') if self.msg_allowed => OP_M,
            (OP_H, b'P') => OP_HP,
            (OP_H, b'M') if self.msg_allowed => OP_HM,
            (OP_HP, b'U') => OP_HPU,
            (OP_HPU, b'B') => OP_HPUB,
            (OP_HPUB, _) if blank => OP_HPUB_SPC,
            (OP_HM, b'S') => OP_HMS,
            (OP_HMS, b'G') => OP_HMSG,
            (OP_HMSG, _) if blank => OP_HMSG_SPC,
            (OP_P, b'U') => OP_PU,
            (OP_P, b'I') => OP_PI,
            (OP_P, b'O') => OP_PO,
            (OP_PU, b'B') => OP_PUB,
            (OP_PUB, _) if blank => OP_PUB_SPC,
            (OP_PI, b'N') => OP_PIN,
            (OP_PIN, b'G') => OP_PING,
            (OP_PO, b'N') => OP_PON,
            (OP_PON, b'G') => OP_PONG,
            (OP_S, b'U') => OP_SU,
            (OP_SU, b'B') => OP_SUB,
            (OP_SUB, _) if blank => OP_SUB_SPC,
            (OP_U, b'N') => OP_UN,
            (OP_UN, b'S') => OP_UNS,
            (OP_UNS, b'U') => OP_UNSU,
            (OP_UNSU, b'B') => OP_UNSUB,
            (OP_UNSUB, _) if blank => OP_UNSUB_SPC,
            (OP_M, b'S') => OP_MS,
            (OP_MS, b'G') => OP_MSG,
            (OP_MSG, _) if blank => OP_MSG_SPC,
            (OP_C, b'O') => OP_CO,
            (OP_CO, b'N') => OP_CON,
            (OP_CON, b'N') => OP_CONN,
            (OP_CONN, b'E') => OP_CONNE,
            (OP_CONNE, b'C') => OP_CONNEC,
            (OP_CONNEC, b'T') => OP_CONNECT,
            (OP_I, b'N') => OP_IN,
            (OP_IN, b'F') => OP_INF,
            (OP_INF, b'O') => OP_INFO,
            (OP_PLUS, b'O') => OP_PLUS_O,
            (OP_PLUS_O, b'K') => OP_PLUS_OK,
            (OP_MINUS, b'E') => OP_MINUS_E,
            (OP_MINUS_E, b'R') => OP_MINUS_ER,
            (OP_MINUS_ER, b'R') => OP_MINUS_ERR,
            (OP_MINUS_ERR, _) if blank => OP_MINUS_ERR_SPC,
            _ => return None,
        })
    }

    /// In an ARG state, the argument starts at `buf[0]`. Finds the end of
    /// the line (resuming the search at `self.scanned`), enforces the
    /// control line limit, and decodes the arguments.
    fn parse_arg_line(&mut self, buf: &mut BytesMut) -> Result<Option<Op>, ParseError> {
        let from = self.scanned.min(buf.len());
        let Some(off) = memchr::memchr(b'\n', &buf[from..]) else {
            self.scanned = buf.len();
            self.check_control_line(&buf[..arg_len(buf, buf.len())])?;
            return Ok(None);
        };
        let newline = from + off;
        let arg = &buf[..arg_len(buf, newline)];
        self.check_control_line(arg)?;
        let line_len = newline + 1;
        let state = self.state;
        self.scanned = 0;
        let pending = match state {
            State::PUB_ARG => self.pub_args(arg, line_len)?,
            State::HPUB_ARG => self.hpub_args(arg, line_len)?,
            State::MSG_ARG => self.msg_args(arg, line_len)?,
            State::HMSG_ARG => self.hmsg_args(arg, line_len)?,
            _ => {
                let arg_end = arg.len();
                let line = buf.split_to(line_len).freeze();
                self.state = State::OP_START;
                return line_op(state, line, arg_end).map(Some);
            }
        };
        self.pending = Some(pending);
        self.state = State::MSG_PAYLOAD;
        Ok(None)
    }

    fn check_control_line(&self, arg: &[u8]) -> Result<(), ParseError> {
        let max_control_line = self.limits.max_control_line;
        if arg.len() <= max_control_line {
            return Ok(());
        }
        let end = arg.len().min(MAX_CONTROL_LINE_SNIPPET_SIZE);
        Err(ParseError::MaxControlLine {
            state: self.state,
            max_control_line,
            len: arg.len(),
            snippet: Bytes::copy_from_slice(&arg[..end]),
        })
    }

    fn check_payload(&self, size: usize) -> Result<(), ParseError> {
        let max_payload = self.limits.max_payload;
        if size > max_payload {
            return Err(ParseError::MaxPayload { size, max_payload });
        }
        Ok(())
    }

    /// `PUB <subject> [reply] <#bytes>` (Go's processPub).
    fn pub_args(&self, arg: &[u8], line_len: usize) -> Result<PendingMsg, ParseError> {
        let args = Args::split(arg, false);
        let (subject, reply, size) = match args.count {
            2 => (args.spans[0], None, args.spans[1]),
            3 => (args.spans[0], Some(args.spans[1]), args.spans[2]),
            _ => return Err(bad_args(ArgError::PubParse, arg)),
        };
        let size = parse_size(slice(arg, size)).ok_or_else(|| bad_args(ArgError::PubSize, arg))?;
        self.check_payload(size)?;
        let sid = Span::default();
        let verb = MsgVerb::Pub;
        Ok(PendingMsg {
            verb,
            line_len,
            subject,
            sid,
            reply,
            header_len: 0,
            size,
        })
    }

    /// `HPUB <subject> [reply] <#header bytes> <#total bytes>` (processHeaderPub).
    fn hpub_args(&self, arg: &[u8], line_len: usize) -> Result<PendingMsg, ParseError> {
        let args = Args::split(arg, false);
        let (subject, reply, hdr, size) = match args.count {
            3 => (args.spans[0], None, args.spans[1], args.spans[2]),
            4 => (
                args.spans[0],
                Some(args.spans[1]),
                args.spans[2],
                args.spans[3],
            ),
            _ => return Err(bad_args(ArgError::HpubParse, arg)),
        };
        let header_len = parse_size(slice(arg, hdr));
        let size = parse_size(slice(arg, size));
        let header_len = header_len.ok_or_else(|| bad_args(ArgError::HpubHeaderSize, arg))?;
        let size = size.ok_or_else(|| bad_args(ArgError::HpubTotalSize, arg))?;
        if header_len > size {
            return Err(bad_args(ArgError::HpubHeaderTooLarge, arg));
        }
        self.check_payload(size)?;
        let sid = Span::default();
        let verb = MsgVerb::Hpub;
        Ok(PendingMsg {
            verb,
            line_len,
            subject,
            sid,
            reply,
            header_len,
            size,
        })
    }

    /// `MSG <subject> <sid> [reply] <#bytes>` (the Go client's processMsgArgs).
    fn msg_args(&self, arg: &[u8], line_len: usize) -> Result<PendingMsg, ParseError> {
        let args = Args::split(arg, true);
        let (subject, sid, reply, size) = match args.count {
            3 => (args.spans[0], args.spans[1], None, args.spans[2]),
            4 => (
                args.spans[0],
                args.spans[1],
                Some(args.spans[2]),
                args.spans[3],
            ),
            _ => return Err(bad_args(ArgError::MsgParse, arg)),
        };
        let size = parse_size(slice(arg, size)).ok_or_else(|| bad_args(ArgError::MsgSize, arg))?;
        self.check_payload(size)?;
        let verb = MsgVerb::Msg;
        Ok(PendingMsg {
            verb,
            line_len,
            subject,
            sid,
            reply,
            header_len: 0,
            size,
        })
    }

    /// `HMSG <subject> <sid> [reply] <#header bytes> <#total bytes>`
    /// (the Go client's processHeaderMsgArgs, same check order).
    fn hmsg_args(&self, arg: &[u8], line_len: usize) -> Result<PendingMsg, ParseError> {
        let args = Args::split(arg, true);
        let [a0, a1, a2, a3, a4] = args.spans;
        let (subject, sid, reply, hdr, size) = match args.count {
            4 => (a0, a1, None, a2, a3),
            5 => (a0, a1, Some(a2), a3, a4),
            _ => return Err(bad_args(ArgError::HmsgParse, arg)),
        };
        // The client checks `hdr < 0 || hdr > size` first, which also catches
        // a bad total size (-1): its "Bad or Missing Size" cannot happen.
        let (header_len, size) = match (parse_size(slice(arg, hdr)), parse_size(slice(arg, size))) {
            (Some(h), Some(s)) if h <= s => (h, s),
            _ => return Err(bad_args(ArgError::HmsgHeaderSize, arg)),
        };
        self.check_payload(size)?;
        let verb = MsgVerb::Hmsg;
        Ok(PendingMsg {
            verb,
            line_len,
            subject,
            sid,
            reply,
            header_len,
            size,
        })
    }

    /// MSG_PAYLOAD, MSG_END_R, MSG_END_N: the control line sits at the front
    /// of `buf`; waits for the payload and checks the CRLF after it.
    fn parse_payload(&mut self, buf: &mut BytesMut) -> Result<Option<Op>, ParseError> {
        let Some(p) = self.pending else {
            unreachable!("payload state without a pending message (check_invariants)");
        };
        let end = p.line_len.saturating_add(p.size);
        let checks = [
            (end, State::MSG_END_R, b'\r'),
            (end.saturating_add(1), State::MSG_END_N, b'\n'),
        ];
        for (at, state, want) in checks {
            let Some(&b) = buf.get(at) else {
                self.state = if at == end { State::MSG_PAYLOAD } else { state };
                return Ok(None);
            };
            if b != want {
                let stop = buf.len().min(at + PROTO_SNIPPET_SIZE);
                let snippet = Bytes::copy_from_slice(&buf[at..stop]);
                return Err(ParseError::UnknownOp { state, snippet });
            }
        }
        let frame = buf.split_to(end + 2).freeze();
        self.pending = None;
        self.state = State::OP_START;
        Ok(Some(msg_op(&p, &frame)))
    }
}

/// The argument length of a line whose `\n` is at `newline` (or of the part
/// received so far): a final `\r` is dropped unless it is the first byte.
fn arg_len(buf: &[u8], newline: usize) -> usize {
    if newline >= 2 && buf[newline - 1] == b'\r' {
        newline - 1
    } else {
        newline
    }
}

fn slice(arg: &[u8], span: Span) -> &[u8] {
    &arg[span.start..span.end]
}

fn bad_args(kind: ArgError, arg: &[u8]) -> ParseError {
    ParseError::BadArgs {
        kind,
        arg: Bytes::copy_from_slice(arg),
    }
}

/// Ops that are one line: CONNECT, INFO, SUB, UNSUB, -ERR. `line` is the
/// whole line (arguments, maybe `\r`, `\n`); the arguments end at `arg_end`.
fn line_op(state: State, line: Bytes, arg_end: usize) -> Result<Op, ParseError> {
    let arg = line.slice(..arg_end);
    let piece = |span: Span| arg.slice(span.start..span.end);
    match state {
        State::CONNECT_ARG => Ok(Op::Connect(arg)),
        State::INFO_ARG => Ok(Op::Info(arg)),
        State::MINUS_ERR_ARG => Ok(Op::Err(strip_quotes(arg))),
        State::SUB_ARG => {
            let args = Args::split(&arg, true);
            let [a0, a1, a2, ..] = args.spans;
            match args.count {
                2 => Ok(Op::Sub {
                    subject: piece(a0),
                    queue: None,
                    sid: piece(a1),
                }),
                3 => Ok(Op::Sub {
                    subject: piece(a0),
                    queue: Some(piece(a1)),
                    sid: piece(a2),
                }),
                _ => Err(bad_args(ArgError::SubParse, &arg)),
            }
        }
        State::UNSUB_ARG => {
            let args = Args::split(&arg, true);
            let [a0, a1, ..] = args.spans;
            match args.count {
                1 => Ok(Op::Unsub {
                    sid: piece(a0),
                    max: None,
                }),
                // Go: an unparsable max is -1, which unsubscribes at once, as no max does.
                2 => {
                    let max = parse_size(slice(&arg, a1)).map(|m| m as u64);
                    Ok(Op::Unsub {
                        sid: piece(a0),
                        max,
                    })
                }
                _ => Err(bad_args(ArgError::UnsubParse, &arg)),
            }
        }
        _ => unreachable!("line_op called in state {state:?}, not a line-op ARG state"),
    }
}

/// `-ERR 'text'` -> `text`; an unquoted text is kept as is.
fn strip_quotes(arg: Bytes) -> Bytes {
    if arg.len() >= 2 && arg[0] == b'\'' && arg[arg.len() - 1] == b'\'' {
        arg.slice(1..arg.len() - 1)
    } else {
        arg
    }
}

/// Builds a message op from its frame: control line, payload, CRLF.
fn msg_op(p: &PendingMsg, frame: &Bytes) -> Op {
    let piece = |span: Span| frame.slice(span.start..span.end);
    let subject = piece(p.subject);
    let reply = p.reply.map(piece);
    let payload = frame.slice(p.line_len..p.line_len + p.size);
    match p.verb {
        MsgVerb::Pub => Op::Pub {
            subject,
            reply,
            payload,
        },
        MsgVerb::Hpub => Op::Hpub {
            subject,
            reply,
            header_len: p.header_len,
            message: payload,
        },
        MsgVerb::Msg => Op::Msg {
            subject,
            sid: piece(p.sid),
            reply,
            payload,
        },
        MsgVerb::Hmsg => Op::Hmsg {
            subject,
            sid: piece(p.sid),
            reply,
            header_len: p.header_len,
            message: payload,
        },
    }
}

#[cfg(test)]
#[path = "parser_test.rs"]
mod tests;
