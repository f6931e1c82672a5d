//! Response: status, headers, bodies (text, data, media, stream), Location, cookies, Content-Length.

use peregrine::testing::TestClient;
use peregrine::{App, Request, Response, Result, StatusCode};
use serde_json::json;

struct Kinds;

#[peregrine::resource]
impl Kinds {
    async fn on_get_text(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("héllo");
        Ok(())
    }

    async fn on_get_data(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_data(vec![0u8, 1, 2]);
        Ok(())
    }

    async fn on_get_media(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_status(StatusCode::ACCEPTED);
        resp.set_media(&json!({"ok": true}))
    }

    async fn on_get_stream(&self, _req: &mut Request, resp: &mut Response) -> Result {
        let chunks = ["a", "b", "c"].map(|c| Ok::<_, std::io::Error>(bytes::Bytes::from(c)));
        resp.set_stream(stream_of(chunks));
        Ok(())
    }

    async fn on_get_headers(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_header("x-one", "1")?;
        resp.append_header("x-many", "a")?;
        resp.append_header("x-many", "b")?;
        resp.set_header("x-gone", "soon")?;
        resp.delete_header("x-gone");
        resp.set_content_type("application/vnd.example+json");
        resp.set_data(&b"{}"[..]);
        Ok(())
    }

    async fn on_get_bad_header(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_header("x-evil", "a\r\nSet-Cookie: stolen=1")?;
        Ok(())
    }

    async fn on_post_location(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_status(StatusCode::CREATED);
        resp.set_location("/things/a b");
        Ok(())
    }

    async fn on_get_cookies(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_cookie(
            peregrine::cookie::Cookie::build(("session", "abc"))
                .http_only(true)
                .path("/"),
        )?;
        resp.unset_cookie("old", "/")
    }

    async fn on_get_bad_cookie(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_cookie(peregrine::cookie::Cookie::build(("s", "v")).path("/a\r\nX-Injected: yes"))
    }

    async fn on_get_empty(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_status(StatusCode::NO_CONTENT);
        resp.set_text("ignored");
        Ok(())
    }
}

/// A stream over an array, without pulling in a stream utility crate.
fn stream_of<T: Unpin + Send + 'static, const N: usize>(
    items: [T; N],
) -> impl futures_core::Stream<Item = T> + Send + 'static {
    struct Iter<T>(std::vec::IntoIter<T>);
    impl<T: Unpin> futures_core::Stream for Iter<T> {
        type Item = T;
        fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<T>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    Iter(Vec::from(items).into_iter())
}

fn client() -> TestClient {
    let mut app = App::new();
    for suffix in [
        "text",
        "data",
        "media",
        "stream",
        "headers",
        "bad_header",
        "location",
        "cookies",
        "bad_cookie",
        "empty",
    ] {
        app = app.add_route_with_suffix(&format!("/{suffix}"), std::sync::Arc::new(Kinds), suffix);
    }
    TestClient::new(app)
}

#[tokio::test]
async fn text_sets_type_and_length() {
    let r = client().simulate_get("/text").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("content-length"), Some("6"));
    assert_eq!(r.text(), "héllo");
}

#[tokio::test]
async fn data_is_octet_stream() {
    let r = client().simulate_get("/data").await;
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.content().as_ref(), &[0, 1, 2]);
}

#[tokio::test]
async fn media_is_json_with_the_status_set() {
    let r = client().simulate_get("/media").await;
    assert_eq!(r.status(), 202);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json::<serde_json::Value>(), json!({"ok": true}));
}

#[tokio::test]
async fn stream_has_no_length_and_all_chunks() {
    let r = client().simulate_get("/stream").await;
    assert_eq!(r.text(), "abc");
    assert!(r.header("content-length").is_none());
}

#[tokio::test]
async fn headers_set_append_delete() {
    let r = client().simulate_get("/headers").await;
    assert_eq!(r.header("x-one"), Some("1"));
    let many: Vec<_> = r
        .headers()
        .get_all("x-many")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(many, ["a", "b"]);
    assert!(r.header("x-gone").is_none());
    assert_eq!(r.header("content-type"), Some("application/vnd.example+json"));
}

#[tokio::test]
async fn header_value_with_crlf_is_refused_as_a_500() {
    let r = client().simulate_get("/bad_header").await;
    assert_eq!(r.status(), 500);
    assert!(r.header("x-evil").is_none());
    assert!(r.cookie("stolen").is_none());
}

#[tokio::test]
async fn location_is_encoded() {
    let r = client().simulate_post("/location").await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.header("location"), Some("/things/a%20b"));
}

#[tokio::test]
async fn cookies_set_and_unset() {
    let r = client().simulate_get("/cookies").await;
    let session = r.cookie("session").unwrap();
    assert_eq!(session.value(), "abc");
    assert_eq!(session.http_only(), Some(true));
    let old = r.cookie("old").unwrap();
    assert!(old.expires_datetime().unwrap() < time::OffsetDateTime::now_utc());
}

#[tokio::test]
async fn a_cookie_with_control_characters_is_a_500_not_a_silent_drop() {
    let r = client().simulate_get("/bad_cookie").await;
    assert_eq!(r.status(), 500, "{}", r.text());
    assert!(r.header("set-cookie").is_none());
    assert!(r.header("x-injected").is_none());
    assert!(
        !r.text().contains("control"),
        "the detail stays in the log: {}",
        r.text()
    );
}

#[tokio::test]
async fn no_content_sends_no_body_and_no_length() {
    let r = client().simulate_get("/empty").await;
    assert_eq!(r.status(), 204);
    assert!(r.content().is_empty());
    assert!(r.header("content-length").is_none());
    assert!(r.header("content-type").is_none(), "no content, so no type: {r:?}");
}

struct ResetContent;

#[peregrine::resource]
impl ResetContent {
    async fn on_post(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_status(StatusCode::RESET_CONTENT);
        resp.set_text("form cleared");
        Ok(())
    }
}

#[tokio::test]
async fn reset_content_sends_no_content_and_a_zero_length() {
    let client = TestClient::new(App::new().add_route("/form", ResetContent));
    let r = client.simulate_post("/form").send().await;
    assert_eq!(r.status(), StatusCode::RESET_CONTENT, "{r:?}");
    assert!(r.content().is_empty(), "RFC 9110 §15.3.6: no content in a 205: {r:?}");
    assert_eq!(r.header("content-length"), Some("0"), "{r:?}");
    assert!(r.header("content-type").is_none(), "no content, so no type: {r:?}");
}

struct FailsMidway;

#[peregrine::resource]
impl FailsMidway {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        let chunks: [std::result::Result<bytes::Bytes, std::io::Error>; 3] = [
            Ok(bytes::Bytes::from_static(b"c0")),
            Ok(bytes::Bytes::from_static(b"c1")),
            Err(std::io::Error::other("the source went away")),
        ];
        resp.set_stream(stream_of(chunks));
        Ok(())
    }
}

#[tokio::test]
async fn the_test_client_keeps_what_a_failing_stream_sent_and_says_why_it_ended() {
    let r = TestClient::new(App::new().add_route("/fails", FailsMidway))
        .simulate_get("/fails")
        .await;
    assert_eq!(r.status(), 200, "{r:?}");
    assert_eq!(r.text(), "c0c1", "{r:?}");
    assert_eq!(r.body_error(), Some("the source went away"), "{r:?}");
    assert!(
        r.to_string().ends_with("[body ended early: the source went away]"),
        "{r}"
    );
    let complete = client().simulate_get("/empty").await;
    assert_eq!(complete.body_error(), None, "a complete body: {complete:?}");
}
