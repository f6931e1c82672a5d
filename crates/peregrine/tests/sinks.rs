//! Sinks: every method under a prefix, after routes, the last added first; process_resource and per-route
//! middleware see them as routes.

use std::sync::{Arc, Mutex};

use peregrine::testing::TestClient;
use peregrine::{App, Middleware, Request, Response, Result, Route, RouteSet, Sink, StatusCode};

struct Named(&'static str);

impl Sink for Named {
    async fn on_request(&self, req: &mut Request, resp: &mut Response) -> Result {
        let fields: Vec<String> = req.fields().map(|(n, v)| format!("{n}={v}")).collect();
        resp.set_text(format!(
            "{} {} {} [{}]",
            self.0,
            req.method(),
            req.uri_template().unwrap_or("-"),
            fields.join(",")
        ));
        Ok(())
    }
}

struct Only;

#[peregrine::resource]
impl Only {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("route");
        Ok(())
    }
}

#[tokio::test]
async fn a_sink_takes_every_method_under_its_prefix() {
    let client = TestClient::new(App::new().add_sink(Named("proxy"), "/proxy/"));
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"] {
        let r = client.simulate_request(method, "/proxy/a/b").await;
        assert_eq!(r.status(), StatusCode::OK, "{method}: {r:?}");
        if method != "HEAD" {
            assert_eq!(r.text(), format!("proxy {method} /proxy []"), "{r:?}");
        }
    }
    assert_eq!(client.simulate_get("/proxy").await.status(), StatusCode::OK);
    assert_eq!(client.simulate_get("/proxyish").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(client.simulate_get("/").await.status(), StatusCode::NOT_FOUND);
    let r = client.simulate_request("PURGE", "/proxy/x").await;
    assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED, "{r:?}");
}

#[tokio::test]
async fn routes_mask_sinks_and_later_sinks_win() {
    let app = App::new()
        .add_sink(Named("everything"), "/")
        .add_route("/books/{id}", Only)
        .add_sink(Named("books"), "/books");
    let client = TestClient::new(app);
    assert_eq!(client.simulate_get("/books/1").await.text(), "route");
    // The route matched the path: its 405 stands, the sink is not asked.
    assert_eq!(
        client.simulate_post("/books/1").send().await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        client.simulate_get("/books/1/cover").await.text(),
        "books GET /books []"
    );
    assert_eq!(client.simulate_get("/books").await.text(), "books GET /books []");
    assert_eq!(client.simulate_get("/other").await.text(), "everything GET / []");
}

#[cfg(feature = "re")]
#[tokio::test]
async fn a_pattern_sink_matches_at_the_start_with_named_groups_as_fields() {
    let app = App::new().add_sink_pattern(Named("re"), r"/v(?P<version>\d+)/(?P<kind>[a-z]+)");
    let client = TestClient::new(app);
    let r = client.simulate_get("/v2/books/9").await;
    assert_eq!(
        r.text(),
        r"re GET /v(?P<version>\d+)/(?P<kind>[a-z]+) [version=2,kind=books]"
    );
    // As Falcon's re.match: anchored at the start only, so a longer first segment still matches.
    assert_eq!(client.simulate_get("/v2/booksellers").await.status(), StatusCode::OK);
    assert_eq!(
        client.simulate_get("/api/v2/books").await.status(),
        StatusCode::NOT_FOUND
    );
}

type Log = Arc<Mutex<Vec<String>>>;

