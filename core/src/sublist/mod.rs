//! STUB: the subscription index.
