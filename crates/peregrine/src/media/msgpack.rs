//! `application/msgpack` bodies (MessagePack, via `rmp-serde`; feature `msgpack`).

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{HttpError, Internal, Result};

/// 400 "Invalid MessagePack" with `detail`.
fn invalid(detail: impl std::fmt::Display) -> HttpError {
    HttpError::bad_request()
        .with_title("Invalid MessagePack")
        .with_description(format!("Could not read the MessagePack body: {detail}."))
}

/// What went wrong, in words for the client: rmp-serde's reader errors name its internals, and its type
/// errors name the app's types (cut as for JSON).
pub(crate) fn client_detail(e: &rmp_serde::decode::Error) -> String {
    use rmp_serde::decode::Error as E;
    match e {
        E::InvalidMarkerRead(_) | E::InvalidDataRead(_) => "the body ends before the value does".to_owned(),
        E::TypeMismatch(_) => "a value has the wrong type".to_owned(),
        E::OutOfRange => "a number is out of range".to_owned(),
        E::LengthMismatch(_) => "an array has the wrong length".to_owned(),
        E::Utf8Error(_) => "a string is not UTF-8".to_owned(),
        E::DepthLimitExceeded => "the value is nested too deeply".to_owned(),
        other => super::json::serde_detail(&other.to_string()),
    }
}

/// The deepest MessagePack nesting read, whatever the setting: the parser recurses, and past this a
/// thread's stack is at risk (the same ceiling as JSON's).
const MAX_DEPTH: usize = super::json::SERDE_JSON_MAX_DEPTH;

/// Deserializes one MessagePack value nested at most `max_depth` levels (127 at most), with nothing after it.
pub(crate) fn from_msgpack<T: DeserializeOwned>(body: &[u8], max_depth: usize) -> Result<T> {
    let max_depth = max_depth.min(MAX_DEPTH);
    let mut de = rmp_serde::Deserializer::new(std::io::Cursor::new(body));
    // rmp-serde refuses the level at which its counter reaches zero, so one more than the levels allowed.
    de.set_max_depth(max_depth.saturating_add(1));
    let value = T::deserialize(&mut de).map_err(|e| match e {
        rmp_serde::decode::Error::DepthLimitExceeded => HttpError::bad_request()
            .with_title("MessagePack nested too deeply")
            .with_description(format!(
                "The MessagePack body may nest arrays and maps at most {max_depth} levels deep."
            )),
        other => invalid(client_detail(&other)),
    })?;
    if de.position() != body.len() as u64 {
        return Err(invalid("bytes follow the value").into());
    }
    Ok(value)
}

/// Serializes a value as MessagePack, structs as maps keyed by field name (as Falcon's handler writes them).
pub(crate) fn to_msgpack<T: Serialize + ?Sized>(value: &T) -> Result<Bytes> {
    rmp_serde::to_vec_named(value)
        .map(Bytes::from)
        .map_err(|e| Internal::new(format!("could not serialize the response as MessagePack: {e}")).into())
}

/// The MessagePack handler (`application/msgpack`), as Falcon's `MessagePackHandler`.
///
/// ```
/// use peregrine::media::MessagePack;
/// let app = peregrine::App::new()
///     .req_options(|o| { o.media_handlers.insert("application/msgpack", MessagePack); })
///     .resp_options(|o| { o.media_handlers.insert("application/msgpack", MessagePack); });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MessagePack;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_depth_and_trailing_bytes() {
        let value = serde_json::json!({"a": [1, 2, {"b": "c"}]});
        let bytes = to_msgpack(&value).unwrap();
        assert_eq!(from_msgpack::<serde_json::Value>(&bytes, 3).unwrap(), value);
        let e = from_msgpack::<serde_json::Value>(&bytes, 2).unwrap_err();
        assert_eq!(e.as_http_error().unwrap().title(), "MessagePack nested too deeply");
        let mut longer = bytes.to_vec();
        longer.push(0xc0);
        let e = from_msgpack::<serde_json::Value>(&longer, 8).unwrap_err();
        assert_eq!(e.as_http_error().unwrap().title(), "Invalid MessagePack");
        let e = from_msgpack::<serde_json::Value>(&[0xc1], 8).unwrap_err();
        assert_eq!(e.as_http_error().unwrap().status(), 400);
    }
}
