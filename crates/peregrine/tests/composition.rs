//! Composition: reverse routing (url_for) through converters and multi-field segments, route groups, and
//! sub-apps mounted under a prefix with their own middleware and error handlers.

use std::sync::{Arc, Mutex};

use peregrine::testing::TestClient;
use peregrine::{App, HttpError, Middleware, Request, Response, Result, Route};

/// Echoes the route's fields, so a round trip can compare them with what url_for was given.
struct Echo;

#[peregrine::resource]
impl Echo {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        let fields: Vec<String> = req.fields().map(|(n, v)| format!("{n}={v}")).collect();
        resp.set_text(format!("{} [{}]", req.uri_template().unwrap_or("-"), fields.join(", ")));
        Ok(())
    }
}

fn named_app() -> App {
    App::new()
        .add_route("/books/{isbn:int}", Echo)
        .route_name("/books/{isbn:int}", "book")
        .add_route("/files/{name}.{ext}", Echo)
        .route_name("/files/{name}.{ext}", "file")
        .add_route("/tags/{tag}/items/{rest:path}", Echo)
        .route_name("/tags/{tag}/items/{rest:path}", "items")
        .add_route("/", Echo)
        .route_name("/", "home")
}

#[tokio::test]
async fn url_for_round_trips_through_converters_and_multi_field_segments() {
    let app = named_app();
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case<'_>; 4] = [
        ("book", vec![("isbn", "9781")], "/books/9781"),
        (
            "file",
            vec![("ext", "tar"), ("name", "report 2026")],
            "/files/report%202026.tar",
        ),
        (
            "items",
            vec![("tag", "a&b"), ("rest", "x/y z")],
            "/tags/a&b/items/x/y%20z",
        ),
        ("home", vec![], "/"),
    ];
    let mut built = Vec::new();
    for (name, fields, expected) in &cases {
        let path = app.url_for(name, fields).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(path, *expected);
        built.push((path, fields.clone()));
    }
    let client = TestClient::new(app);
    for (path, fields) in built {
        let r = client.simulate_get(&path).await;
        assert_eq!(r.status(), 200, "{path}: {r:?}");
        for (name, value) in fields {
            assert!(
                r.text().contains(&format!("{name}={value}")),
                "{path} lost {name}={value}: {}",
                r.text()
            );
        }
    }
}

#[test]
fn url_for_refuses_what_would_not_route_back() {
    let app = named_app();
    for (name, fields, why) in [
        ("book", vec![("isbn", "abc")], "does not fit field 'isbn'"),
        ("book", vec![], "missing field 'isbn'"),
        ("book", vec![("isbn", "1"), ("page", "2")], "has no field 'page'"),
        ("file", vec![("name", ""), ("ext", "x")], "field 'name' is empty"),
        ("nobody", vec![], "no route is named 'nobody'"),
    ] {
        let e = app.url_for(name, &fields).expect_err(why);
        assert!(e.to_string().contains(why), "{name}: {e}");
    }
}

#[test]
#[should_panic(expected = "the route name 'book' is taken")]
fn a_name_is_given_once() {
    let _ = named_app().add_route("/b/{id}", Echo).route_name("/b/{id}", "book");
}

#[test]
#[should_panic(expected = "mount: the prefix '/' must start with '/' and not be '/' alone")]
fn a_mount_at_the_root_is_refused_naming_the_prefix_given() {
    let _ = App::new().mount("/", App::new());
}

#[test]
#[should_panic(expected = "mount: the prefix '/teams/{id}' holds a field")]
fn a_mount_prefix_with_a_field_is_refused() {
    let _ = App::new().mount("/teams/{id}", App::new().add_route("/", Echo));
}

#[test]
#[should_panic(expected = "the prefix '/api/v2' could never be reached: '/api', mounted earlier")]
fn a_mount_under_an_earlier_mount_is_refused() {
    let _ = App::new().mount("/api", App::new()).mount("/api/v2", App::new());
}

#[test]
#[should_panic(expected = "the prefix '/api/' could never be reached: '/api', mounted earlier")]
fn a_second_mount_at_the_same_prefix_is_refused() {
    let _ = App::new().mount("/api", App::new()).mount("/api/", App::new());
}

#[test]
fn a_route_under_a_mounts_prefix_is_refused() {
    let mut app = App::new().mount("/admin", App::new());
    let e = app
        .try_add_route("/admin/users/{id}", Echo)
        .expect_err("hidden by the mount");
    assert!(
        e.to_string()
            .contains("the app mounted at '/admin' takes every path under it"),
        "{e}"
    );
    app.try_add_route("/administrators", Echo)
        .expect("not under /admin at a segment boundary");
    app.try_add_route("/{section}/users", Echo)
        .expect("only partly under /admin");
}

