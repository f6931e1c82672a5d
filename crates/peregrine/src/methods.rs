//! The HTTP methods Peregrine serves, in one table: RFC 9110's eight (§9.3) and PATCH (RFC 5789).
//!
//! A method's position in [`METHODS`] is its index everywhere (a route's responder table), the table's
//! order is the order `Allow` lists methods in, and a method's name is its metrics label. Any other method
//! is answered 501 (RFC 9110 §9.1) and labelled `OTHER`. `#[peregrine::resource]` looks responder names up
//! here too, at compile time ([`responder_method`]).

use http::Method;

/// The methods Peregrine serves, in the order `Allow` lists them.
pub(crate) const METHODS: [&str; 9] = [
    "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE",
];

pub(crate) const GET: usize = 2;
pub(crate) const HEAD: usize = 3;
pub(crate) const OPTIONS: usize = 4;

/// The index of `method` in [`METHODS`], or `None` for a method Peregrine does not serve.
pub(crate) fn index(method: &Method) -> Option<usize> {
    use http::Method as M;
    // PERF: a match on http's predefined methods compares no strings.
    Some(match *method {
        M::CONNECT => 0,
        M::DELETE => 1,
        M::GET => GET,
        M::HEAD => HEAD,
        M::OPTIONS => OPTIONS,
        M::PATCH => 5,
        M::POST => 6,
        M::PUT => 7,
        M::TRACE => 8,
        _ => return None,
    })
}

/// The index of the method named `name` (upper case) in [`METHODS`].
pub(crate) fn index_of_name(name: &str) -> Option<usize> {
    METHODS.iter().position(|m| *m == name)
}

/// The label metrics give `method`: its name, or `OTHER`.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))] // used by metrics
pub(crate) fn label(method: &Method) -> &'static str {
    index(method).map_or("OTHER", |i| METHODS[i])
}

/// The method a responder named `on_<lower>` serves, in upper case, for `#[peregrine::resource]`'s output.
///
/// # Panics
/// When `lower` names no method Peregrine serves; evaluated in a constant, so the panic is a compile error at
/// the responder.
pub const fn responder_method(lower: &str) -> &'static str {
    let mut i = 0;
    while i < METHODS.len() {
        if same_letters(METHODS[i].as_bytes(), lower.as_bytes()) {
            return METHODS[i];
        }
        i += 1;
    }
    panic!(
        "this responder's name does not start with an HTTP method: responders are on_get, on_head, on_post, on_put, on_delete, on_connect, on_options, on_trace and on_patch, each optionally followed by _<suffix>"
    )
}

/// ASCII equality ignoring case, in a constant.
const fn same_letters(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !a[i].eq_ignore_ascii_case(&b[i]) {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_has_its_own_index_in_allow_order() {
        let mut sorted = METHODS;
        sorted.sort_unstable();
        assert_eq!(sorted, METHODS, "Allow lists methods in alphabetical order");
        for (i, name) in METHODS.iter().enumerate() {
            let method = Method::from_bytes(name.as_bytes()).unwrap();
            assert_eq!(index(&method), Some(i), "{name}");
            assert_eq!(index_of_name(name), Some(i));
            assert_eq!(label(&method), *name);
            assert_eq!(responder_method(&name.to_ascii_lowercase()), *name);
        }
        assert_eq!(index(&Method::from_bytes(b"PROPFIND").unwrap()), None);
        assert_eq!(label(&Method::from_bytes(b"PROPFIND").unwrap()), "OTHER");
    }
}
