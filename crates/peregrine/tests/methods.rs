//! Methods: responders per method and suffix, 405 with Allow, default OPTIONS, HEAD via GET, 501.

mod support;

use std::sync::Arc;

use peregrine::testing::TestClient;
use peregrine::{App, Request, Response, Result, StatusCode};
use support::{Echo, Hello};

struct Users;

#[peregrine::resource]
impl Users {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("list");
        Ok(())
    }

    async fn on_post(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_status(StatusCode::CREATED);
        Ok(())
    }

    async fn on_get_item(&self, req: &mut Request, resp: &mut Response) -> Result {
        let id: u32 = req.field("id")?;
        resp.set_text(format!("user {id}"));
        Ok(())
    }

    async fn on_delete_item(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_status(StatusCode::NO_CONTENT);
        Ok(())
    }
}

struct WithOwnOptionsAndHead;

#[peregrine::resource]
impl WithOwnOptionsAndHead {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("body");
        Ok(())
    }

    async fn on_head(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_header("x-from", "on_head")
    }

    async fn on_options(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_header("x-from", "on_options")
    }
}

fn users_app() -> TestClient {
    let users = Arc::new(Users);
    TestClient::new(App::new().add_route("/users", users.clone()).add_route_with_suffix(
        "/users/{id:int}",
        users,
        "item",
    ))
}

#[tokio::test]
async fn suffixed_responders_serve_their_route() {
    let c = users_app();
    assert_eq!(c.simulate_get("/users").await.text(), "list");
    assert_eq!(c.simulate_get("/users/3").await.text(), "user 3");
    assert_eq!(c.simulate_delete("/users/3").await.status(), 204);
    assert_eq!(c.simulate_post("/users").await.status(), 201);
}

#[tokio::test]
async fn unimplemented_method_is_405_with_allow_in_falcon_order() {
    let c = users_app();
    let r = c.simulate_put("/users").await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, POST, OPTIONS"));
    assert_eq!(r.json::<serde_json::Value>()["title"], "405 Method Not Allowed");
    let r = c.simulate_post("/users/3").await;
    assert_eq!(r.header("allow"), Some("DELETE, GET, HEAD, OPTIONS"));
}

#[tokio::test]
async fn options_is_answered_by_default() {
    let r = users_app().simulate_options("/users").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("allow"), Some("GET, HEAD, POST"));
    assert_eq!(r.header("content-length"), Some("0"));
    assert!(r.content().is_empty());
}

#[tokio::test]
async fn head_is_served_by_get_without_body_but_with_length() {
    let r = TestClient::new(App::new().add_route("/h", Hello))
        .simulate_head("/h")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-length"), Some("5"));
    assert!(r.content().is_empty());
}

#[tokio::test]
async fn own_head_and_options_responders_win() {
    let c = TestClient::new(App::new().add_route("/r", WithOwnOptionsAndHead));
    let head = c.simulate_head("/r").await;
    assert_eq!(head.header("x-from"), Some("on_head"));
    assert!(head.content().is_empty());
    let options = c.simulate_options("/r").await;
    assert_eq!(options.header("x-from"), Some("on_options"));
    assert!(options.header("allow").is_none());
    let r = c.simulate_post("/r").await;
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
}

#[tokio::test]
async fn unrecognized_method_is_501() {
    let r = TestClient::new(App::new().add_route("/e", Echo))
        .simulate_request("PROPFIND", "/e")
        .await;
    assert_eq!(r.status(), 501);
    assert_eq!(r.json::<serde_json::Value>()["title"], "501 Not Implemented");
}

#[test]
fn a_suffix_without_responders_is_refused() {
    let mut app = App::new();
    let err = app
        .try_add_route_with_suffix("/u/{id}", Users, "nope")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no responders for suffix 'nope'"), "{err}");
}

#[tokio::test]
async fn an_authority_form_target_reaches_no_route_not_even_the_root() {
    // RFC 9112 §3.2.3: `host:port` is the target of CONNECT only; it has no path, so `/` does not name it.
    let client = TestClient::new(App::new().add_route("/", Hello).add_route("/{x}", Echo));
    for method in ["GET", "POST", "OPTIONS"] {
        let r = client.simulate_request(method, "t:80").await;
        assert_eq!(r.status(), 400, "{method} t:80: {}", r.text());
        assert_eq!(r.json::<serde_json::Value>()["title"], "Invalid request-target");
    }
    let r = client.simulate_request("CONNECT", "t:80").await;
    assert_eq!(r.status(), 404, "CONNECT names no resource here: {}", r.text());
    client.simulate_get("/").await.assert_status(200);
}

#[tokio::test]
async fn options_asterisk_lists_every_method_some_route_serves() {
    // RFC 9110 §9.3.7: `OPTIONS *` asks about the server, not a resource.
    let app = App::new().add_route("/hello", Hello).add_route("/echo/{x}", Echo);
    let client = TestClient::new(app);
    let r = client.simulate_request("OPTIONS", "*").await;
    r.assert_status(200);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS, POST"));
    assert_eq!(r.header("content-length"), Some("0"));
    let r = client.simulate_request("GET", "*").await;
    assert_eq!(
        r.status(),
        400,
        "only OPTIONS may ask about * (RFC 9112 §3.2.4): {}",
        r.text()
    );
    assert_eq!(r.json::<serde_json::Value>()["title"], "Invalid request-target");
    let r = TestClient::new(App::new()).simulate_request("OPTIONS", "*").await;
    assert_eq!(
        r.header("allow"),
        Some("OPTIONS"),
        "an app with no routes serves only OPTIONS"
    );
}

/// Takes any path under its prefix.
struct Files;

impl peregrine::Sink for Files {
    async fn on_request(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("file");
        Ok(())
    }
}

#[tokio::test]
async fn options_asterisk_counts_what_mounted_apps_and_sinks_serve() {
    let mounted = App::new().add_route("/echo/{x}", Echo);
    let client = TestClient::new(App::new().add_route("/hello", Hello).mount("/api", mounted));
    let r = client.simulate_request("OPTIONS", "*").await;
    assert_eq!(
        r.header("allow"),
        Some("GET, HEAD, OPTIONS, POST"),
        "POST is served under /api: {r:?}"
    );

    let nested = App::new().mount("/v1", App::new().add_route("/echo", Echo));
    let client = TestClient::new(App::new().mount("/api", nested));
    let r = client.simulate_request("OPTIONS", "*").await;
    assert_eq!(
        r.header("allow"),
        Some("GET, HEAD, OPTIONS, POST"),
        "two mounts down: {r:?}"
    );

    let client = TestClient::new(App::new().add_sink(Files, "/files"));
    let r = client.simulate_request("OPTIONS", "*").await;
    assert_eq!(
        r.header("allow"),
        Some("DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"),
        "a sink serves every method but CONNECT and TRACE: {r:?}"
    );
}
