//! Request: headers, URI fields, query parameters (Falcon's getters and errors), cookies, context, body, media.

use peregrine::testing::{TestClient, TestResult};
use peregrine::{App, Middleware, Request, Response, Result};
use serde::Deserialize;
use serde_json::{json, Value};

/// Runs `f` as the GET (and POST) responder of `/t/{id}` and answers with what it returned as JSON.
fn probe(f: fn(&mut Request) -> Result<Value>) -> TestClient {
    struct Probe(fn(&mut Request) -> Result<Value>);
    #[peregrine::resource]
    impl Probe {
        async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
            let v = (self.0)(req)?;
            resp.set_media(&v)
        }
    }
    TestClient::new(App::new().add_route("/t/{id}", Probe(f)))
}

fn invalid(r: &TestResult, title: &str, needle: &str) {
    assert_eq!(r.status(), 400, "{}", r.text());
    let body: Value = r.json();
    assert_eq!(body["title"], title);
    assert!(body["description"].as_str().unwrap().contains(needle), "{body}");
}

#[tokio::test]
async fn method_path_query_and_template() {
    let c = probe(|req| {
        Ok(json!([
            req.method().as_str(),
            req.path(),
            req.raw_path(),
            req.query_string(),
            req.uri_template()
        ]))
    });
    let r = c.simulate_get("/t/a%20b?x=1").await;
    assert_eq!(
        r.json::<Value>(),
        json!(["GET", "/t/a b", "/t/a%20b", "x=1", "/t/{id}"])
    );
}

#[tokio::test]
async fn a_malformed_percent_escape_or_non_utf8_path_is_400() {
    let c = probe(|req| Ok(json!(req.path())));
    for path in ["/t/%", "/t/%2", "/t/%zz", "/t/a%4", "/t/%FF", "/t/%C0%AF"] {
        let r = c.simulate_get(path).await;
        invalid(&r, "Invalid path", "percent-decoded");
    }
    assert_eq!(c.simulate_get("/t/100%25").await.json::<Value>(), json!("/t/100%"));
}

#[tokio::test]
async fn an_encoded_slash_and_an_encoded_percent_then_2f_read_alike_but_raw_path_differs() {
    let c = probe(|req| Ok(json!([req.path(), req.raw_path()])));
    let slash = c.simulate_get("/t/a%2Fb").await.json::<Value>();
    let percent = c.simulate_get("/t/a%252Fb").await.json::<Value>();
    assert_eq!(slash, json!(["/t/a%2Fb", "/t/a%2Fb"]));
    assert_eq!(
        percent,
        json!(["/t/a%2Fb", "/t/a%252Fb"]),
        "as README says: compare raw_path"
    );
}

#[tokio::test]
async fn typed_param_and_its_404() {
    let c = probe(|req| Ok(json!(req.field::<u8>("id")?)));
    assert_eq!(c.simulate_get("/t/200").await.json::<Value>(), json!(200));
    assert_eq!(c.simulate_get("/t/300").await.status(), 404);
}

#[tokio::test]
async fn asking_for_a_field_the_route_lacks_is_a_500_without_detail() {
    let c = probe(|req| Ok(json!(req.field::<String>("nope")?)));
    let r = c.simulate_get("/t/1").await;
    assert_eq!(r.status(), 500);
    assert_eq!(r.json::<Value>(), json!({"title": "500 Internal Server Error"}));
}

#[tokio::test]
async fn headers_case_insensitive_and_typed() {
    let c = probe(|req| {
        Ok(json!({
            "ua": req.user_agent(),
            "ct": req.content_type(),
            "x": req.get_header("X-Custom"),
            "accept": req.accept(),
            "host": req.host(),
            "since": req.if_modified_since()?.map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()),
        }))
    });
    let r = c
        .simulate_get("/t/1")
        .header("user-agent", "curl/8")
        .header("x-custom", "yes")
        .header("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")
        .await;
    assert_eq!(
        r.json::<Value>(),
        json!({"ua": "curl/8", "ct": null, "x": "yes", "accept": "*/*", "host": "localhost", "since": 784111777})
    );
}

#[tokio::test]
async fn bad_date_header_is_400_naming_it() {
    let c = probe(|req| Ok(json!(req.if_modified_since()?.is_some())));
    let r = c.simulate_get("/t/1").header("if-modified-since", "yesterday").await;
    invalid(&r, "Invalid header value", "If-Modified-Since");
}

