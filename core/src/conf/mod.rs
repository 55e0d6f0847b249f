//! The NATS configuration file format (Go's `conf` package) and the mapping
//! of config keys onto [`crate::options::ServerOptions`] (Go's opts.go).
//!
//! Pure: files and environment variables come in through callbacks.

mod accounts;
pub mod apply;
mod auth;
pub mod duration;
pub mod lexer;
pub mod operator;
pub mod parser;
mod tls;
pub mod value;

#[cfg(test)]
mod apply_tests;
#[cfg(test)]
mod lexer_tests;
#[cfg(test)]
mod parser_tests;

pub use apply::{apply_config, apply_config_with_files};
pub use duration::parse_duration;
pub use parser::{parse, EnvFn, IncludeFn};
pub use tls::TlsConfigOpts;
pub use value::{ConfError, DateTime, Kind, Map, Value};
