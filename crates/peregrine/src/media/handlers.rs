//! The media-handler registry: one handler per media type, the built-in ones called directly (no type
//! erasure on the common path), the app's own through [`MediaHandler`].

use std::any::TypeId;
use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::form::{from_form, to_form, FORM};
use super::json::{from_json, to_json, JSON};
use crate::error::{HttpError, Internal, Result};

/// `multipart/form-data`, which is streamed (`req.multipart()`) rather than read as media.
pub(crate) const MULTIPART: &str = "multipart/form-data";

/// What a [`MediaHandler`] hands the body's deserializer to: it deserializes the responder's type.
pub type Visit<'a> =
    &'a mut dyn FnMut(&mut dyn erased_serde::Deserializer<'_>) -> std::result::Result<(), erased_serde::Error>;

/// A handler for one media type, written against `erased_serde` so that the app can hold handlers of any
/// format in one registry (Falcon's `BaseHandler`). A crate that writes one needs `serde` and `bytes` (for
/// [`Bytes`](bytes::Bytes)) among its own dependencies; `erased_serde` is re-exported here.
///
/// ```
/// use peregrine::media::{erased_serde, MediaHandler, Visit};
/// use peregrine::{HttpError, Result};
///
/// /// `text/csv` bodies of one record, as a header line and a value line.
/// struct OneRecordCsv;
///
/// impl MediaHandler for OneRecordCsv {
///     fn deserialize(&self, body: &[u8], visit: Visit<'_>) -> Result<()> {
///         let text = std::str::from_utf8(body).map_err(|_| HttpError::bad_request().with_title("Invalid CSV"))?;
///         let mut lines = text.lines();
///         let (names, values) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
///         let map: std::collections::BTreeMap<&str, &str> = names.split(',').zip(values.split(',')).collect();
///         let de = serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(map.into_iter());
///         visit(&mut <dyn erased_serde::Deserializer<'_>>::erase(de))
///             .map_err(|e| HttpError::bad_request().with_title("Invalid CSV").with_description(e.to_string()).into())
///     }
///
///     fn serialize(&self, _value: &dyn erased_serde::Serialize) -> Result<bytes::Bytes> {
///         Err(HttpError::internal_server_error().into())
///     }
/// }
/// ```
pub trait MediaHandler: Send + Sync + 'static {
    /// Reads `body` (the whole request body, within the body limit): builds a deserializer over it and
    /// passes it to `visit` once, which deserializes the responder's type.
    ///
    /// # Errors
    /// A body that is not well-formed, or that `visit` refuses (the wrong shape for the type): a 400 whose
    /// title names the format ("Invalid CSV") and whose description says what was wrong, without echoing
    /// more of the body than needed.
    fn deserialize(&self, body: &[u8], visit: Visit<'_>) -> Result<()>;

    /// Writes `value` as this media type.
    ///
    /// # Errors
    /// A value the format cannot hold: a 500 (return an error whose detail goes to the log, not the client).
    fn serialize(&self, value: &dyn erased_serde::Serialize) -> Result<Bytes>;
}

/// The JSON handler (`application/json`, and any `+json` type when it is registered under
/// `application/json`), as Falcon's `JSONHandler`. Registered by default.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

/// The `application/x-www-form-urlencoded` handler, as Falcon's `URLEncodedFormHandler`: a body of
/// `name=value&…` pairs into a struct or map (`serde_urlencoded`); a response of a flat struct or map.
/// Registered for requests by default; not for responses.
#[derive(Debug, Clone, Copy, Default)]
pub struct UrlEncodedForm;

/// A handler as the registry keeps it: the built-in ones by name, so `req.media::<T>()` calls serde on `T`
/// directly.
#[derive(Clone)]
pub(crate) enum Kind {
    Json,
    Form,
    #[cfg(feature = "msgpack")]
    MsgPack,
    Custom(Arc<dyn MediaHandler>),
}

/// A registry of media handlers by media type, in the order they were inserted (the order in which
/// `resp.set_media()` offers them when `Accept` ranks two equally). Falcon's `media_handlers`.
///
/// [`MediaHandlers::default`] holds JSON and URL-encoded forms; the response registry of
/// [`ResponseOptions`](crate::ResponseOptions) starts with JSON alone.
///
/// ```
/// use peregrine::media::{Json, MediaHandlers};
/// let mut handlers = MediaHandlers::empty();
/// handlers.insert("application/json", Json);
/// handlers.insert("application/vnd.api+json", Json);
/// assert_eq!(handlers.media_types().collect::<Vec<_>>(), ["application/json", "application/vnd.api+json"]);
/// ```
#[derive(Clone)]
pub struct MediaHandlers {
    entries: Vec<(Box<str>, Kind)>,
}

impl std::fmt::Debug for MediaHandlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.media_types()).finish()
    }
}