#[test]
#[should_panic(expected = "mount: the prefix '/admin' would hide '/admin/y', added earlier")]
fn a_mount_over_an_earlier_route_is_refused() {
    let _ = App::new().add_route("/admin/y", Echo).mount("/admin", App::new());
}

#[test]
#[should_panic(expected = "the prefix '/admin/files' could never be reached: the app mounted at '/admin'")]
fn a_sink_under_a_mounts_prefix_is_refused() {
    struct Files;
    impl peregrine::Sink for Files {
        async fn on_request(&self, _req: &mut Request, _resp: &mut Response) -> Result {
            Ok(())
        }
    }
    let _ = App::new().mount("/admin", App::new()).add_sink(Files, "/admin/files");
}

#[tokio::test]
async fn a_longer_prefix_mounted_first_and_a_trailing_slash_both_work() {
    let app = App::new()
        .mount("/api/v2/", App::new().add_route("/echo", Echo))
        .mount("/api", App::new().add_route("/{version}/echo", Echo));
    let client = TestClient::new(app);
    let r = client.simulate_get("/api/v2/echo").await;
    assert_eq!(r.status(), 200, "{r:?}");
    assert_eq!(
        r.text(),
        "/echo []",
        "the longer prefix's app answered, not /api's: {r:?}"
    );
    let r = client.simulate_get("/api/v1/echo").await;
    assert_eq!(r.text(), "/{version}/echo [version=v1]", "{r:?}");
}

struct Created;

#[peregrine::resource]
impl Created {
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let location = req.url_for("thing", &[("id", "42")])?;
        resp.set_status(peregrine::StatusCode::CREATED);
        resp.set_location(location);
        Ok(())
    }

    async fn on_get(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Ok(())
    }
}

fn things_app() -> App {
    App::new()
        .add_route("/things", Created)
        .add_route("/things/{id:int}", Echo)
        .route_name("/things/{id:int}", "thing")
}

#[tokio::test]
async fn a_responder_builds_its_location_with_url_for_also_when_mounted() {
    let r = TestClient::new(things_app()).simulate_post("/things").send().await;
    assert_eq!(r.header("location"), Some("/things/42"), "{r:?}");
    let client = TestClient::new(App::new().mount("/v2", things_app()));
    let r = client.simulate_post("/v2/things").send().await;
    assert_eq!(r.header("location"), Some("/v2/things/42"), "{r:?}");
    let r = client.simulate_get("/v2/things/42").await;
    assert_eq!(
        r.text(),
        "/things/{id:int} [id=42]",
        "the mounted app routes the path below its prefix"
    );
}

type Log = Arc<Mutex<Vec<String>>>;

struct Rec(&'static str, Log);

impl Middleware for Rec {
    async fn process_request(&self, req: &mut Request, _resp: &mut Response) -> Result {
        self.1.lock().unwrap().push(format!(
            "{}:request prefix={:?} relative={}",
            self.0,
            req.prefix(),
            req.relative_uri()
        ));
        Ok(())
    }

    async fn process_resource(&self, _req: &mut Request, _resp: &mut Response, route: &Route) -> Result {
        self.1
            .lock()
            .unwrap()
            .push(format!("{}:resource {}", self.0, route.template));
        Ok(())
    }

    async fn process_response(&self, _req: &mut Request, resp: &mut Response, ok: bool) -> Result {
        self.1
            .lock()
            .unwrap()
            .push(format!("{}:response {} {ok}", self.0, resp.status().as_u16()));
        Ok(())
    }
}

#[derive(Debug)]
struct AdminOnly;

impl std::fmt::Display for AdminOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("admin only")
    }
}

impl std::error::Error for AdminOnly {}

struct Fails;

#[peregrine::resource]
impl Fails {
    async fn on_get(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Err(AdminOnly.into())
    }
}

fn admin(log: &Log) -> App {
    App::new()
        .add_middleware(Rec("admin", log.clone()))
        .add_route("/users/{id}", Echo)
        .add_route("/fails", Fails)
        .add_error_handler(|_e: &AdminOnly, _req, resp| {
            resp.set_error(HttpError::forbidden().with_title("Handled by the admin app"));
        })
}

