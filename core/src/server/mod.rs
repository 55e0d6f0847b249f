//! STUB: the protocol engine (Server, client connections, routing).
