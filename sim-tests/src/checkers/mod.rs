//! Checkers: what the server must have done, judged from outside.
//!
//! [`delivery::Model`] is an exact reference model of core NATS routing. The
//! simulator knows precisely when the server processed each client op (all
//! of an op's bytes, CRLF included, were handed to `handle_read`), so the
//! model applies ops at the same points in the same order as the server and
//! can say, for every subscription, exactly which messages it must receive.

pub mod delivery;

pub use delivery::{ClientOp, Model, MsgRecord};
