//! What each fuzz target does with one input, shared by the coverage-guided binaries (`fuzz_targets/`) and
//! by the replay of the committed corpus in `cargo test` (`tests/fuzz_corpus.rs`). Every function must
//! return without panicking for any input; the assertions inside are properties that hold for every input.

use peregrine::routing::Router;
use peregrine::testing::create_req;

/// The URI-template parser and the router built from it: any text as a template is added or refused with
/// an error, never a panic; an added literal template finds itself.
pub(crate) fn uri_template(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut router = Router::new();
    if router.add(text, 1u8).is_ok() && !text.contains('{') {
        let found = router.find(text).map(|m| *m.value);
        assert_eq!(found, Some(1), "the literal template {text:?} does not find itself");
    }
    // Whatever was added, any lookup terminates.
    let _ = router.find(text);
    let _ = router.find("/");
}

/// Lookups against a router with every kind of segment: literals, fields, converters, compound segments
/// and a path converter; any path is found or not, never a panic.
pub(crate) fn router_lookup(data: &[u8]) {
    let Ok(path) = std::str::from_utf8(data) else { return };
    thread_local! {
        static ROUTER: Router<u8> = {
            let mut r = Router::new();
            for (i, t) in [
                "/",
                "/users",
                "/users/{id:int}",
                "/users/{id:int(min=1, max=99999)}/things/{thing}",
                "/teams/{name}/members",
                "/files/{path:path}",
                "/v{major:int}.{minor:int}/status",
                "/u/{id:uuid}",
                "/f/{x:float}",
                "/{a}/{b}/{c}/{d}/{e}",
                "/emoji/{name}.{ext}",
            ]
            .iter()
            .enumerate()
            {
                r.add(t, i as u8).unwrap();
            }
            r
        };
    }
    ROUTER.with(|r| {
        if let Some(m) = r.find(path) {
            for (name, value) in m.iter() {
                assert!(!name.is_empty());
                let _ = value.len();
            }
        }
    });
}

/// The query-string parser behind every `get_param*` getter.
pub(crate) fn query_string(data: &[u8]) {
    let Ok(query) = std::str::from_utf8(data) else { return };
    let target = format!("/q?{query}");
    if target.parse::<http::Uri>().is_err() {
        return;
    }
    let req = create_req("GET", &target, &[]);
    let names: Vec<String> = req.query_params().map(|(k, _)| k.to_owned()).collect();
    for name in names.iter().take(16) {
        assert!(req.has_param(name), "{name:?} listed but not found");
        assert!(req.get_param(name).is_some());
        let _ = req.get_params(name);
        let _ = req.get_param_as_int(name);
        let _ = req.get_param_as_bool(name);
        let _ = req.get_param_as_list(name);
        let _ = req.get_param_as_float(name);
        let _ = req.get_param_as_uuid(name);
    }
}

/// The Cookie header parser: a pair never hides its neighbours, values come back as sent.
pub(crate) fn cookies(data: &[u8]) {
    let Ok(value) = http::HeaderValue::from_bytes(data) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(value.as_bytes()) else {
        return;
    };
    let field = format!("{text}; zz_canary=ok");
    if http::HeaderValue::from_str(&field).is_err() {
        return;
    }
    let req = create_req("GET", "/", &[("cookie", &field)]);
    let all: Vec<(&str, &str)> = req.cookies().collect();
    assert!(
        all.contains(&("zz_canary", "ok")),
        "the canary pair was hidden by {text:?}"
    );
    for (name, _) in all.iter().take(16) {
        assert!(req.cookie(name).is_some());
        assert!(!req.cookie_values(name).is_empty());
    }
}

/// The header getters: every legal value is readable as ISO-8859-1 text and as bytes; the typed getters
/// answer or refuse.
pub(crate) fn header_getters(data: &[u8]) {
    let Ok(value) = http::HeaderValue::from_bytes(data) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(value.as_bytes()) else {
        return;
    };
    let req = create_req(
        "GET",
        "/",
        &[
            ("x-any", text),
            ("accept", text),
            ("if-modified-since", text),
            ("content-length", text),
        ],
    );
    let decoded = req.get_header("x-any").expect("a present header reads as text");
    assert_eq!(decoded.chars().count(), text.len(), "one character per byte");
    assert_eq!(req.get_header_bytes("x-any"), Some(text.as_bytes()));
    let _ = req.get_header_as_int("x-any");
    let _ = req.get_header_as_datetime("if-modified-since");
    let _ = req.content_length();
    let _ = req.client_prefers(&["application/json", "text/html", "text/*"]);
    let _ = req.client_accepts_json();
}

