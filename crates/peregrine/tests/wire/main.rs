//! The raw-socket suite: HTTP/1.1 messages as attackers and broken clients send them, grouped as public
//! conformance corpora group them, each case naming the rule it holds (RFC 9110, 9112, 3986) and checking
//! the status or the close, and that nothing after a refused message reaches the app (`harness.rs`).

#[path = "../support/mod.rs"]
mod support;

mod harness;

mod delivery;
mod expect;
mod framing;
mod header_syntax;
mod host;
mod limits;
mod pipelining;
mod request_line;
mod smuggling;