#[tokio::test]
async fn a_mounted_app_runs_inside_the_parents_middleware_with_its_own() {
    let log = Log::default();
    let app = App::new()
        .add_middleware(Rec("main", log.clone()))
        .mount("/admin", admin(&log));
    let client = TestClient::new(app);

    let r = client.simulate_get("/admin/users/7?full=1").await;
    assert_eq!(r.text(), "/users/{id} [id=7]", "{r:?}");
    assert_eq!(
        std::mem::take(&mut *log.lock().unwrap()),
        [
            "main:request prefix=\"\" relative=/admin/users/7?full=1",
            "admin:request prefix=\"/admin\" relative=/users/7?full=1",
            "admin:resource /users/{id}",
            "admin:response 200 true",
            "main:response 200 true",
        ]
    );

    let r = client.simulate_get("/admin/fails").await;
    assert_eq!(r.status(), 403, "the sub-app's error handler: {r:?}");
    assert!(r.text().contains("Handled by the admin app"));

    let r = client.simulate_get("/administrators").await;
    assert_eq!(r.status(), 404);
    log.lock().unwrap().clear();
    let r = client.simulate_get("/admin").await;
    assert_eq!(r.status(), 404, "the prefix itself is the sub-app's '/': {r:?}");
    assert!(log
        .lock()
        .unwrap()
        .iter()
        .any(|e| e == "admin:request prefix=\"/admin\" relative=/"));
}

#[tokio::test]
async fn mounts_nest() {
    let inner = App::new().add_route("/deep/{x}", Echo);
    let middle = App::new().mount("/b", inner);
    let client = TestClient::new(App::new().mount("/a", middle));
    let r = client.simulate_get("/a/b/deep/1").await;
    assert_eq!(r.text(), "/deep/{x} [x=1]", "{r:?}");
}

#[tokio::test]
async fn groups_prefix_their_templates_and_scope_their_middleware() {
    let log = Log::default();
    let app = App::new().add_route("/health", Echo).group("/api", |api| {
        api.add_middleware(Rec("api", log.clone()))
            .add_route("/users/{id}", Echo)
            .route_name("/users/{id}", "user")
            .group("/v2", |v2| v2.add_route("/", Echo))
    });
    assert_eq!(app.url_for("user", &[("id", "3")]).unwrap(), "/api/users/3");
    let templates: Vec<String> = app.routes().into_iter().map(|r| r.template).collect();
    assert_eq!(templates, ["/health", "/api/users/{id}", "/api/v2"]);
    let client = TestClient::new(app);
    assert_eq!(
        client.simulate_get("/api/users/3").await.text(),
        "/api/users/{id} [id=3]"
    );
    assert_eq!(client.simulate_get("/api/v2").await.status(), 200);
    let got = std::mem::take(&mut *log.lock().unwrap());
    assert_eq!(
        got.iter().filter(|e| e.starts_with("api:request")).count(),
        2,
        "{got:?}"
    );
    client.simulate_get("/health").await;
    assert!(
        log.lock().unwrap().is_empty(),
        "the group's middleware stays in the group"
    );
}

#[tokio::test]
async fn url_for_keeps_dot_segments_and_separators_from_changing_the_route() {
    let app = named_app()
        .add_route("/x/{a}-{b}", Echo)
        .route_name("/x/{a}-{b}", "pair");
    assert_eq!(app.url_for("book", &[("isbn", "1")]).unwrap(), "/books/1");
    let up = app.url_for("items", &[("tag", ".."), ("rest", "a/../b")]).unwrap();
    assert_eq!(up, "/tags/%2E%2E/items/a/%2E%2E/b", "dot segments are encoded whole");
    for (name, fields, why) in [
        ("pair", vec![("a", "1"), ("b", "2-3")], "which ends the field"),
        ("pair", vec![("a", "1-2"), ("b", "3")], "which ends the field"),
        ("file", vec![("name", "a/b"), ("ext", "x")], "holds a '/'"),
        ("items", vec![("tag", "t"), ("rest", "")], "empty segment"),
        ("items", vec![("tag", "t"), ("rest", "/etc")], "empty segment"),
    ] {
        let e = app.url_for(name, &fields).expect_err(why);
        assert!(e.to_string().contains(why), "{name} {fields:?}: {e}");
    }
    let client = TestClient::new(app);
    let r = client.simulate_get(&up).await;
    assert_eq!(r.text(), "/tags/{tag}/items/{rest:path} [tag=.., rest=a/../b]", "{r:?}");
}

struct Deny;

impl Middleware for Deny {
    async fn process_request(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Err(HttpError::unauthorized().into())
    }
}

#[tokio::test]
async fn per_route_middleware_on_a_mounts_prefix_guards_the_mounted_app() {
    let log = Log::default();
    let app = App::new()
        .add_route("/health", Echo)
        .mount("/admin", admin(&log))
        .add_route_middleware(peregrine::RouteSet::all().except(["/health"]), Deny);
    let client = TestClient::new(app);
    let r = client.simulate_get("/admin/users/1").await;
    assert_eq!(r.status(), 401, "{r:?}");
    assert!(
        log.lock().unwrap().is_empty(),
        "the mounted app never ran: {:?}",
        log.lock().unwrap()
    );
    assert_eq!(client.simulate_get("/health").await.status(), 200);
}