struct Seen(&'static str, Log);

impl Middleware for Seen {
    async fn process_resource(&self, _req: &mut Request, _resp: &mut Response, route: &Route) -> Result {
        let resource = route.resource.rsplit("::").next().unwrap_or("-");
        self.1.lock().unwrap().push(format!(
            "{}: {} {resource} {:?}",
            self.0,
            route.template,
            route.methods.len()
        ));
        Ok(())
    }
}

#[tokio::test]
async fn process_resource_and_route_middleware_run_for_sinks() {
    let log = Log::default();
    let app = App::new()
        .add_sink(Named("files"), "/files")
        .add_middleware(Seen("app", log.clone()))
        .add_route_middleware(RouteSet::prefix("/files"), Seen("route", log.clone()));
    let r = TestClient::new(app).simulate_put("/files/x").send().await;
    assert_eq!(r.status(), StatusCode::OK, "{r:?}");
    assert_eq!(*log.lock().unwrap(), ["app: /files Named 7", "route: /files Named 7"]);
}

#[tokio::test]
async fn sinks_refuse_connect_and_trace_and_can_be_named_in_route_sets() {
    let app = App::new()
        .add_sink(Named("s"), "/s")
        .add_route_middleware(RouteSet::template("/s"), Seen("route", Log::default()));
    let client = TestClient::new(app);
    for method in ["CONNECT", "TRACE"] {
        let r = client.simulate_request(method, "/s/x").await;
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}: {r:?}");
        let allow = r.header("allow").unwrap_or_default().to_owned();
        assert!(!allow.contains("CONNECT") && !allow.contains("TRACE"), "{allow}");
    }
}

#[tokio::test]
async fn a_catch_all_sink_does_not_take_the_asterisk_form() {
    let client = TestClient::new(App::new().add_sink(Named("all"), "/"));
    let r = client.simulate_request("GET", "*").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "only OPTIONS may use `*`: {r:?}");
    let r = client.simulate_request("OPTIONS", "*").await;
    assert_eq!(r.status(), StatusCode::OK, "{r:?}");
    assert!(r.header("allow").is_some(), "the server-wide OPTIONS answer: {r:?}");
    assert_eq!(r.text(), "", "not the sink's answer: {r:?}");
    assert_eq!(client.simulate_get("/x").await.text(), "all GET / []");
}

#[cfg(feature = "re")]
#[tokio::test]
async fn a_pattern_sink_in_a_mounted_app_reads_empty_fields_at_the_prefix() {
    let mounted = App::new().add_sink_pattern(Named("re"), "/(?P<rest>.*)");
    let client = TestClient::new(App::new().mount("/admin", mounted));
    let r = client.simulate_get("/admin/users").await;
    assert_eq!(r.text(), "re GET /(?P<rest>.*) [rest=users]", "{r:?}");
    let r = client.simulate_get("/admin/").await;
    assert_eq!(r.text(), "re GET /(?P<rest>.*) [rest=]", "{r:?}");
    // The path is the prefix itself: the sink matched `/`, which the path does not hold.
    let r = client.simulate_get("/admin").await;
    assert_eq!(r.status(), StatusCode::OK, "{r:?}");
    assert_eq!(r.text(), "re GET /(?P<rest>.*) [rest=]", "{r:?}");
    let whole = App::new().add_sink_pattern(Named("whole"), "(?P<all>/.*)");
    let client = TestClient::new(App::new().mount("/b", whole));
    assert_eq!(client.simulate_get("/b").await.text(), "whole GET (?P<all>/.*) [all=]");
    assert_eq!(
        client.simulate_get("/b/c").await.text(),
        "whole GET (?P<all>/.*) [all=/c]"
    );
}

struct Field;

#[peregrine::resource]
impl Field {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text(format!("[{}]", req.field_str("rest").unwrap_or("none")));
        Ok(())
    }
}

#[tokio::test]
async fn a_mounted_app_answers_its_bare_prefix_as_a_top_level_app_answers_the_root() {
    let mounted = App::new().add_route("/{rest:path}", Field);
    let client = TestClient::new(App::new().mount("/files", mounted));
    assert_eq!(client.simulate_get("/files/a/b").await.text(), "[a/b]");
    // The path is the prefix itself: the mounted app answers it as a top-level app answers `/`.
    let top = TestClient::new(App::new().add_route("/{rest:path}", Field));
    let (at_prefix, at_root) = (client.simulate_get("/files").await, top.simulate_get("/").await);
    assert_eq!(at_prefix.status(), at_root.status(), "{at_prefix:?} {at_root:?}");
    assert_eq!(at_prefix.text(), at_root.text(), "{at_prefix:?} {at_root:?}");
}
