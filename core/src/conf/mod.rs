//! STUB: the NATS configuration file format.
