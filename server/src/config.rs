//! STUB: loading the config file into ServerOptions.
