//! The tokio adapter. Thin: no protocol logic lives here.
