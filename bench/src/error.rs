//! The bench's single error type: a message for the operator.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchError(pub String);

pub type BenchResult<T> = Result<T, BenchError>;

impl BenchError {
    pub fn new(msg: impl Into<String>) -> Self {
        BenchError(msg.into())
    }
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

impl From<std::io::Error> for BenchError {
    fn from(e: std::io::Error) -> Self {
        BenchError(e.to_string())
    }
}

impl From<crate::scanner::ScanError> for BenchError {
    fn from(e: crate::scanner::ScanError) -> Self {
        BenchError(format!("protocol: {e}"))
    }
}
