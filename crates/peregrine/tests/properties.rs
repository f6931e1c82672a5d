//! Property tests (proptest) for the parsers of request input, over the public API: the query string, the
//! Cookie header, header values as bytes, the router's templates and lookups, and the path's percent-decoding.

use peregrine::routing::Router;
use peregrine::testing::create_req;
use proptest::prelude::*;

/// Query names and values: any text, percent-encoded by the test as a form encoder would.
fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ -~é€\u{1F600}]{0,12}").unwrap()
}

/// RFC 3986 unreserved characters only: what a form encoder leaves alone.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A cookie name: a token (RFC 6265 §4.1.1).
fn cookie_name() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[A-Za-z0-9!#$&'*+.^_`|~-]{1,10}").unwrap()
}

/// A cookie value as RFC 6265 §4.1.1 allows it (no whitespace, DQUOTE, comma, semicolon or backslash).
fn cookie_value() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[!#-+\\--:<-\\[\\]-~]{0,10}").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_encoded_pair_reads_back_decoded_in_order(pairs in proptest::collection::vec((text(), text()), 0..8)) {
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let req = create_req("GET", &format!("/q?{}", query.join("&")), &[]);
        let read: Vec<(String, String)> = req.query_params().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        // Falcon's rule: a field with neither name nor value is skipped; a blank value is kept.
        let want: Vec<(String, String)> = pairs.iter().filter(|(k, v)| !(k.is_empty() && v.is_empty())).cloned().collect();
        prop_assert_eq!(&read, &want);
        for (name, _) in &want {
            let last = want.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
            prop_assert_eq!(req.get_param(name), last);
        }
    }

    #[test]
    fn cookie_pairs_read_back_as_sent_whatever_sits_between_them(
        pairs in proptest::collection::vec((cookie_name(), cookie_value()), 1..6),
        junk in proptest::collection::vec("[ -:<-~\u{80}-\u{FF}]{0,8}", 0..6),
    ) {
        let mut parts = Vec::new();
        for (i, (n, v)) in pairs.iter().enumerate() {
            parts.push(format!("{n}={v}"));
            if let Some(j) = junk.get(i) {
                parts.push(j.clone());
            }
        }
        let field = parts.join("; ");
        let req = create_req("GET", "/", &[("cookie", &field)]);
        for (name, value) in &pairs {
            prop_assert!(
                req.cookie_values(name).contains(&value.as_str()),
                "{}={} not read from {:?}: {:?}", name, value, field, req.cookies().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn any_header_value_reads_as_one_character_per_byte(value in proptest::collection::vec(
        prop_oneof![0x20u8..=0x7e, 0x80u8..=0xff, Just(b'\t')], 0..40)
    ) {
        let Ok(text) = String::from_utf8(value.clone()) else {
            // Bytes that are not UTF-8 reach the app over the wire; `create_req` takes text, so the wire
            // suite and the test client's `header_bytes` cover them.
            return Ok(());
        };
        let req = create_req("GET", "/", &[("x-any", &text)]);
        let decoded = req.get_header("x-any").unwrap();
        let want: String = value.iter().map(|&b| char::from(b)).collect();
        prop_assert_eq!(decoded.as_ref(), want.as_str());
        prop_assert_eq!(req.get_header_bytes("x-any"), Some(&value[..]));
    }

    #[test]
    fn a_literal_template_finds_itself_and_nothing_longer(segments in proptest::collection::vec("[a-z0-9._~-]{1,8}", 1..6)) {
        let template = format!("/{}", segments.join("/"));
        let mut router = Router::new();
        router.add(&template, 7u8).unwrap();
        prop_assert_eq!(router.find(&template).map(|m| *m.value), Some(7));
        let longer = format!("{template}/x");
        prop_assert!(router.find(&longer).is_none());
    }

    #[test]
    fn fields_capture_exactly_their_segment(values in proptest::collection::vec("[A-Za-z0-9._~%-]{1,10}", 3)) {
        let mut router = Router::new();
        router.add("/a/{x}/b/{y}/{z}", 1u8).unwrap();
        let path = format!("/a/{}/b/{}/{}", values[0], values[1], values[2]);
        let m = router.find(&path).unwrap();
        prop_assert_eq!(m.get("x"), Some(values[0].as_str()));
        prop_assert_eq!(m.get("y"), Some(values[1].as_str()));
        prop_assert_eq!(m.get("z"), Some(values[2].as_str()));
    }

    #[test]
    fn any_text_as_a_template_is_added_or_refused_never_a_panic(template in "\\PC{0,30}") {
        let mut router = Router::new();
        let _ = router.add(&template, 1u8);
        let _ = router.find(&template);
    }

    #[test]
    fn any_path_is_found_or_not_never_a_panic(path in "(/[\\PC&&[^/]]{0,6}){0,6}") {
        let mut router = Router::new();
        for t in ["/users/{id:int}", "/files/{p:path}", "/v{a:int}.{b:int}", "/{a}/{b}", "/x/{name}.{ext}"] {
            router.add(t, 1u8).unwrap();
        }
        let _ = router.find(&path);
    }
}

/// An entity tag's text: `etagc` characters (RFC 9110 §8.8.3).
fn etag_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[!#-~]{0,12}").unwrap()
}

proptest! {
    /// Any list of entity tags, written as a client would (spaces, weak tags, empty elements), parses back
    /// to the same tags in order, and the first one compares as RFC 9110 §8.8.3.2 says.
    #[test]
    fn entity_tag_lists_round_trip(
        tags in proptest::collection::vec((any::<bool>(), etag_text()), 1..6),
        spaces in 0usize..3,
    ) {
        use peregrine::{EntityTag, EntityTags};
        let built: Vec<EntityTag> = tags
            .iter()
            .map(|(weak, t)| if *weak { EntityTag::weak(t.clone()) } else { EntityTag::strong(t.clone()) })
            .collect();
        let sep = format!("{},{}", " ".repeat(spaces), " ".repeat(spaces));
        let field = built.iter().map(ToString::to_string).collect::<Vec<_>>().join(&sep);
        let req = create_req("GET", "/", &[("if-none-match", &format!("{field}, "))]);
        prop_assert_eq!(req.if_none_match().unwrap(), Some(EntityTags::Tags(built.clone())));
        let first = &built[0];
        prop_assert!(first.weak_eq(first));
        prop_assert_eq!(first.strong_eq(first), !first.is_weak());
    }

    /// `Forwarded` elements built from parameters parse back to those parameters, whatever the quoting.
    #[test]
    fn forwarded_elements_round_trip(
        hops in proptest::collection::vec(("[a-z0-9._:-]{1,10}", proptest::option::of("https?")), 1..4),
        quote in any::<bool>(),
    ) {
        let field = hops
            .iter()
            .map(|(node, proto)| {
                let node = if quote { format!("\"{node}\"") } else { node.clone() };
                match proto {
                    Some(p) => format!("for={node};proto={p}"),
                    None => format!("for={node}"),
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let req = create_req("GET", "/", &[("forwarded", &field)]);
        let parsed = req.forwarded().unwrap();
        prop_assert_eq!(parsed.len(), hops.len());
        for (got, (node, proto)) in parsed.iter().zip(&hops) {
            prop_assert_eq!(got.for_.as_deref(), Some(node.as_str()));
            prop_assert_eq!(got.proto.as_deref(), proto.as_deref());
        }
    }
}

/// A resource that answers with its `{x}` field, to read back what the path decoded to.
struct FieldX;

#[peregrine::resource]
impl FieldX {
    async fn on_get(&self, req: &mut peregrine::Request, resp: &mut peregrine::Response) -> peregrine::Result {
        resp.set_text(req.field_str("x").unwrap_or_default().to_owned());
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any text percent-encoded into a path segment reads back as itself (an encoded `/` stays `%2F`).
    #[test]
    fn an_encoded_segment_reads_back_decoded(value in "[ -~é€\u{1F600}]{1,12}") {
        let client = peregrine::testing::TestClient::new(peregrine::App::new().add_route("/t/{x}", FieldX));
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let r = runtime.block_on(client.simulate_get(&format!("/t/{}", encode(&value))).send());
        prop_assert_eq!(r.status().as_u16(), 200, "{:?}", r);
        prop_assert_eq!(r.text(), value.replace('/', "%2F"));
    }

    /// Any `%` and hex-looking bytes in a path give 200, 400 ("Invalid path") or 404, never a panic or a 500.
    #[test]
    fn percent_junk_in_a_path_is_answered_4xx_or_served(junk in "[%0-9a-fA-FgGzZ/é]{0,16}") {
        let client = peregrine::testing::TestClient::new(peregrine::App::new().add_route("/t/{x}", FieldX));
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let r = runtime.block_on(client.simulate_get(&format!("/t/{}", encode_non_percent(&junk))).send());
        prop_assert!([200, 400, 404].contains(&r.status().as_u16()), "{:?}", r);
    }
}

/// `s` with every byte that is not URI-safe percent-encoded, except `%` itself (left for the test to misuse).
fn encode_non_percent(s: &str) -> String {
    s.split('%').map(encode).collect::<Vec<_>>().join("%")
}
