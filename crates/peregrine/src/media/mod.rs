//! Media: the handlers that read request bodies into serde types (`req.media()`) and write serde values as
//! response bodies (`resp.set_media()`), one per media type, as Falcon's `media_handlers`.
//!
//! Built in: JSON ([`Json`], the default), URL-encoded forms ([`UrlEncodedForm`]) and MessagePack
//! ([`MessagePack`], feature `msgpack`). Any other type is one [`MediaHandler`] away; the app's registry is
//! a [`MediaHandlers`], set with [`App::req_options`](crate::App::req_options) and
//! [`App::resp_options`](crate::App::resp_options). `multipart/form-data` is not a media type here: it is
//! streamed part by part through `req.multipart()` (feature `multipart`).

mod form;
mod handlers;
mod json;
#[cfg(feature = "msgpack")]
mod msgpack;

pub use handlers::{Json, MediaHandler, MediaHandlers, UrlEncodedForm, Visit};
#[cfg(feature = "msgpack")]
pub use msgpack::MessagePack;

/// The `erased_serde` crate, whose traits a [`MediaHandler`] is written against.
pub use erased_serde;

pub(crate) use form::{count_fields, too_many_fields, FORM};
pub(crate) use handlers::{essence, Kind, MULTIPART};
pub(crate) use json::{to_json, JSON};
