//! Conditional requests through the test client (RFC 9110 §13): the pipeline's automatic 304 on GET/HEAD,
//! and `check_preconditions` stopping an unsafe method with 412 before it changes anything.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use peregrine::testing::TestClient;
use peregrine::{App, EntityTag, EntityTags, Request, Response, Result, StatusCode};

/// A stored text with a version; GET sends it with an ETag and Last-Modified, PUT replaces it when the
/// request's conditions hold.
struct Doc {
    state: Mutex<(String, u32)>,
}

fn modified() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn tag(version: u32) -> EntityTag {
    EntityTag::strong(format!("v{version}"))
}

#[peregrine::resource]
impl Doc {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        let (text, version) = self.state.lock().unwrap().clone();
        resp.set_etag(&tag(version));
        resp.set_last_modified(modified());
        resp.set_cache_control("max-age=60")?;
        resp.set_text(text);
        Ok(())
    }

    async fn on_put(&self, req: &mut Request, resp: &mut Response) -> Result {
        let current = self.state.lock().unwrap().1;
        req.check_preconditions(Some(&tag(current)), Some(modified()))?;
        let text = req.text().await?;
        let mut state = self.state.lock().unwrap();
        *state = (text, state.1 + 1);
        resp.set_etag(&tag(state.1));
        resp.set_status(StatusCode::NO_CONTENT);
        Ok(())
    }
}

fn client() -> TestClient {
    TestClient::new(App::new().add_route(
        "/doc",
        Doc {
            state: Mutex::new(("first".into(), 1)),
        },
    ))
}

#[tokio::test]
async fn a_repeated_get_is_304_with_its_validators_and_no_body() {
    let client = client();
    let first = client.simulate_get("/doc").await;
    assert_eq!(first.status(), 200);
    let etag = first.header("etag").unwrap().to_owned();
    assert_eq!(etag, "\"v1\"");
    let again = client.simulate_get("/doc").header("if-none-match", &etag).await;
    assert_eq!(again.status(), 304, "{}", again.text());
    assert!(again.content().is_empty());
    assert_eq!(again.header("etag"), Some("\"v1\""));
    assert_eq!(again.header("cache-control"), Some("max-age=60"));
    assert_eq!(again.header("content-type"), None);
    // Weak comparison for If-None-Match; HEAD too.
    let weak = client.simulate_head("/doc").header("if-none-match", "W/\"v1\"").await;
    assert_eq!(weak.status(), 304);
    let other = client
        .simulate_get("/doc")
        .header("if-none-match", "\"v0\", \"v9\"")
        .await;
    assert_eq!(other.status(), 200);
    assert_eq!(other.text(), "first");
}

