//! The rnatsd binary's library: flags, config loading, logging and startup.

pub mod config;
pub mod flags;
pub mod logging;
pub mod run;
pub mod signals;
