//! Routing through the App: templates, converters, precedence, conflicts, inspection.

mod support;

use peregrine::routing::{Converter, FieldValue};
use peregrine::testing::TestClient;
use peregrine::App;
use support::{Echo, Hello};

async fn text(client: &TestClient, path: &str) -> (u16, String) {
    let r = client.simulate_get(path).await;
    (r.status().as_u16(), r.text())
}

#[tokio::test]
async fn literal_and_field_segments() {
    let c = TestClient::new(App::new().add_route("/users/{id}/things", Echo));
    assert_eq!(
        text(&c, "/users/42/things").await,
        (200, "GET /users/{id}/things id=42".into())
    );
}

#[tokio::test]
async fn several_fields_in_one_segment() {
    let c = TestClient::new(
        App::new()
            .add_route("/files/{name}.{ext}", Echo)
            .add_route("/repos/{org}/{repo}/compare/{usr0}:{branch0}...{usr1}:{branch1}", Echo),
    );
    assert_eq!(
        text(&c, "/files/archive.tar.gz").await.1,
        "GET /files/{name}.{ext} name=archive.tar&ext=gz"
    );
    assert_eq!(
        text(&c, "/repos/a/b/compare/x:main...y:dev").await.1,
        "GET /repos/{org}/{repo}/compare/{usr0}:{branch0}...{usr1}:{branch1} org=a&repo=b&usr0=x&branch0=main&usr1=y&branch1=dev"
    );
}