#[tokio::test]
async fn if_modified_since_and_its_precedence() {
    let client = client();
    let date = httpdate::fmt_http_date(modified());
    let r = client.simulate_get("/doc").header("if-modified-since", &date).await;
    assert_eq!(r.status(), 304);
    let earlier = httpdate::fmt_http_date(modified() - Duration::from_secs(1));
    let r = client.simulate_get("/doc").header("if-modified-since", &earlier).await;
    assert_eq!(r.status(), 200);
    // If-None-Match wins: a differing tag means 200 even though the date would say 304.
    let r = client
        .simulate_get("/doc")
        .header("if-none-match", "\"v0\"")
        .header("if-modified-since", &date)
        .await;
    assert_eq!(r.status(), 200);
    // An unparseable date is ignored.
    let r = client
        .simulate_get("/doc")
        .header("if-modified-since", "last tuesday")
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_failed_if_match_on_get_is_412() {
    let r = client().simulate_get("/doc").header("if-match", "\"v0\"").await;
    assert_eq!(r.status(), 412, "{}", r.text());
}

#[tokio::test]
async fn a_put_with_a_stale_tag_is_412_and_changes_nothing() {
    let client = client();
    let stale = client
        .simulate_put("/doc")
        .header("if-match", "\"v0\"")
        .body("second")
        .await;
    assert_eq!(stale.status(), 412, "{}", stale.text());
    assert_eq!(client.simulate_get("/doc").await.text(), "first");
    // A weak tag never satisfies If-Match (strong comparison).
    let weak = client
        .simulate_put("/doc")
        .header("if-match", "W/\"v1\"")
        .body("second")
        .await;
    assert_eq!(weak.status(), 412);
    let fresh = client
        .simulate_put("/doc")
        .header("if-match", "\"v1\"")
        .body("second")
        .await;
    assert_eq!(fresh.status(), 204, "{}", fresh.text());
    assert_eq!(fresh.header("etag"), Some("\"v2\""));
    assert_eq!(client.simulate_get("/doc").await.text(), "second");
    // If-Unmodified-Since in the past fails too.
    let old = httpdate::fmt_http_date(modified() - Duration::from_secs(60));
    let r = client
        .simulate_put("/doc")
        .header("if-unmodified-since", &old)
        .body("third")
        .await;
    assert_eq!(r.status(), 412);
    // If-None-Match: * on an existing resource fails for PUT ("create only if absent").
    let r = client.simulate_put("/doc").header("if-none-match", "*").body("x").await;
    assert_eq!(r.status(), 412);
    assert_eq!(client.simulate_get("/doc").await.text(), "second");
}

#[tokio::test]
async fn the_getters_parse_and_refuse_garbage() {
    struct Tags;
    #[peregrine::resource]
    impl Tags {
        async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
            let m = req.if_match()?;
            let n = req.if_none_match()?;
            resp.set_text(format!("{m:?} {n:?}"));
            Ok(())
        }
    }
    let client = TestClient::new(App::new().add_route("/t", Tags));
    let r = client
        .simulate_get("/t")
        .header("if-match", "*")
        .header("if-none-match", "W/\"a\", \"b\"")
        .await;
    let expected = format!(
        "{:?} {:?}",
        Some(EntityTags::Any),
        Some(EntityTags::Tags(vec![EntityTag::weak("a"), EntityTag::strong("b")]))
    );
    assert_eq!(r.text(), expected);
    let bad = client.simulate_get("/t").header("if-match", "unquoted").await;
    assert_eq!(bad.status(), 400, "{}", bad.text());
}

/// Sets a body, its validators and `Accept-Ranges`, and then an error (`?then=set`) or returns one after
/// setting headers that describe the body (`?then=fail`).
struct Fails;

#[peregrine::resource]
impl Fails {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("x".repeat(3000));
        resp.set_etag(&tag(1));
        resp.set_accept_ranges("bytes")?;
        resp.set_header("content-encoding", "gzip")?;
        resp.set_header("content-length", "3000")?;
        resp.set_header("x-kept", "yes")?;
        if req.get_param("then") == Some("set") {
            resp.set_error(peregrine::HttpError::not_found());
            return Ok(());
        }
        Err(peregrine::HttpError::not_found().into())
    }
}

#[tokio::test]
async fn an_error_is_never_turned_into_304_or_206_and_drops_the_bodys_headers() {
    let client = TestClient::new(App::new().add_route("/fails", Fails));
    for then in ["set", "fail"] {
        let path = format!("/fails?then={then}");
        let r = client.simulate_get(&path).header("if-none-match", "\"v1\"").await;
        assert_eq!(r.status(), 404, "{then}: {}", r.text());
        let r = client.simulate_get(&path).header("range", "bytes=0-4").await;
        assert_eq!(r.status(), 404, "{then}");
        for gone in ["content-range", "content-encoding", "etag", "accept-ranges"] {
            assert_eq!(r.header(gone), None, "{then}: {gone}");
        }
        assert_eq!(
            r.header("content-length"),
            Some(r.content().len().to_string().as_str()),
            "{then}"
        );
        assert_eq!(
            r.header("x-kept"),
            Some("yes"),
            "{then}: other headers stay, as in Falcon"
        );
    }
}
