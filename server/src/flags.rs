//! STUB: Go-style command-line flags.