impl Default for MediaHandlers {
    /// JSON and URL-encoded forms.
    fn default() -> Self {
        let mut handlers = MediaHandlers::empty();
        handlers.insert(JSON, Json);
        handlers.insert(FORM, UrlEncodedForm);
        handlers
    }
}

/// The media type of a `Content-Type` value: before any `;`, trimmed, in lower case when it was not.
pub(crate) fn essence(content_type: &str) -> std::borrow::Cow<'_, str> {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.bytes().any(|b| b.is_ascii_uppercase()) {
        essence.to_ascii_lowercase().into()
    } else {
        essence.into()
    }
}

impl MediaHandlers {
    /// A registry with no handler.
    pub fn empty() -> Self {
        MediaHandlers { entries: Vec::new() }
    }

    /// Registers `handler` for `media_type` (`type/subtype`, no parameters; matched case-insensitively),
    /// replacing the handler registered for it before.
    ///
    /// # Panics
    /// When `media_type` is not `type/subtype` or `multipart/form-data` (which `req.multipart()` streams).
    #[track_caller]
    pub fn insert<H: MediaHandler>(&mut self, media_type: &str, handler: H) -> &mut Self {
        let media_type = essence(media_type).into_owned();
        assert!(
            media_type
                .split_once('/')
                .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty()),
            "MediaHandlers::insert: '{media_type}' is not a media type (type/subtype)"
        );
        assert!(
            media_type != MULTIPART,
            "MediaHandlers::insert: multipart/form-data is read part by part with req.multipart()"
        );
        let kind = kind_of(handler);
        match self.entries.iter_mut().find(|(t, _)| **t == *media_type) {
            Some(entry) => entry.1 = kind,
            None => self.entries.push((media_type.into_boxed_str(), kind)),
        }
        self
    }

    /// Removes the handler for `media_type`; whether there was one.
    pub fn remove(&mut self, media_type: &str) -> bool {
        let media_type = essence(media_type);
        let before = self.entries.len();
        self.entries.retain(|(t, _)| **t != *media_type);
        self.entries.len() != before
    }

    /// The registered media types, in order (what an OpenAPI document lists as a route's media).
    pub fn media_types(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(t, _)| &**t)
    }

    /// How many handlers there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no handler.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The handler for a request's `Content-Type`: its exact media type, else, for a `+json` type,
    /// the handler of `application/json`.
    pub(crate) fn for_content_type(&self, content_type: &str) -> Option<&Kind> {
        let essence = essence(content_type);
        if let Some((_, kind)) = self.entries.iter().find(|(t, _)| **t == *essence) {
            return Some(kind);
        }
        if essence.ends_with("+json") && essence.contains('/') {
            return self.entries.iter().find(|(t, _)| &**t == JSON).map(|(_, k)| k);
        }
        None
    }

    /// The handler registered under exactly `media_type`.
    pub(crate) fn get(&self, media_type: &str) -> Option<&Kind> {
        let essence = essence(media_type);
        self.entries.iter().find(|(t, _)| **t == *essence).map(|(_, k)| k)
    }

    /// 415 naming the types this registry reads.
    pub(crate) fn unsupported(&self, content_type: &str) -> HttpError {
        let supported: Vec<&str> = self.media_types().collect();
        HttpError::unsupported_media_type().with_description(format!(
            "'{}' is not supported; send one of: {}.",
            essence(content_type),
            supported.join(", ")
        ))
    }
}

fn kind_of<H: MediaHandler>(handler: H) -> Kind {
    let id = TypeId::of::<H>();
    if id == TypeId::of::<Json>() {
        return Kind::Json;
    }
    if id == TypeId::of::<UrlEncodedForm>() {
        return Kind::Form;
    }
    #[cfg(feature = "msgpack")]
    if id == TypeId::of::<super::MessagePack>() {
        return Kind::MsgPack;
    }
    Kind::Custom(Arc::new(handler))
}

impl Kind {
    /// Reads `body` as `T`, nested at most `max_depth` levels (JSON, MessagePack) and holding at most
    /// `max_fields` fields (forms).
    pub(crate) fn decode<T: DeserializeOwned>(&self, body: &[u8], max_depth: usize, max_fields: usize) -> Result<T> {
        match self {
            Kind::Json => from_json(body, max_depth),
            Kind::Form => from_form(body, max_fields),
            #[cfg(feature = "msgpack")]
            Kind::MsgPack => super::msgpack::from_msgpack(body, max_depth),
            Kind::Custom(handler) => {
                let mut value = None;
                handler.deserialize(body, &mut |de| {
                    value = Some(erased_serde::deserialize::<T>(de)?);
                    Ok(())
                })?;
                value.ok_or_else(|| {
                    Internal::new("a media handler returned without deserializing the body".to_owned()).into()
                })
            }
        }
    }

