//! JSON in and out (the default media type), with the error each failure deserves.

use std::cell::Cell;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Internal;
use crate::error::{HttpError, Result};

/// `application/json`.
pub(crate) const JSON: &str = "application/json";

/// The deepest nesting serde_json reads by itself (its recursion limit of 128 refuses the 128th level).
pub(crate) const SERDE_JSON_MAX_DEPTH: usize = 127;

/// How deeply `bytes` nest arrays and objects, counting only brackets outside strings; stops counting once
/// past `limit` (so the scan of a hostile body is one pass and no more).
pub(crate) fn nesting_depth(bytes: &[u8], limit: usize) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > deepest {
                    deepest = depth;
                    if deepest > limit {
                        return deepest;
                    }
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// 400 "JSON nested too deeply": the body nests arrays and objects past `limit` levels.
pub(crate) fn too_deep(limit: usize) -> HttpError {
    HttpError::bad_request()
        .with_title("JSON nested too deeply")
        .with_description(format!(
            "The JSON body may nest arrays and objects at most {limit} levels deep."
        ))
}

/// Deserializes a JSON body nested at most `max_depth` levels; every other failure is a 400 "Invalid JSON"
/// that says what went wrong.
pub(crate) fn from_json<T: DeserializeOwned>(bytes: &[u8], max_depth: usize) -> Result<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(HttpError::bad_request()
            .with_title("Invalid JSON")
            .with_description("Could not parse an empty JSON body.")
            .into());
    }
    let max_depth = max_depth.min(SERDE_JSON_MAX_DEPTH);
    if nesting_depth(bytes, max_depth) > max_depth {
        return Err(too_deep(max_depth).into());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let what = if e.is_data() {
            "The JSON body does not have the expected shape"
        } else {
            "Could not parse JSON body"
        };
        HttpError::bad_request()
            .with_title("Invalid JSON")
            .with_description(format!("{what}: {}.", client_message(&e)))
            .into()
    })
}

/// The longest part of serde's message a 400 repeats, in bytes: serde quotes the client's own value, which
/// may be as long as the body.
const MAX_DETAIL: usize = 200;

/// serde's message for a client: what was wrong and where, without what serde says was *expected* (for the
/// app's own types that names them: `expected struct NewThing`, `expected tuple variant Kind::Gamma`), except
/// in the messages whose expected list is the API's own words (field and variant names).
fn client_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&position).unwrap_or(&full);
    format!("{}{position}", serde_detail(message))
}

/// A serde error message fit for a client: without what serde says was *expected* (for the app's own types
/// that names them), except where the expected list is the API's own words (field and variant names), and
/// cut to a few hundred bytes (serde quotes the client's value, which may be as long as the body).
pub(crate) fn serde_detail(message: &str) -> String {
    let keeps_expected = ["missing field", "unknown field", "unknown variant", "duplicate field"]
        .iter()
        .any(|p| message.starts_with(p));
    let mut message = match message.find(", expected ") {
        Some(i) if !keeps_expected => &message[..i],
        _ => message,
    };
    if message.len() > MAX_DETAIL {
        let mut end = MAX_DETAIL;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message = &message[..end];
        return format!("{message}… (cut)");
    }
    message.to_owned()
}

/// Serializes a value as JSON; a failure is a programming error (a 500 whose detail is logged).
// PERF: inlined into each responder's set_media, as before negotiation gave set_media a second branch.
#[inline(always)]
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Bytes> {
    // The thread's buffer is taken, not borrowed: a `Serialize` impl that itself calls `to_json` finds it
    // empty and works with a fresh one.
    // During thread teardown (a thread-local's destructor serialising) the buffer may be gone already.
    let mut buffer = JSON_BUFFER.try_with(Cell::take).unwrap_or_default();
    buffer.clear();
    let written = serde_json::to_writer(&mut buffer, value);
    let body = match written {
        Err(e) => Err(Internal::new(format!("could not serialize the response as JSON: {e}")).into()),
        // A large body is handed over whole (`Bytes` adopts the vector) and the thread starts a new buffer.
        Ok(()) if buffer.len() > SMALL_BODY => return Ok(Bytes::from(buffer)),
        Ok(()) => Ok(Bytes::copy_from_slice(&buffer)),
    };
    if buffer.capacity() <= SMALL_BODY {
        let _ = JSON_BUFFER.try_with(|b| b.set(buffer));
    }
    body
}

/// The largest body [`to_json`] copies out of its thread's buffer.
const SMALL_BODY: usize = 4096;