/// A JSON body read into the app's own type through `req.media()`: answered 200 exactly when serde_json
/// reads it, else 400 whose description names neither the app's types nor runs past a few hundred bytes.
pub(crate) fn json_media(data: &[u8]) {
    use peregrine::testing::TestClient;
    use peregrine::{App, Request, Response, Result};

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct SecretThing {
        name: String,
        count: u32,
        tags: Vec<String>,
        kind: HiddenKind,
    }

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    enum HiddenKind {
        Alpha,
        Beta(i32),
        Gamma { x: f64 },
    }

    struct Things;

    #[peregrine::resource]
    impl Things {
        async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
            let _thing: SecretThing = req.media().await?;
            resp.set_text("ok");
            Ok(())
        }
    }

    thread_local! {
        static RUNTIME: tokio::runtime::Runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        static CLIENT: TestClient = TestClient::new(App::new().add_route("/things", Things));
    }
    let body = bytes::Bytes::copy_from_slice(data);
    let result = CLIENT.with(|client| {
        RUNTIME.with(|rt| {
            rt.block_on(
                client
                    .simulate_post("/things")
                    .header("content-type", "application/json")
                    .body(body)
                    .send(),
            )
        })
    });
    // The app's default nesting bound (64 levels) refuses what serde would read deeper down.
    let parses = serde_json::from_slice::<SecretThing>(data).is_ok() && json_depth(data) <= 64;
    let status = result.status().as_u16();
    assert_eq!(status, if parses { 200 } else { 400 }, "{}", result.text());
    if status == 400 {
        let text = result.text();
        assert!(
            !text.contains("SecretThing") && !text.contains("HiddenKind"),
            "a type name leaked: {text}"
        );
        assert!(text.len() < 700, "a {}-byte error body", text.len());
    }
}

/// How deeply JSON text nests arrays and objects (brackets outside strings), as a reference for the
/// app's depth bound.
fn json_depth(data: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in data {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'[' || b == b'{' {
            depth += 1;
            deepest = deepest.max(depth);
        } else if b == b']' || b == b'}' {
            depth = depth.saturating_sub(1);
        }
    }
    deepest
}

/// The conditional and proxy headers: `If-Match` / `If-None-Match` parse or refuse with 400, and
/// `check_preconditions` decides without panicking; `Forwarded` and `X-Forwarded-For` give an access
/// route that always ends with the peer.
pub(crate) fn conditional_headers(data: &[u8]) {
    use peregrine::{EntityTag, EntityTags};
    let Ok(text) = std::str::from_utf8(data) else { return };
    if http::HeaderValue::from_str(text).is_err() {
        return;
    }
    let req = create_req(
        "PUT",
        "/",
        &[
            ("if-match", text),
            ("if-none-match", text),
            ("if-unmodified-since", text),
            ("forwarded", text),
            ("x-forwarded-for", text),
        ],
    );
    if let Ok(Some(EntityTags::Tags(tags))) = req.if_match() {
        for tag in &tags {
            assert_eq!(
                EntityTag::parse(&tag.to_string()).as_ref(),
                Some(tag),
                "{tag} does not round-trip"
            );
        }
    }
    let _ = req.if_none_match();
    let _ = req.check_preconditions(Some(&EntityTag::strong("v1")), Some(std::time::SystemTime::UNIX_EPOCH));
    let _ = req.check_preconditions(None, None);
    let _ = req.forwarded();
    let _ = req.scheme();
    let _ = req.port();
    // No proxy is trusted by default, and this request has no peer: nothing the headers say is believed.
    let route = req.access_route();
    assert!(
        route.is_empty(),
        "untrusted forwarding headers were believed: {route:?}"
    );
}

/// A multipart body with tight limits, read part by part: every input is a 200 or a 4xx, never a panic
/// or a 5xx.
#[cfg(feature = "multipart")]
pub(crate) fn multipart_body(data: &[u8]) {
    use peregrine::testing::TestClient;
    use peregrine::{App, Request, Response, Result};

    struct Uploads;

    #[peregrine::resource]
    impl Uploads {
        async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
            let mut multipart = req.multipart()?;
            let mut total = 0;
            while let Some(mut part) = multipart.next_part().await? {
                let _ = (part.name(), part.filename(), part.content_type());
                total += part.bytes().await?.len();
            }
            resp.set_text(total.to_string());
            Ok(())
        }
    }

    thread_local! {
        static RUNTIME: tokio::runtime::Runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        static CLIENT: TestClient = TestClient::new(App::new().add_route("/up", Uploads).req_options(|o| {
            o.max_parts = 4;
            o.max_part_size = Some(256);
            o.max_part_header_size = 128;
            o.max_body_size = 4096;
        }));
    }
    let body = bytes::Bytes::copy_from_slice(data);
    let result = CLIENT.with(|client| {
        RUNTIME.with(|rt| {
            rt.block_on(
                client
                    .simulate_post("/up")
                    .header("content-type", "multipart/form-data; boundary=b")
                    .body(body)
                    .send(),
            )
        })
    });
    let status = result.status().as_u16();
    assert!(
        status == 200 || (400..500).contains(&status),
        "{status}: {}",
        result.text()
    );
}
