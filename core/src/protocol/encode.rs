//! STUB: encoders, to be written with the parser.
