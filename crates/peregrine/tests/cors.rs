//! CORS per the Fetch standard: actual requests (allowed, refused, credentialed), preflights answered from
//! the route's real methods, refused preflights without CORS headers, and `Vary: Origin` wherever the
//! answer depends on the origin.

use peregrine::cors::CorsMiddleware;
use peregrine::testing::{TestClient, TestResult};
use peregrine::{App, HttpError, Request, Response, Result, RouteSet};

struct Things;

#[peregrine::resource]
impl Things {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_header("etag", "\"v1\"")?;
        resp.set_text("things");
        Ok(())
    }

    async fn on_post(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Err(HttpError::forbidden().with_title("Read only").into())
    }
}

fn app(cors: CorsMiddleware) -> TestClient {
    TestClient::new(App::new().add_route("/things", Things).add_middleware(cors))
}

fn cors_headers(r: &TestResult) -> Vec<String> {
    let mut names: Vec<String> = r
        .headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("access-control-"))
        .collect();
    names.sort();
    names
}

fn vary(r: &TestResult) -> String {
    r.headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::test]
async fn cors_enable_allows_any_origin_with_a_star_and_no_vary() {
    let client = TestClient::new(App::new().add_route("/things", Things).cors_enable());
    let r = client
        .simulate_get("/things")
        .header("origin", "https://a.example")
        .await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{r:?}");
    assert_eq!(r.header("access-control-allow-credentials"), None);
    assert_eq!(vary(&r), "", "the answer does not depend on the origin");

    let r = client.simulate_get("/things").await;
    assert!(cors_headers(&r).is_empty(), "no Origin, no CORS: {r:?}");
}

#[tokio::test]
async fn listed_origins_are_echoed_and_others_refused_with_vary_always() {
    let client = app(CorsMiddleware::new().allow_origins(["https://app.example"]));
    let r = client
        .simulate_get("/things")
        .header("origin", "https://app.example")
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example"),
        "{r:?}"
    );
    assert_eq!(vary(&r), "Origin");

    let r = client
        .simulate_get("/things")
        .header("origin", "https://evil.example")
        .await;
    assert!(cors_headers(&r).is_empty(), "{r:?}");
    assert_eq!(
        r.text(),
        "things",
        "the response itself is unchanged; the browser hides it"
    );
    assert_eq!(vary(&r), "Origin");

    let r = client.simulate_get("/things").await;
    assert_eq!(
        vary(&r),
        "Origin",
        "a shared cache must key on Origin even for requests without one"
    );

    let r = client.simulate_get("/things").header("origin", "null").await;
    assert!(cors_headers(&r).is_empty(), "{r:?}");
}

#[tokio::test]
async fn credentials_are_never_answered_with_a_star() {
    let client = app(CorsMiddleware::new().allow_credentials(true));
    let r = client
        .simulate_get("/things")
        .header("origin", "https://a.example")
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://a.example"),
        "{r:?}"
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(vary(&r), "Origin");
}

#[tokio::test]
async fn exposed_headers_and_errors_carry_cors_headers() {
    let client = app(CorsMiddleware::new()
        .allow_origin_if(|o| o.ends_with(".example"))
        .expose_headers(["ETag", "X-Request-Id"]));
    let r = client
        .simulate_get("/things")
        .header("origin", "https://a.example")
        .await;
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("ETag, X-Request-Id"),
        "{r:?}"
    );
    let r = client
        .simulate_post("/things")
        .header("origin", "https://a.example")
        .send()
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://a.example"),
        "{r:?}"
    );
    let r = client
        .simulate_get("/things")
        .header("origin", "https://a.example.org")
        .await;
    assert!(cors_headers(&r).is_empty(), "the predicate refused it: {r:?}");
}

#[tokio::test]
async fn a_preflight_is_answered_from_the_routes_real_methods() {
    let client = app(CorsMiddleware::new().allow_origins(["https://app.example"]));
    let r = client
        .simulate_options("/things")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "Content-Type, X-Token")
        .await;
    assert_eq!(r.status(), 204, "{r:?}");
    assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example"));
    assert_eq!(r.header("access-control-allow-methods"), Some("GET, HEAD, POST"));
    assert_eq!(r.header("access-control-allow-headers"), Some("content-type, x-token"));
    assert_eq!(r.header("access-control-max-age"), Some("86400"));
    assert_eq!(
        r.header("access-control-expose-headers"),
        None,
        "exposing is for actual responses"
    );
    let vary = vary(&r);
    for field in [
        "Origin",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
    ] {
        assert!(vary.contains(field), "Vary lacks {field}: {vary}");
    }
}

#[tokio::test]
async fn refused_preflights_get_no_cors_headers() {
    let client = app(CorsMiddleware::new()
        .allow_origins(["https://app.example"])
        .allow_headers(["content-type"]));
    let preflight = |origin: &'static str, method: &'static str, headers: &'static str| {
        let client = &client;
        async move {
            client
                .simulate_options("/things")
                .header("origin", origin)
                .header("access-control-request-method", method)
                .header("access-control-request-headers", headers)
                .await
        }
    };
    let ok = preflight("https://app.example", "POST", "content-type").await;
    assert_eq!(ok.status(), 204, "{ok:?}");
    for (why, r) in [
        (
            "origin",
            preflight("https://evil.example", "POST", "content-type").await,
        ),
        (
            "method",
            preflight("https://app.example", "DELETE", "content-type").await,
        ),
        ("header", preflight("https://app.example", "POST", "x-token").await),
    ] {
        assert!(cors_headers(&r).is_empty(), "refused by {why}, yet: {r:?}");
        assert_eq!(r.status(), 200, "the route's own OPTIONS answer: {r:?}");
        assert_eq!(r.header("allow"), Some("GET, HEAD, POST"));
    }
    let r = client
        .simulate_options("/nowhere")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .await;
    assert_eq!(r.status(), 404);
    assert!(cors_headers(&r).is_empty(), "{r:?}");
}

#[tokio::test]
async fn cors_can_be_attached_to_some_routes() {
    let client = TestClient::new(
        App::new()
            .add_route("/things", Things)
            .add_route("/private", Things)
            .add_route_middleware(RouteSet::template("/things"), CorsMiddleware::new()),
    );
    let r = client
        .simulate_get("/things")
        .header("origin", "https://a.example")
        .await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let r = client
        .simulate_get("/private")
        .header("origin", "https://a.example")
        .await;
    assert!(cors_headers(&r).is_empty(), "{r:?}");
}

#[tokio::test]
async fn the_null_origin_needs_a_list_and_bad_header_names_fail_the_preflight() {
    let any = app(CorsMiddleware::new().allow_credentials(true));
    let r = any.simulate_get("/things").header("origin", "null").await;
    assert!(cors_headers(&r).is_empty(), "{r:?}");
    let listed = app(CorsMiddleware::new().allow_origins(["null"]));
    let r = listed.simulate_get("/things").header("origin", "null").await;
    assert_eq!(r.header("access-control-allow-origin"), Some("null"));
    let r = any
        .simulate_options("/things")
        .header("origin", "https://a.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "x(y), <script>")
        .await;
    assert!(cors_headers(&r).is_empty(), "{r:?}");
}
