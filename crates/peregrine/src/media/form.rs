//! `application/x-www-form-urlencoded` bodies (the WHATWG URL Standard's form encoding, via
//! `serde_urlencoded`).

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{HttpError, Internal, Result};

/// `application/x-www-form-urlencoded`.
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// How many fields a form body holds: its non-empty `&`-separated pieces.
pub(crate) fn count_fields(body: &[u8]) -> usize {
    body.split(|&b| b == b'&').filter(|p| !p.is_empty()).count()
}

/// 413 "Too many form fields".
pub(crate) fn too_many_fields(limit: usize) -> HttpError {
    HttpError::content_too_large()
        .with_title("Too many form fields")
        .with_description(format!("A form body may hold at most {limit} fields."))
}

/// Deserializes a form body of at most `max_fields` fields; a malformed one is 400 "Invalid form".
pub(crate) fn from_form<T: DeserializeOwned>(body: &[u8], max_fields: usize) -> Result<T> {
    if count_fields(body) > max_fields {
        return Err(too_many_fields(max_fields).into());
    }
    serde_urlencoded::from_bytes(body).map_err(|e| invalid_form(&e).into())
}

/// 400 "Invalid form": the body does not have the shape the type wants (serde's words, cut as for JSON).
pub(crate) fn invalid_form(error: &dyn std::fmt::Display) -> HttpError {
    HttpError::bad_request()
        .with_title("Invalid form")
        .with_description(format!(
            "The form body does not have the expected shape: {}.",
            super::json::serde_detail(&error.to_string())
        ))
}

/// Serializes a flat value (a struct or map of scalars) as a form body.
pub(crate) fn to_form<T: Serialize + ?Sized>(value: &T) -> Result<Bytes> {
    serde_urlencoded::to_string(value)
        .map(Bytes::from)
        .map_err(|e| Internal::new(format!("could not serialize the response as a form: {e}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
    struct Login {
        user: String,
        remember: bool,
    }

    #[test]
    fn fields_are_counted_and_limited_exactly() {
        assert_eq!(count_fields(b""), 0);
        assert_eq!(count_fields(b"a=1&&b=2&"), 2);
        let body = b"user=ann&remember=true";
        assert!(from_form::<Login>(body, 2).is_ok());
        let e = from_form::<Login>(body, 1).unwrap_err();
        let e = e.as_http_error().unwrap();
        assert_eq!((e.status().as_u16(), &*e.title()), (413, "Too many form fields"));
    }

    #[test]
    fn forms_decode_and_round_trip() {
        let login: Login = from_form(b"user=a+b%21&remember=false", 10).unwrap();
        assert_eq!(login.user, "a b!");
        let back = to_form(&login).unwrap();
        assert_eq!(&back[..], b"user=a+b%21&remember=false");
        let e = from_form::<Login>(b"user=a&remember=maybe", 10).unwrap_err();
        let e = e.as_http_error().unwrap();
        assert_eq!((e.status().as_u16(), &*e.title()), (400, "Invalid form"));
    }
}
