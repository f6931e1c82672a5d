//! Routing: URI templates, field converters, and the compiled decision tree.
//!
//! Templates are Falcon's: literal segments, `{field}`, several fields in one segment (`{name}.{ext}`), and
//! converters with arguments (`{id:int(min=1)}`, `{ts:dt("%Y-%m-%d")}`, `{rest:path}`, `{slug:re("[a-z-]+")}`).
//! Per segment, literals are tried first, then segments with several fields, then single fields (those with a
//! converter before plain ones), then `path`; a failed branch backtracks to the next candidate.
//!
//! Splitting a segment with several fields may backtrack; the work it may take is bounded (32 steps per byte of
//! the segment, plus 1,024), so a crafted path (thousands of `-` against `{a}-{b}-{c}-{d}.png`) is a no-match
//! in microseconds instead of minutes of CPU. No real split comes near the bound.
//!
//! Where this differs from Falcon: fields with different names at the same level coexist (`/teams/{id}` and
//! `/teams/{name}/members`) — only templates that match exactly the same paths are refused; and a field never
//! matches an empty segment.

mod converters;
mod digits;
mod fields;
mod reverse;
pub(crate) mod template;
mod tree;
mod words;

pub use converters::{ArgValue, Converter, ConverterArgs, ConverterFactory, FieldValue};
pub(crate) use fields::Fields;
pub use fields::FromField;
pub use template::RouteError;
pub(crate) use tree::Captures;
#[cfg(feature = "re")]
pub(crate) use tree::{Capture, Stored};
pub use tree::{RouteInfo, RouteMatch, Router};