#[tokio::test]
async fn a_header_with_obs_text_is_readable_as_latin1_and_as_bytes() {
    // RFC 9110 §5.5: obs-text (0x80-0xFF) is legal in a field value; Falcon reads it as ISO-8859-1.
    let c = probe(|req| {
        Ok(json!({
            "text": req.require_header("X-Name")?,
            "bytes": req.get_header_bytes("X-Name"),
            "int": req.get_header_as_int("X-Name").is_err(),
        }))
    });
    let r = c
        .simulate_get("/t/1")
        .header_bytes("X-Name", b"caf\xE9 \xFF")
        .send()
        .await;
    assert_eq!(r.status(), 200, "{}", r.text());
    let body: Value = r.json();
    assert_eq!(body["text"], "caf\u{e9} \u{ff}");
    assert_eq!(body["bytes"], json!([99, 97, 102, 0xE9, 32, 0xFF]));
    assert_eq!(body["int"], true);
}

#[tokio::test]
async fn a_header_sent_twice_reads_as_its_values_joined() {
    // RFC 9110 §5.3, and Falcon's get_header.
    let c = probe(|req| Ok(json!([req.get_header("X-Tag"), req.get_header_bytes("X-Tag")])));
    let r = c
        .simulate_get("/t/1")
        .header("X-Tag", "a")
        .header("X-Tag", "b c")
        .header_bytes("X-Tag", b"d\xE9")
        .send()
        .await;
    assert_eq!(r.json::<Value>(), json!(["a, b c, d\u{e9}", [97]]));
}

#[tokio::test]
async fn required_header_missing_is_400() {
    let c = probe(|req| Ok(json!(req.require_header("X-Token")?)));
    invalid(
        &c.simulate_get("/t/1").await,
        "Missing header value",
        "\"X-Token\" header is required",
    );
}

#[tokio::test]
async fn get_param_reads_the_last_value_and_keeps_blanks() {
    let c = probe(|req| {
        Ok(json!([
            req.get_param("a"),
            req.get_param("b"),
            req.get_param("zz"),
            req.get_params("a")
        ]))
    });
    let r = c.simulate_get("/t/1?a=1&b=&a=2").await;
    assert_eq!(r.json::<Value>(), json!(["2", "", null, ["1", "2"]]));
}

#[tokio::test]
async fn required_param_missing_is_400() {
    let c = probe(|req| Ok(json!(req.require_param("limit")?)));
    invalid(
        &c.simulate_get("/t/1").await,
        "Missing parameter",
        "\"limit\" parameter is required",
    );
}

#[tokio::test]
async fn every_typed_getter_has_a_required_form_that_says_missing() {
    type Getter = fn(&mut Request) -> Result<Value>;
    let getters: [(&str, Getter); 10] = [
        ("int", |r| Ok(json!(r.require_param_as_int("p")?))),
        ("int_in", |r| Ok(json!(r.require_param_as_int_in("p", 1..=9)?))),
        ("float", |r| Ok(json!(r.require_param_as_float("p")?))),
        ("bool", |r| Ok(json!(r.require_param_as_bool("p")?))),
        ("uuid", |r| Ok(json!(r.require_param_as_uuid("p")?.to_string()))),
        ("date", |r| {
            Ok(json!(r.require_param_as_date("p", "%Y-%m-%d")?.to_string()))
        }),
        ("json", |r| r.require_param_as_json::<Value>("p")),
        ("list", |r| Ok(json!(r.require_param_as_list("p")?))),
        ("list_of", |r| Ok(json!(r.require_param_as_list_of::<u8>("p")?))),
        ("as", |r| Ok(json!(r.require_param_as::<u16>("p", "a port")?))),
    ];
    for (kind, getter) in getters {
        let r = probe(getter).simulate_get("/t/1?other=1").await;
        assert_eq!(r.status(), 400, "{kind}: {}", r.text());
        assert_eq!(r.json::<Value>()["title"], "Missing parameter", "{kind}");
    }
    let r = probe(|r| Ok(json!(r.require_param_as_int_in("p", 1..=9)?)))
        .simulate_get("/t/1?p=5")
        .await;
    assert_eq!(r.json::<Value>(), json!(5));
}

#[test]
fn host_and_netloc_prefer_an_absolute_target_over_host() {
    use peregrine::testing::create_req;
    let req = create_req("GET", "/x", &[("Host", "api.example:8443")]);
    assert_eq!(
        (req.host(), req.netloc()),
        (Some("api.example"), Some("api.example:8443"))
    );
    let req = create_req("GET", "/x", &[("Host", "[::1]:8000")]);
    assert_eq!((req.host(), req.netloc()), (Some("[::1]"), Some("[::1]:8000")));
    let req = create_req("GET", "/x", &[("Host", "[::1]")]);
    assert_eq!(req.host(), Some("[::1]"));
    let req = create_req("GET", "http://b.example:81/x", &[("Host", "a.example")]);
    assert_eq!((req.host(), req.netloc()), (Some("b.example"), Some("b.example:81")));
}

