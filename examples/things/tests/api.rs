//! The things API through the test client.

use std::sync::Arc;

use peregrine::testing::TestClient;
use serde_json::{json, Value};
use things::{app, Storage, Thing};

fn client() -> (TestClient, Arc<Storage>) {
    let storage = Arc::new(Storage::default());
    (TestClient::new(app(storage.clone())), storage)
}

#[tokio::test]
async fn quickstart_quote() {
    let (c, _) = client();
    let r = c.simulate_get("/things").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().contains("Immanuel Kant"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
}

#[tokio::test]
async fn missing_token_is_401_with_title_and_description() {
    let (c, _) = client();
    let r = c.simulate_get("/7/things").await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.header("www-authenticate"), Some("Token"));
    assert_eq!(
        r.json::<Value>(),
        json!({"title": "Auth token required", "description": "Please provide an auth token as part of the request."})
    );
}

#[tokio::test]
async fn post_then_list_with_marker_and_limit() {
    let (c, _) = client();
    for name in ["cup", "saucer", "kettle"] {
        let r = c
            .simulate_post("/7/things")
            .header("x-auth-token", "t")
            .json(&json!({ "name": name }))
            .await;
        assert_eq!(r.status(), 201, "{}", r.text());
        let thing: Thing = r.json();
        assert_eq!(r.header("location"), Some(format!("/7/things/{}", thing.id).as_str()));
    }
    let r = c
        .simulate_get("/7/things")
        .header("x-auth-token", "t")
        .params(&[("marker", "1"), ("limit", "1")])
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("powered-by"), Some("Peregrine"));
    let names: Vec<String> = r.json::<Vec<Thing>>().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["saucer"]);
    let other_user = c.simulate_get("/8/things").header("x-auth-token", "t").await;
    assert_eq!(other_user.json::<Vec<Thing>>(), vec![]);
}

#[tokio::test]
async fn bad_limit_is_400_naming_it() {
    let (c, _) = client();
    let r = c.simulate_get("/7/things?limit=1000").header("x-auth-token", "t").await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>()["title"], "Invalid parameter");
    assert!(r.text().contains("limit"));
}

