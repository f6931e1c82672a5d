//! Media handling: JSON in and out, with the error each failure deserves.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Internal;
use crate::error::{HttpError, Result};

/// `application/json`.
pub(crate) const JSON: &str = "application/json";

/// Whether `content_type` names JSON: `application/json` or any `+json` type, parameters ignored.
pub(crate) fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case(JSON)
        || essence
            .rsplit_once('+')
            .is_some_and(|(base, suffix)| base.contains('/') && suffix.eq_ignore_ascii_case("json"))
}

/// 415 unless the request's content type is JSON; an absent one counts as JSON (the default media type).
pub(crate) fn check_json_content_type(content_type: Option<&str>) -> Result<()> {
    match content_type {
        None => Ok(()),
        Some(ct) if is_json(ct) => Ok(()),
        Some(ct) => Err(HttpError::unsupported_media_type()
            .with_description(format!(
                "'{}' is not supported; send application/json.",
                ct.split(';').next().unwrap_or(ct).trim()
            ))
            .into()),
    }
}

/// Deserializes a JSON body; every failure is a 400 "Invalid JSON" that says what went wrong.
pub(crate) fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(HttpError::bad_request()
            .with_title("Invalid JSON")
            .with_description("Could not parse an empty JSON body.")
            .into());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let what = if e.is_data() {
            "The JSON body does not have the expected shape"
        } else {
            "Could not parse JSON body"
        };
        HttpError::bad_request()
            .with_title("Invalid JSON")
            .with_description(format!("{what}: {e}."))
            .into()
    })
}

/// Serializes a value as JSON; a failure is a programming error (a 500 whose detail is logged).
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Bytes> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Internal::new(format!("could not serialize the response as JSON: {e}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/problem+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("json"));
    }

    #[test]
    fn bad_bodies_are_400_with_reasons() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            a: u32,
        }
        for (body, needle) in [
            ("", "empty JSON body"),
            ("{", "Could not parse JSON body"),
            ("{\"a\": \"x\"}", "expected shape"),
        ] {
            let e = from_json::<T>(body.as_bytes()).unwrap_err();
            let e = e.as_http_error().unwrap();
            assert_eq!(e.status(), 400);
            assert_eq!(e.title(), "Invalid JSON");
            assert!(e.description().unwrap().contains(needle), "{body}: {e}");
        }
    }
}