    /// Writes `value` in this handler's format.
    pub(crate) fn encode<T: Serialize + ?Sized>(&self, value: &T) -> Result<Bytes> {
        match self {
            Kind::Json => to_json(value),
            Kind::Form => to_form(value),
            #[cfg(feature = "msgpack")]
            Kind::MsgPack => super::msgpack::to_msgpack(value),
            Kind::Custom(handler) => handler.serialize(&value as &dyn erased_serde::Serialize),
        }
    }
}

impl MediaHandler for Json {
    fn deserialize(&self, body: &[u8], visit: Visit<'_>) -> Result<()> {
        let value: serde_json::Value = from_json(body, super::json::SERDE_JSON_MAX_DEPTH)?;
        visit(&mut <dyn erased_serde::Deserializer<'_>>::erase(value)).map_err(|e| {
            HttpError::bad_request()
                .with_title("Invalid JSON")
                .with_description(format!(
                    "The JSON body does not have the expected shape: {}.",
                    super::json::serde_detail(&e.to_string())
                ))
                .into()
        })
    }

    fn serialize(&self, value: &dyn erased_serde::Serialize) -> Result<Bytes> {
        to_json(value)
    }
}

impl MediaHandler for UrlEncodedForm {
    fn deserialize(&self, body: &[u8], visit: Visit<'_>) -> Result<()> {
        let pairs: Vec<(String, String)> = from_form(body, usize::MAX)?;
        let de = serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(pairs.into_iter());
        visit(&mut <dyn erased_serde::Deserializer<'_>>::erase(de)).map_err(|e| super::form::invalid_form(&e).into())
    }

    fn serialize(&self, value: &dyn erased_serde::Serialize) -> Result<Bytes> {
        to_form(value)
    }
}

#[cfg(feature = "msgpack")]
impl MediaHandler for super::MessagePack {
    fn deserialize(&self, body: &[u8], visit: Visit<'_>) -> Result<()> {
        // Through a value first, so the erased visit never recurses deeper than the typed path allows.
        let value: serde_json::Value = super::msgpack::from_msgpack(body, super::json::SERDE_JSON_MAX_DEPTH)?;
        visit(&mut <dyn erased_serde::Deserializer<'_>>::erase(value)).map_err(|e| {
            HttpError::bad_request()
                .with_title("Invalid MessagePack")
                .with_description(format!(
                    "The MessagePack body does not have the expected shape: {}.",
                    super::json::serde_detail(&e.to_string())
                ))
                .into()
        })
    }

    fn serialize(&self, value: &dyn erased_serde::Serialize) -> Result<Bytes> {
        super::msgpack::to_msgpack(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_content_type() {
        let handlers = MediaHandlers::default();
        assert!(matches!(
            handlers.for_content_type("application/json; charset=utf-8"),
            Some(Kind::Json)
        ));
        assert!(matches!(
            handlers.for_content_type("Application/JSON"),
            Some(Kind::Json)
        ));
        assert!(matches!(
            handlers.for_content_type("application/problem+json"),
            Some(Kind::Json)
        ));
        assert!(matches!(
            handlers.for_content_type("application/x-www-form-urlencoded"),
            Some(Kind::Form)
        ));
        assert!(handlers.for_content_type("text/csv").is_none());
        let d = handlers.unsupported("text/csv; x=y").description().unwrap().to_owned();
        assert!(
            d.contains("'text/csv'") && d.contains("application/json") && !d.contains("multipart"),
            "{d}"
        );
    }

    #[test]
    fn insert_replaces_and_remove_removes() {
        let mut handlers = MediaHandlers::default();
        handlers.insert("APPLICATION/JSON", UrlEncodedForm);
        assert_eq!(handlers.len(), 2);
        assert!(matches!(handlers.get("application/json"), Some(Kind::Form)));
        assert!(handlers.remove("application/json"));
        assert!(!handlers.remove("application/json"));
        assert_eq!(handlers.media_types().collect::<Vec<_>>(), [FORM]);
    }

    #[test]
    #[should_panic(expected = "req.multipart()")]
    fn multipart_is_not_a_handler() {
        MediaHandlers::empty().insert("multipart/form-data", Json);
    }

    #[test]
    fn built_in_handlers_work_through_the_trait_too() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct P {
            a: String,
        }
        let custom = Kind::Custom(Arc::new(Json));
        assert_eq!(custom.decode::<P>(br#"{"a": "x"}"#, 8, 8).unwrap(), P { a: "x".into() });
        assert_eq!(&custom.encode(&serde_json::json!({"a": 1})).unwrap()[..], br#"{"a":1}"#);
        let form = Kind::Custom(Arc::new(UrlEncodedForm));
        assert_eq!(form.decode::<P>(b"a=y", 8, 8).unwrap(), P { a: "y".into() });
        let e = form.decode::<P>(b"b=y", 8, 8).unwrap_err();
        assert_eq!(e.as_http_error().unwrap().title(), "Invalid form");
    }
}
