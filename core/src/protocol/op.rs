//! The protocol operations, as decoded by [`super::parser::Parser`].
//!
//! Every field is a [`Bytes`] slice of the connection's read buffer: decoding
//! copies nothing. One `Op` type serves both directions (a server reads
//! CONNECT/PUB/SUB..., a client or a simulated client reads INFO/MSG/+OK...),
//! as Go's parser does for clients and routes.

use bytes::Bytes;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `INFO {json}`; the JSON text without the verb or CRLF.
    Info(Bytes),
    /// `CONNECT {json}`; the JSON text without the verb or CRLF.
    Connect(Bytes),
    /// `PUB <subject> [reply] <#bytes>` and its payload.
    Pub { subject: Bytes, reply: Option<Bytes>, payload: Bytes },
    /// `HPUB <subject> [reply] <#header bytes> <#total bytes>`.
    /// `message` holds headers then body; `header_len` splits them.
    Hpub { subject: Bytes, reply: Option<Bytes>, header_len: usize, message: Bytes },
    /// `SUB <subject> [queue] <sid>`.
    Sub { subject: Bytes, queue: Option<Bytes>, sid: Bytes },
    /// `UNSUB <sid> [max]`.
    Unsub { sid: Bytes, max: Option<u64> },
    /// `MSG <subject> <sid> [reply] <#bytes>` and its payload.
    Msg { subject: Bytes, sid: Bytes, reply: Option<Bytes>, payload: Bytes },
    /// `HMSG <subject> <sid> [reply] <#header bytes> <#total bytes>`.
    Hmsg { subject: Bytes, sid: Bytes, reply: Option<Bytes>, header_len: usize, message: Bytes },
    Ping,
    Pong,
    /// `+OK`
    Ok,
    /// `-ERR '<text>'`; the text without quotes.
    Err(Bytes),
}

impl Op {
    /// The protocol verb, for tracing.
    pub fn verb(&self) -> &'static str {
        match self {
            Op::Info(_) => "INFO",
            Op::Connect(_) => "CONNECT",
            Op::Pub { .. } => "PUB",
            Op::Hpub { .. } => "HPUB",
            Op::Sub { .. } => "SUB",
            Op::Unsub { .. } => "UNSUB",
            Op::Msg { .. } => "MSG",
            Op::Hmsg { .. } => "HMSG",
            Op::Ping => "PING",
            Op::Pong => "PONG",
            Op::Ok => "+OK",
            Op::Err(_) => "-ERR",
        }
    }
}