#[test]
fn header_getters_parallel_the_param_getters() {
    use peregrine::testing::create_req;
    let req = create_req("GET", "/", &[("X-Count", "12"), ("X-Bad", "twelve")]);
    assert_eq!(req.get_header_as_int("x-count").unwrap(), Some(12));
    assert_eq!(req.require_header_as_int("X-Count").unwrap(), 12);
    let bad = req.get_header_as_int("x-bad").unwrap_err();
    assert_eq!(bad.as_http_error().unwrap().title(), "Invalid header value");
    let missing = req.require_header_as_datetime("if-modified-since").unwrap_err();
    assert_eq!(missing.as_http_error().unwrap().title(), "Missing header value");
}

#[tokio::test]
async fn int_params_with_bounds() {
    let c = probe(|req| Ok(json!(req.get_param_as_int_in("limit", 1..=100)?)));
    assert_eq!(c.simulate_get("/t/1?limit=5").await.json::<Value>(), json!(5));
    assert_eq!(c.simulate_get("/t/1").await.json::<Value>(), json!(null));
    invalid(
        &c.simulate_get("/t/1?limit=x").await,
        "Invalid parameter",
        "must be an integer",
    );
    invalid(&c.simulate_get("/t/1?limit=0").await, "Invalid parameter", "at least 1");
    invalid(
        &c.simulate_get("/t/1?limit=101").await,
        "Invalid parameter",
        "may not exceed 100",
    );
}

