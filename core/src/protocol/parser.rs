//! STUB: to be replaced by the parser implementation.
use super::op::Op;
use bytes::BytesMut;

/// Limits the parser enforces while decoding.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ParserLimits {
    /// Longest control line (verb + arguments, without CRLF); Go's max_control_line.
    pub max_control_line: usize,
    /// Largest PUB/HPUB/MSG/HMSG payload (headers included); Go's max_payload.
    pub max_payload: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    UnknownOp,
}

impl ParseError {
    /// The text that goes in `-ERR '<text>'`, worded as Go's server words it.
    pub fn err_text(&self) -> String {
        String::from("Unknown Protocol Operation")
    }
}

#[derive(Debug)]
pub struct Parser {
    limits: ParserLimits,
}

impl Parser {
    pub fn new(limits: ParserLimits) -> Parser {
        Parser { limits }
    }

    pub fn limits(&self) -> ParserLimits {
        self.limits
    }

    /// Decodes the next complete op from the front of `buf`, removing its
    /// bytes. `Ok(None)`: more bytes are needed (what is there stays in `buf`).
    pub fn parse(&mut self, _buf: &mut BytesMut) -> Result<Option<Op>, ParseError> {
        unimplemented!("parser")
    }
}