#[tokio::test]
async fn messagepack_in_and_out() {
    let (c, _) = client();
    let body = rmp_serde::to_vec_named(&serde_json::json!({"name": "kettle"})).unwrap();
    let r = c
        .simulate_post("/7/things")
        .header("x-auth-token", "t")
        .header("content-type", "application/msgpack")
        .header("accept", "application/msgpack")
        .body(body)
        .await;
    assert_eq!(r.status(), 201, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/msgpack"));
    let thing: Value = rmp_serde::from_slice(r.content()).unwrap();
    assert_eq!(thing["name"], "kettle");
    let listed = c
        .simulate_get("/7/things")
        .header("x-auth-token", "t")
        .header("accept", "application/msgpack;q=0.9, application/json;q=0.5")
        .await;
    assert_eq!(listed.header("content-type"), Some("application/msgpack"));
    assert_eq!(listed.header("vary"), Some("Accept"));
    let json = c.simulate_get("/7/things").header("x-auth-token", "t").await;
    assert_eq!(json.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn a_repeated_get_with_its_etag_is_304_until_something_changes() {
    let (c, _) = client();
    let first = c.simulate_get("/7/things").header("x-auth-token", "t").await;
    let etag = first.header("etag").expect("a listing carries an ETag").to_owned();
    let again = c
        .simulate_get("/7/things")
        .header("x-auth-token", "t")
        .header("if-none-match", &etag)
        .await;
    assert_eq!(again.status(), 304, "{}", again.text());
    assert!(again.content().is_empty());
    let added = c
        .simulate_post("/7/things")
        .header("x-auth-token", "t")
        .json(&serde_json::json!({"name": "cup"}))
        .await;
    assert_eq!(added.status(), 201);
    let changed = c
        .simulate_get("/7/things")
        .header("x-auth-token", "t")
        .header("if-none-match", &etag)
        .await;
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn clients_that_refuse_json_get_406() {
    let (c, _) = client();
    let r = c
        .simulate_get("/7/things")
        .header("x-auth-token", "t")
        .header("accept", "text/html, application/problem+json;q=0.1")
        .await;
    assert_eq!(r.status(), 406);
    assert!(r.text().contains("application/msgpack"), "{}", r.text());
}

#[tokio::test]
async fn non_json_bodies_get_415() {
    let (c, _) = client();
    let r = c
        .simulate_post("/7/things")
        .header("x-auth-token", "t")
        .header("content-type", "text/plain")
        .body("cup")
        .await;
    assert_eq!(r.status(), 415);
}

#[tokio::test]
async fn empty_name_is_400_and_malformed_json_too() {
    let (c, _) = client();
    let post = |body: &'static str| {
        c.simulate_post("/7/things")
            .header("x-auth-token", "t")
            .header("content-type", "application/json")
            .body(body)
    };
    assert_eq!(post(r#"{"name": " "}"#).await.json::<Value>()["title"], "Missing thing");
    assert_eq!(post(r#"{"name": "#).await.json::<Value>()["title"], "Invalid JSON");
}

#[tokio::test]
async fn bodies_over_64k_are_413() {
    let (c, _) = client();
    let name = "x".repeat(70 * 1024);
    let r = c
        .simulate_post("/7/things")
        .header("x-auth-token", "t")
        .json(&json!({ "name": name }))
        .await;
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn storage_failure_is_a_friendly_503() {
    let (c, storage) = client();
    storage.set_down(true);
    let r = c.simulate_get("/7/things").header("x-auth-token", "t").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.header("retry-after"), Some("30"));
    assert_eq!(r.json::<Value>()["title"], "Service Outage");
    storage.set_down(false);
    assert_eq!(
        c.simulate_get("/7/things").header("x-auth-token", "t").await.status(),
        200
    );
}

#[tokio::test]
async fn user_id_zero_is_not_a_route() {
    let (c, _) = client();
    assert_eq!(
        c.simulate_get("/0/things").header("x-auth-token", "t").await.status(),
        404
    );
}

#[tokio::test]
async fn searches_go_through_the_sink() {
    let (c, _) = client();
    let r = c.simulate_get("/search/ddg").param("q", "falcon & rust").await;
    assert_eq!(r.status(), 307, "{r:?}");
    assert_eq!(
        r.header("location"),
        Some("https://duckduckgo.com/?q=falcon%20%26%20rust")
    );
    let r = c.simulate_post("/search/y?q=a").send().await;
    assert_eq!(r.status(), 307, "a sink takes every method: {r:?}");
    let r = c.simulate_get("/search/altavista?q=a").await;
    assert_eq!(r.status(), 404, "{r:?}");
    assert_eq!(r.json::<Value>()["title"], "Unknown search engine");
}

#[tokio::test]
async fn the_docs_page_is_a_static_route_with_cors() {
    let (c, _) = client();
    let r = c.simulate_get("/docs/").header("origin", "https://example.org").await;
    assert_eq!(r.status(), 200, "{r:?}");
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert!(r.text().contains("<h1>Things API</h1>"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let etag = r.header("etag").unwrap().to_owned();
    let r = c.simulate_get("/docs/index.html").header("if-none-match", &etag).await;
    assert_eq!(r.status(), 304, "{r:?}");
    assert_eq!(
        c.simulate_get("/docs/style.css").await.header("content-type"),
        Some("text/css")
    );
    assert_eq!(c.simulate_get("/docs/../Cargo.toml").await.status(), 404);
}

#[tokio::test]
async fn a_browser_may_post_things_from_another_origin() {
    let (c, _) = client();
    let r = c
        .simulate_options("/7/things")
        .header("origin", "https://example.org")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, x-auth-token")
        .await;
    assert_eq!(r.status(), 204, "{r:?}");
    assert_eq!(r.header("access-control-allow-methods"), Some("GET, HEAD, POST"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("content-type, x-auth-token")
    );
}