// PERF: a small body costs one allocation of its exact size: a fresh vector would cost its own allocation,
// and `Bytes` adopting a vector with spare capacity allocates a shared header too (bench/NOTES.md, "JSON
// bodies").
thread_local! {
    static JSON_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_json_writes_small_and_large_bodies_and_reuses_nothing_stale() {
        assert_eq!(&to_json(&[1, 2, 3]).unwrap()[..], b"[1,2,3]");
        assert_eq!(&to_json("x").unwrap()[..], b"\"x\"");
        let large = "y".repeat(SMALL_BODY * 2);
        let body = to_json(&large).unwrap();
        assert_eq!(body.len(), large.len() + 2);
        assert_eq!(&to_json(&7).unwrap()[..], b"7");
    }

    /// A value whose serialisation serialises another value with `to_json`.
    struct Nested;

    impl Serialize for Nested {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            let inner = to_json(&[4, 5]).map_err(|_| serde::ser::Error::custom("inner"))?;
            s.serialize_str(std::str::from_utf8(&inner).unwrap())
        }
    }

    #[test]
    fn to_json_inside_to_json_works() {
        assert_eq!(&to_json(&Nested).unwrap()[..], br#""[4,5]""#);
    }

    #[test]
    fn depth_is_counted_outside_strings_only() {
        assert_eq!(nesting_depth(b"1", 10), 0);
        assert_eq!(nesting_depth(b"[[1], {\"a\": [2]}]", 10), 3);
        assert_eq!(nesting_depth(br#"["[[[[", "\"[[["]"#, 10), 1);
        assert_eq!(nesting_depth(&[b'['; 1000], 5), 6);
    }

    #[test]
    fn depth_limit_is_exact() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(from_json::<serde_json::Value>(nested(4).as_bytes(), 4).is_ok());
        let e = from_json::<serde_json::Value>(nested(5).as_bytes(), 4).unwrap_err();
        assert_eq!(e.as_http_error().unwrap().title(), "JSON nested too deeply");
        // serde_json's own bound is the ceiling whatever the setting says.
        assert!(from_json::<serde_json::Value>(nested(127).as_bytes(), 1000).is_ok());
        let e = from_json::<serde_json::Value>(nested(128).as_bytes(), 1000).unwrap_err();
        assert_eq!(e.as_http_error().unwrap().title(), "JSON nested too deeply");
    }

    #[test]
    fn rust_type_names_stay_out_of_the_message() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct NewThing {
            name: String,
            kind: SecretKind,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        enum SecretKind {
            Alpha,
            Gamma(u8, u8),
            Delta { x: u8 },
        }
        let description = |body: &str| {
            let e = from_json::<NewThing>(body.as_bytes(), 64).unwrap_err();
            e.as_http_error().unwrap().description().unwrap().to_owned()
        };
        for body in [
            "1",
            "[]",
            r#"{"name": "a", "kind": {"Gamma": {}}}"#,
            r#"{"name": "a", "kind": {"Gamma": [1]}}"#,
            r#"{"name": "a", "kind": {"Delta": 5}}"#,
        ] {
            let d = description(body);
            for secret in ["NewThing", "SecretKind", "Gamma", "Delta", "struct", "variant"] {
                assert!(!d.contains(secret), "{body}: {d}");
            }
            assert!(d.contains(" at line 1 column "), "{body}: {d}");
        }
        assert!(description(r#"{"kind": "Alpha"}"#).contains("missing field `name`"));
        let d = description(r#"{"name": "a", "kind": "Beta"}"#);
        assert!(
            d.contains("unknown variant `Beta`, expected one of `Alpha`, `Gamma`, `Delta`"),
            "{d}"
        );
    }

    #[test]
    fn a_long_value_quoted_by_serde_is_cut() {
        let body = format!("\"{}\"", "enum ".repeat(200_000));
        let e = from_json::<u32>(body.as_bytes(), 64).unwrap_err();
        let d = e.as_http_error().unwrap().description().unwrap().to_owned();
        assert!(d.len() < 400, "{} bytes", d.len());
        assert!(d.contains("… (cut) at line 1 column"), "{d}");
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
            ("1", "invalid type: integer `1` at line 1 column 1"),
        ] {
            let e = from_json::<T>(body.as_bytes(), 64).unwrap_err();
            let e = e.as_http_error().unwrap();
            assert_eq!(e.status(), 400);
            assert_eq!(e.title(), "Invalid JSON");
            assert!(e.description().unwrap().contains(needle), "{body}: {e}");
            assert!(!e.description().unwrap().contains("struct T"), "{body}: {e}");
        }
    }
}
