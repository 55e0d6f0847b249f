//! STUB: subject validation and matching helpers.
