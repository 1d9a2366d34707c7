//! The syslog receiver: UDP (one message per datagram, RFC 5426) and TCP
//! (RFC 6587 framing, both kinds, detected per frame).
//!
//! The servers take an already bound socket and a `Shutdown` handle (as
//! tokio's mini-redis does with a listener and a shutdown future), so tests
//! bind port 0 and stop them when they like. Frames go to a sink in
//! batches; a sink that blocks slows the senders down (TCP back-pressure,
//! the kernel's receive buffer for UDP), so memory stays bounded: one read
//! buffer and at most one unfinished frame (`max_frame`) per connection,
//! and at most `max_connections` connections (more are accepted and
//! closed at once, and counted).
//!
//! Framing errors (oversize, truncated) are counted and the frame skipped;
//! a connection never takes the receiver down. What a frame says is not
//! judged here: the caller parses it like any log line.
//!
//! # Layout
//!
//! - `framing`: the RFC 6587 decoder.
//! - `server`: UDP and TCP servers, counters, shutdown.

pub mod framing;
pub mod server;

pub use framing::{FrameError, Framer};
pub use server::{
    FrameBatch, Listen, Shutdown, SyslogConfig, SyslogCounters, Transport, parse_listen, serve_tcp,
    serve_udp,
};
