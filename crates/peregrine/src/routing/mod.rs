//! Routing: URI templates, field converters, and the compiled decision tree.
//!
//! Templates are Falcon's: literal segments, `{field}`, several fields in one segment (`{name}.{ext}`), and
//! converters with arguments (`{id:int(min=1)}`, `{ts:dt("%Y-%m-%d")}`, `{rest:path}`, `{slug:re("[a-z-]+")}`).
//! Per segment, literals are tried first, then segments with several fields, then single fields (those with a
//! converter before plain ones), then `path`; a failed branch backtracks to the next candidate.
//!
//! The built-in converters (Falcon's, with its argument names; a refusal means the route does not match, so
//! the answer is 404 unless another route takes the path):
//!
//! - `int`, `int(num_digits)`, `int(min=…, max=…)`: an optional `-`, then ASCII digits (leading zeros
//!   allowed, no `+`, no spaces), within `i64`. `num_digits` is the segment's exact length, the sign
//!   included; `min` and `max` are inclusive.
//! - `float`, `float(min=…, max=…, finite=true)`: what `f64` parses, without surrounding spaces; infinities
//!   and NaN only with `finite=false`.
//! - `uuid`: the forms `uuid::Uuid::parse_str` reads (hyphenated, simple, `urn:uuid:`, braced).
//! - `dt`, `dt("%Y-%m-%d")` (feature `dates`): a chrono format, `%Y-%m-%dT%H:%M:%SZ` by default.
//! - `path`: the rest of the path, slashes included; only in the last segment, alone.
//! - `re("…")` (feature `re`): the whole segment matches the expression.
//!
//! [`Router::add_converter`] (and `App::add_converter`) registers a converter by name for the templates
//! added after it; a built-in name such as `int` can be taken over that way (not `path`), and templates added
//! before keep the converter they were built with, even where they share a prefix with later ones. Re-adding
//! a template's exact text after its converter was taken over adds a second route beside the first; the
//! first is tried first.
//!
//! Splitting a segment with several fields may backtrack; the work it may take is bounded (32 steps per byte of
//! the segment, plus 1,024), so a crafted segment (thousands of `-` and no `.png` against
//! `{a}-{b}-{c}-{d}.png`) is a no-match after that much work instead of minutes of CPU. No real split comes
//! near the bound.
//!
//! Where this differs from Falcon: fields with different names at the same level coexist (`/teams/{id}` and
//! `/teams/{name}/members`) — only templates that match exactly the same paths are refused; and a field never
//! matches an empty segment.

mod converters;
mod digits;
mod fields;
mod literals;
mod reverse;
pub(crate) mod template;
mod tree;
pub(crate) mod words;

pub use converters::{ArgValue, Converter, ConverterArgs, ConverterFactory, FieldValue};
pub(crate) use fields::Fields;
pub use fields::FromField;
pub use template::RouteError;
pub(crate) use tree::Captures;
#[cfg(feature = "re")]
pub(crate) use tree::{Capture, Stored};
pub use tree::{RouteInfo, RouteMatch, Router};
