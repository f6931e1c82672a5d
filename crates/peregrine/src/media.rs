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
            .with_description(format!("{what}: {}.", without_type_names(&e.to_string())))
            .into()
    })
}

/// serde's message with the app's Rust type names taken out (`expected struct NewThing with 1 element` →
/// `expected an object`; `enum Kind` → `a value of the allowed kinds`): they say nothing to a client and show
/// the app's insides. Field names and values stay; they are the API's own words.
fn without_type_names(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    loop {
        // The earliest "struct Name" or "enum Name" (a "tuple struct" is found as its "struct").
        let next = [("struct ", "an object"), ("enum ", "a value of the allowed kinds")]
            .into_iter()
            .filter_map(|(word, plain)| rest.find(word).map(|i| (i, word, plain)))
            .min_by_key(|(i, _, _)| *i);
        let Some((i, word, plain)) = next else {
            break;
        };
        let before = rest[..i].strip_suffix("tuple ").unwrap_or(&rest[..i]);
        out.push_str(before);
        out.push_str(plain);
        let after = &rest[i + word.len()..];
        let name_end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        rest = &after[name_end..];
        // serde says how many elements a struct has: " with 1 element", " with 2 elements".
        if let Some(tail) = rest.strip_prefix(" with ") {
            let digits = tail.find(|c: char| !c.is_ascii_digit()).unwrap_or(tail.len());
            if digits > 0 {
                let tail = &tail[digits..];
                if let Some(t) = tail.strip_prefix(" elements").or_else(|| tail.strip_prefix(" element")) {
                    rest = t;
                }
            }
        }
    }
    out.push_str(rest);
    out
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
    fn rust_type_names_stay_out_of_the_message() {
        assert_eq!(
            without_type_names("invalid type: integer `1`, expected struct NewThing at line 1 column 1"),
            "invalid type: integer `1`, expected an object at line 1 column 1"
        );
        assert_eq!(
            without_type_names("invalid length 0, expected struct NewThing with 1 element at line 1 column 2"),
            "invalid length 0, expected an object at line 1 column 2"
        );
        assert_eq!(
            without_type_names("invalid type: string \"x\", expected tuple struct Pair with 2 elements"),
            "invalid type: string \"x\", expected an object"
        );
        assert_eq!(
            without_type_names("invalid type: map, expected enum Kind"),
            "invalid type: map, expected a value of the allowed kinds"
        );
        assert_eq!(without_type_names("missing field `name`"), "missing field `name`");
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
            ("1", "expected an object"),
        ] {
            let e = from_json::<T>(body.as_bytes()).unwrap_err();
            let e = e.as_http_error().unwrap();
            assert_eq!(e.status(), 400);
            assert_eq!(e.title(), "Invalid JSON");
            assert!(e.description().unwrap().contains(needle), "{body}: {e}");
            assert!(!e.description().unwrap().contains("struct T"), "{body}: {e}");
        }
    }
}
