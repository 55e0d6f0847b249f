//! The index file (Go's `index.db`).