#[tokio::test]
async fn float_bool_uuid_date_json_list_params() {
    let c = probe(|req| {
        Ok(json!({
            "f": req.get_param_as_float("f")?,
            "on": req.get_param_as_bool("on")?,
            "off": req.get_param_as_bool("off")?,
            "blank": req.get_param_as_bool("blank")?,
            "u": req.get_param_as_uuid("u")?.map(|u| u.to_string()),
            "d": req.get_param_as_date("d", "%Y-%m-%d")?.map(|d| d.to_string()),
            "dt": req.get_param_as_datetime("dt", "%Y-%m-%dT%H:%M:%S")?.map(|d| d.to_string()),
            "j": req.get_param_as_json::<Value>("j")?,
            "l": req.get_param_as_list("l")?,
            "r": req.get_param_as_list_of::<i64>("r")?,
        }))
    });
    let r = c
        .simulate_get("/t/1")
        .params(&[
            ("f", "1.5"),
            ("on", "yes"),
            ("off", "0"),
            ("blank", ""),
            ("u", "6f0e8a6c-3b1d-4b8e-9c3a-0d4b9f3c2a11"),
            ("d", "2024-02-29"),
            ("dt", "2024-02-29T10:11:12"),
            ("j", r#"{"a":[1]}"#),
            ("l", "x,,y"),
            ("r", "1"),
            ("r", "2"),
        ])
        .await;
    assert_eq!(
        r.json::<Value>(),
        json!({"f": 1.5, "on": true, "off": false, "blank": true, "u": "6f0e8a6c-3b1d-4b8e-9c3a-0d4b9f3c2a11",
               "d": "2024-02-29", "dt": "2024-02-29 10:11:12", "j": {"a": [1]}, "l": ["x", "", "y"], "r": [1, 2]})
    );
}

#[tokio::test]
async fn each_bad_typed_param_is_400_naming_it() {
    for (query, f) in [
        (
            "v=maybe",
            (|req: &mut Request| Ok(json!(req.get_param_as_bool("v")?))) as fn(&mut Request) -> Result<Value>,
        ),
        ("v=nan", |req| Ok(json!(req.get_param_as_float("v")?))),
        ("v=zz", |req| Ok(json!(req.get_param_as_uuid("v")?.is_some()))),
        ("v=2024-13-01", |req| {
            Ok(json!(req.get_param_as_date("v", "%Y-%m-%d")?.is_some()))
        }),
        ("v={", |req| Ok(json!(req.get_param_as_json::<Value>("v")?))),
        ("v=1,x", |req| Ok(json!(req.get_param_as_list_of::<i64>("v")?))),
    ] {
        let r = probe(f).simulate_get(&format!("/t/1?{query}")).await;
        invalid(&r, "Invalid parameter", "\"v\" parameter is invalid");
    }
}

#[tokio::test]
async fn cookies_are_parsed() {
    let c = probe(|req| Ok(json!([req.cookie("a"), req.cookie("b"), req.cookie("zz")])));
    let r = c
        .simulate_get("/t/1")
        .cookie("a", "1")
        .header("cookie", "b=two%20words; c=3")
        .await;
    assert_eq!(
        r.json::<Value>(),
        json!(["1", "two%20words", null]),
        "values come back as sent"
    );
}

#[tokio::test]
async fn a_non_ascii_cookie_does_not_hide_its_neighbours() {
    let c = probe(|req| {
        Ok(json!([
            req.cookie("theme"),
            req.cookie("session"),
            req.cookie_values("id")
        ]))
    });
    let r = c
        .simulate_get("/t/1")
        .header("cookie", "theme=café; junk; session=abc123; id=1; id=2")
        .await;
    assert_eq!(r.json::<Value>(), json!(["café", "abc123", ["1", "2"]]));
}

#[tokio::test]
async fn client_accepts_and_prefers() {
    let c = probe(|req| {
        Ok(json!([
            req.client_accepts("application/json"),
            req.client_accepts("image/png"),
            req.client_prefers(&["application/xml", "application/json"]),
        ]))
    });
    let r = c
        .simulate_get("/t/1")
        .header("accept", "application/json, application/xml;q=0.5")
        .await;
    assert_eq!(r.json::<Value>(), json!([true, false, "application/json"]));
}

#[tokio::test]
async fn context_carries_values_from_middleware() {
    struct User(&'static str);
    struct Auth;
    impl Middleware for Auth {
        async fn process_request(&self, req: &mut Request, _resp: &mut Response) -> Result {
            req.context_mut().insert(User("ada"));
            Ok(())
        }
    }
    struct Me;
    #[peregrine::resource]
    impl Me {
        async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
            let user = req.context().get::<User>().map(|u| u.0).unwrap_or("nobody");
            resp.set_text(user);
            Ok(())
        }
    }
    let c = TestClient::new(App::new().add_middleware(Auth).add_route("/me", Me));
    assert_eq!(c.simulate_get("/me").await.text(), "ada");
}

struct Body;

#[derive(Deserialize)]
struct Thing {
    name: String,
    size: u32,
}

#[peregrine::resource]
impl Body {
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let bytes = req.body_bytes().await?;
        resp.set_text(format!("{} bytes", bytes.len()));
        Ok(())
    }

    async fn on_put(&self, req: &mut Request, resp: &mut Response) -> Result {
        let thing: Thing = req.media().await?;
        resp.set_text(format!("{} {}", thing.name, thing.size));
        Ok(())
    }
}

fn body_app() -> TestClient {
    TestClient::new(App::new().max_body_size(16).add_route("/b", Body))
}

#[tokio::test]
async fn body_within_the_limit_is_read() {
    assert_eq!(
        body_app().simulate_post("/b").body("0123456789abcdef").await.text(),
        "16 bytes"
    );
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let r = body_app().simulate_post("/b").body("0123456789abcdefg").await;
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<Value>()["title"], "413 Content Too Large");
}

#[tokio::test]
async fn media_reads_json() {
    let c = TestClient::new(App::new().add_route("/b", Body));
    let r = c.simulate_put("/b").json(&json!({"name": "cup", "size": 3})).await;
    assert_eq!(r.text(), "cup 3");
}

#[tokio::test]
async fn malformed_or_misshapen_json_is_400() {
    let c = TestClient::new(App::new().add_route("/b", Body));
    for (body, needle) in [
        ("{\"name\": ", "Could not parse JSON body"),
        ("{\"name\": \"cup\"}", "missing field `size`"),
        ("{\"name\": \"cup\", \"size\": -1}", "expected shape"),
        ("", "empty JSON body"),
    ] {
        let r = c
            .simulate_put("/b")
            .header("content-type", "application/json")
            .body(body)
            .await;
        invalid(&r, "Invalid JSON", needle);
    }
}

#[tokio::test]
async fn media_with_another_content_type_is_415() {
    let c = TestClient::new(App::new().add_route("/b", Body));
    let r = c
        .simulate_put("/b")
        .header("content-type", "text/plain")
        .body("cup")
        .await;
    assert_eq!(r.status(), 415);
    assert!(r.json::<Value>()["description"]
        .as_str()
        .unwrap()
        .contains("text/plain"));
}
