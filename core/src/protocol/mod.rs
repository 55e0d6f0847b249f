//! The NATS client protocol: a zero-copy incremental decoder ([`parser`]),
//! the operations it yields ([`op`]) and the encoders for what we send
//! ([`encode`]). INFO and CONNECT JSON live in [`info`] and [`connect`].

pub mod encode;
pub mod op;
mod parse_error;
pub mod parser;

pub use op::Op;
pub(crate) use parse_error::go_quote;
pub use parser::{ParseError, Parser, ParserLimits};