#[tokio::test]
async fn converters_filter_and_fall_through() {
    let app = App::new()
        .add_route("/items/{id:int(min=1, max=9999)}", Echo)
        .add_route("/codes/{n:int(3)}", Echo)
        .add_route("/prices/{x:float}", Echo)
        .add_route("/ids/{u:uuid}", Echo)
        .add_route("/static/{rest:path}", Echo);
    #[cfg(feature = "dates")]
    let app = app.add_route(r#"/days/{ts:dt("%Y-%m-%d")}"#, Echo);
    #[cfg(feature = "re")]
    let app = app.add_route(r#"/posts/{slug:re("[a-z0-9-]+")}"#, Echo);
    let c = TestClient::new(app);
    let mut cases = vec![
        ("/items/1", 200),
        ("/items/9999", 200),
        ("/items/0", 404),
        ("/items/10000", 404),
        ("/items/abc", 404),
        ("/codes/007", 200),
        ("/codes/07", 404),
        ("/prices/2.50", 200),
        ("/prices/inf", 404),
        ("/ids/6f0e8a6c-3b1d-4b8e-9c3a-0d4b9f3c2a11", 200),
        ("/ids/42", 404),
        ("/static/css/site.css", 200),
    ];
    if cfg!(feature = "dates") {
        cases.extend([("/days/2024-02-29", 200), ("/days/2023-02-29", 404)]);
    }
    if cfg!(feature = "re") {
        cases.extend([("/posts/hello-world-2", 200), ("/posts/Hello_World", 404)]);
    }
    for (path, status) in cases {
        assert_eq!(text(&c, path).await.0, status, "{path}");
    }
    assert_eq!(
        text(&c, "/static/css/site.css").await.1,
        "GET /static/{rest:path} rest=css/site.css"
    );
}

#[tokio::test]
async fn precedence_is_literal_then_complex_then_field() {
    let c = TestClient::new(
        App::new()
            .add_route("/files/{name}", Echo)
            .add_route("/files/{name}.{ext}", Echo)
            .add_route("/files/latest", Hello),
    );
    assert_eq!(text(&c, "/files/latest").await.1, "hello");
    assert_eq!(
        text(&c, "/files/a.txt").await.1,
        "GET /files/{name}.{ext} name=a&ext=txt"
    );
    assert_eq!(text(&c, "/files/readme").await.1, "GET /files/{name} name=readme");
}

#[tokio::test]
async fn backtracking_across_branches() {
    let c = TestClient::new(App::new().add_route("/a/b/c", Hello).add_route("/a/{x}/d", Echo));
    assert_eq!(text(&c, "/a/b/d").await.1, "GET /a/{x}/d x=b");
}

#[tokio::test]
async fn different_field_names_at_the_same_level_coexist() {
    let c = TestClient::new(
        App::new()
            .add_route("/teams/{id}", Echo)
            .add_route("/teams/{name}/members", Echo),
    );
    assert_eq!(text(&c, "/teams/7").await.1, "GET /teams/{id} id=7");
    assert_eq!(
        text(&c, "/teams/red/members").await.1,
        "GET /teams/{name}/members name=red"
    );
}

#[test]
fn ambiguous_routes_are_refused_naming_both() {
    let mut app = App::new().add_route("/teams/{id}", Echo);
    let err = app.try_add_route("/teams/{name}", Echo).unwrap_err().to_string();
    assert!(
        err.contains("'/teams/{name}'") && err.contains("'/teams/{id}'"),
        "{err}"
    );
}

#[test]
fn invalid_templates_are_refused_quoting_the_template() {
    let mut app = App::new();
    for (template, needle) in [
        ("things", "must start with '/'"),
        ("/a//b", "empty segment"),
        ("/{2fast}", "not a valid field name"),
        ("/{id}/{id}", "used twice"),
        ("/{id:nope}", "unknown converter 'nope'"),
        ("/{id:int(min=\"x\")}", "must be an integer"),
        ("/{id:int(wat=1)}", "unknown argument 'wat'"),
        ("/{p:path}/more", "must be in the last segment"),
    ] {
        let err = app.try_add_route(template, Echo).unwrap_err().to_string();
        assert!(err.contains(&format!("'{template}'")), "{err}");
        assert!(err.contains(needle), "{template}: {err}");
    }
}

#[test]
#[should_panic(expected = "invalid URI template 'no-slash'")]
fn add_route_panics_on_a_bad_template() {
    let _ = App::new().add_route("no-slash", Echo);
}

#[tokio::test]
async fn re_adding_a_template_replaces_the_resource() {
    let c = TestClient::new(App::new().add_route("/x", Echo).add_route("/x", Hello));
    assert_eq!(text(&c, "/x").await.1, "hello");
}

#[tokio::test]
async fn unknown_path_is_404_json_with_vary() {
    let c = TestClient::new(App::new().add_route("/x", Hello));
    let r = c.simulate_get("/nope").await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<serde_json::Value>(),
        serde_json::json!({"title": "404 Not Found"})
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("vary"), Some("Accept"));
}

#[tokio::test]
async fn path_is_percent_decoded_raw_path_kept() {
    let c = TestClient::new(App::new().add_route("/caf\u{e9}/{name}", Echo));
    assert_eq!(text(&c, "/caf%C3%A9/a%20b").await.1, "GET /caf\u{e9}/{name} name=a b");
}

#[tokio::test]
async fn trailing_slash_policy() {
    let strict = TestClient::new(App::new().add_route("/things", Hello));
    assert_eq!(text(&strict, "/things/").await.0, 404);
    let lenient = TestClient::new(
        App::new()
            .strip_url_path_trailing_slash(true)
            .add_route("/things", Hello),
    );
    assert_eq!(text(&lenient, "/things/").await, (200, "hello".into()));
}

#[tokio::test]
async fn custom_converter_by_name() {
    struct Even;
    impl Converter for Even {
        fn convert(&self, segment: &str) -> Option<FieldValue> {
            let n: i64 = segment.parse().ok()?;
            (n % 2 == 0).then_some(FieldValue::Int(n))
        }
    }
    let c = TestClient::new(
        App::new()
            .add_converter("even", |_args| Ok(Even))
            .add_route("/n/{n:even}", Echo),
    );
    assert_eq!(text(&c, "/n/4").await.0, 200);
    assert_eq!(text(&c, "/n/5").await.0, 404);
}

#[test]
fn routes_lists_templates_resources_and_methods() {
    let app = App::new().add_route("/a", Echo).add_route("/b/{id}", Hello);
    let routes = app.routes();
    assert_eq!(routes.len(), 2);
    assert_eq!(routes[0].template, "/a");
    assert!(routes[0].resource.ends_with("Echo"));
    assert_eq!(routes[0].methods, vec!["GET", "HEAD", "POST"]);
    assert_eq!(routes[1].methods, vec!["GET", "HEAD"]);
}
