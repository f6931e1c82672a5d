//! Media handlers through the test client: choosing by Content-Type (415), negotiating by Accept (406,
//! Vary), forms, MessagePack, a custom handler, limits, and the raw body after `media()`.
//! Falcon's `test_media_handlers.py` and `test_media_urlencoded.py` are the reference.

use bytes::Bytes;
use peregrine::media::{erased_serde, MediaHandler, Visit};
use peregrine::testing::{TestClient, TestResult};
use peregrine::{App, HttpError, Request, Response, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Thing {
    name: String,
    size: u32,
}

/// Echoes the posted `Thing` back as media, and says how many raw bytes it read.
struct Echo;

#[peregrine::resource]
impl Echo {
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let thing: Thing = req.media().await?;
        let raw = req.body_bytes().await?;
        resp.set_header("x-raw-length", raw.len().to_string())?;
        resp.set_media(&thing)
    }

    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_media(&Thing {
            name: "kettle".into(),
            size: 2,
        })
    }
}

/// `text/csv` of one header line and one value line; writes the same shape.
struct Csv;

impl MediaHandler for Csv {
    fn deserialize(&self, body: &[u8], visit: Visit<'_>) -> Result<()> {
        let invalid = |why: String| HttpError::bad_request().with_title("Invalid CSV").with_description(why);
        let text = std::str::from_utf8(body).map_err(|_| invalid("not UTF-8".into()))?;
        let mut lines = text.lines();
        let names: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
        // A value that reads as a JSON number is a number; anything else is text.
        let values: Vec<serde_json::Value> = lines
            .next()
            .unwrap_or("")
            .split(',')
            .map(|v| serde_json::from_str::<serde_json::Number>(v).map_or_else(|_| v.into(), Into::into))
            .collect();
        if names.len() != values.len() {
            return Err(invalid("the two lines differ in length".into()).into());
        }
        let de = serde::de::value::MapDeserializer::<_, serde_json::Error>::new(names.into_iter().zip(values));
        visit(&mut <dyn erased_serde::Deserializer<'_>>::erase(de)).map_err(|e| invalid(e.to_string()).into())
    }

    fn serialize(&self, value: &dyn erased_serde::Serialize) -> Result<Bytes> {
        let map = serde_json::to_value(value).map_err(peregrine::Error::new)?;
        let object = map.as_object().cloned().unwrap_or_default();
        let names: Vec<&str> = object.keys().map(String::as_str).collect();
        let values: Vec<String> = object
            .values()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        Ok(Bytes::from(format!("{}\n{}\n", names.join(","), values.join(","))))
    }
}

fn negotiating_app() -> App {
    App::new()
        .add_route("/things", Echo)
        .req_options(|o| {
            o.media_handlers.insert("text/csv", Csv);
            #[cfg(feature = "msgpack")]
            o.media_handlers
                .insert("application/msgpack", peregrine::media::MessagePack);
        })
        .resp_options(|o| {
            o.media_handlers.insert("text/csv", Csv);
            #[cfg(feature = "msgpack")]
            o.media_handlers
                .insert("application/msgpack", peregrine::media::MessagePack);
        })
}

fn title(r: &TestResult) -> String {
    r.json::<serde_json::Value>()["title"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The error's description: `description` in JSON, `detail` in problem+json.
fn description(r: &TestResult) -> String {
    let body = r.json::<serde_json::Value>();
    let text = body["description"].as_str().or_else(|| body["detail"].as_str());
    text.unwrap_or_default().to_owned()
}

#[tokio::test]
async fn json_is_the_default_both_ways() {
    let client = TestClient::new(App::new().add_route("/things", Echo));
    let r = client
        .simulate_post("/things")
        .body(r#"{"name": "cup", "size": 1}"#)
        .await;
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json::<Thing>().name, "cup");
    assert_eq!(
        r.header("x-raw-length"),
        Some("26"),
        "the raw body stays readable after media()"
    );
    // Without response options, Accept is not consulted and no Vary is added.
    let r = client.simulate_get("/things").header("accept", "text/html").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("vary"), None);
}

#[tokio::test]
async fn an_unsupported_content_type_is_415_naming_what_is() {
    let client = TestClient::new(App::new().add_route("/things", Echo));
    let r = client
        .simulate_post("/things")
        .header("content-type", "text/csv")
        .body("name,size\ncup,1\n")
        .await;
    assert_eq!(r.status(), 415, "{}", r.text());
    let d = description(&r);
    assert!(d.contains("'text/csv'") && d.contains("application/json"), "{d}");
    let r = client
        .simulate_post("/things")
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--\r\n")
        .await;
    assert_eq!(r.status(), 415);
    // The client is told what it may send; the hint about req.multipart() is the log's, not the client's.
    let d = description(&r);
    assert!(d.contains("application/json") && !d.contains("req."), "{d}");
}

#[tokio::test]
async fn a_custom_handler_reads_and_writes() {
    let client = TestClient::new(negotiating_app());
    let r = client
        .simulate_post("/things")
        .header("content-type", "text/csv; charset=utf-8")
        .header("accept", "text/csv")
        .body("name,size\nteapot,3\n")
        .await;
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/csv"));
    assert_eq!(r.text(), "name,size\nteapot,3\n");
    let bad = client
        .simulate_post("/things")
        .header("content-type", "text/csv")
        .body("name,size\nteapot\n")
        .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(title(&bad), "Invalid CSV");
    let wrong_shape = client
        .simulate_post("/things")
        .header("content-type", "text/csv")
        .body("name,size\nteapot,big\n")
        .await;
    assert_eq!(wrong_shape.status(), 400, "{}", wrong_shape.text());
}

#[tokio::test]
async fn accept_chooses_the_handler_and_vary_says_so() {
    let client = TestClient::new(negotiating_app());
    let json = client.simulate_get("/things").await;
    assert_eq!(json.header("content-type"), Some("application/json"));
    assert_eq!(json.header("vary"), Some("Accept"));
    let csv = client
        .simulate_get("/things")
        .header("accept", "application/json;q=0.5, text/csv")
        .await;
    assert_eq!(csv.header("content-type"), Some("text/csv"), "{}", csv.text());
    let wildcard = client.simulate_get("/things").header("accept", "text/*").await;
    assert_eq!(wildcard.header("content-type"), Some("text/csv"));
    let refused = client
        .simulate_get("/things")
        .header("accept", "image/png, application/problem+json")
        .await;
    assert_eq!(refused.status(), 406, "{}", refused.text());
    assert_eq!(refused.header("content-type"), Some("application/problem+json"));
    let d = description(&refused);
    assert!(d.contains("application/json") && d.contains("text/csv"), "{d}");
}

#[tokio::test]
async fn the_default_can_be_served_instead_of_406() {
    let app = negotiating_app().resp_options(|o| o.serve_default_if_not_acceptable = true);
    let r = TestClient::new(app)
        .simulate_get("/things")
        .header("accept", "image/png")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[cfg(feature = "msgpack")]
#[tokio::test]
async fn messagepack_both_ways() {
    let client = TestClient::new(negotiating_app());
    let body = rmp_serde::to_vec_named(&Thing {
        name: "mug".into(),
        size: 4,
    })
    .unwrap();
    let r = client
        .simulate_post("/things")
        .header("content-type", "application/msgpack")
        .header("accept", "application/msgpack")
        .body(body)
        .await;
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/msgpack"));
    let back: Thing = rmp_serde::from_slice(r.content()).unwrap();
    assert_eq!(back.name, "mug");
    let bad = client
        .simulate_post("/things")
        .header("content-type", "application/msgpack")
        .body(&[0xc1u8][..])
        .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(title(&bad), "Invalid MessagePack");
    // Neither the app's type names nor the parser's internals reach the client.
    for body in [rmp_serde::to_vec_named(&5u8).unwrap(), vec![0x82, 0xa4]] {
        let r = client
            .simulate_post("/things")
            .header("content-type", "application/msgpack")
            .body(body)
            .await;
        assert_eq!(r.status(), 400);
        let d = description(&r);
        assert!(
            !d.contains("Thing") && !d.contains("marker") && !d.contains("IO error"),
            "{d}"
        );
    }
}

#[derive(Debug, Deserialize)]
struct Login {
    user: String,
    remember: bool,
}

struct Forms;

#[peregrine::resource]
impl Forms {
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let login: Login = req.media().await?;
        resp.set_text(format!("{} {}", login.user, login.remember));
        Ok(())
    }

    async fn on_put(&self, req: &mut Request, resp: &mut Response) -> Result {
        let user = req.require_param("user")?.to_owned();
        let tags = req.get_params("tag").join("|");
        resp.set_text(format!("{user} [{tags}]"));
        Ok(())
    }
}

#[tokio::test]
async fn urlencoded_forms_through_media() {
    let client = TestClient::new(App::new().add_route("/login", Forms));
    let form = "application/x-www-form-urlencoded";
    let r = client
        .simulate_post("/login")
        .header("content-type", form)
        .body("user=ann+lee&remember=true")
        .await;
    assert_eq!(r.text(), "ann lee true");
    let bad = client
        .simulate_post("/login")
        .header("content-type", form)
        .body("user=ann&remember=perhaps")
        .await;
    assert_eq!((bad.status().as_u16(), title(&bad)), (400, "Invalid form".into()));
}

#[tokio::test]
async fn auto_parsed_forms_reach_the_param_getters() {
    let app = App::new()
        .add_route("/login", Forms)
        .req_options(|o| o.auto_parse_form_urlencoded = true);
    let client = TestClient::new(app);
    let r = client
        .simulate_put("/login?tag=a")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("user=bo&tag=b&tag=c")
        .await;
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(r.text(), "bo [a|b|c]");
    // Off by default: the body is not read into params.
    let plain = TestClient::new(App::new().add_route("/login", Forms));
    let r = plain
        .simulate_put("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("user=bo")
        .await;
    assert_eq!(r.status(), 400, "{}", r.text());
}

#[tokio::test]
async fn each_limit_is_exact_and_named() {
    let app = App::new()
        .add_route("/things", Echo)
        .add_route("/login", Forms)
        .req_options(|o| {
            o.max_json_depth = 3;
            o.max_form_fields = 2;
        });
    let client = TestClient::new(app);
    let at_depth = client
        .simulate_post("/things")
        .body(r#"{"name": "a", "size": 1, "x": [[1]]}"#)
        .await;
    assert_eq!(at_depth.status(), 200, "{}", at_depth.text());
    let too_deep = client
        .simulate_post("/things")
        .body(r#"{"name": "a", "size": 1, "x": [[[1]]]}"#)
        .await;
    assert_eq!(
        (too_deep.status().as_u16(), title(&too_deep)),
        (400, "JSON nested too deeply".into())
    );
    let form = "application/x-www-form-urlencoded";
    let two = client
        .simulate_post("/login")
        .header("content-type", form)
        .body("user=a&remember=false")
        .await;
    assert_eq!(two.status(), 200);
    let three = client
        .simulate_post("/login")
        .header("content-type", form)
        .body("user=a&remember=false&x=1")
        .await;
    assert_eq!(
        (three.status().as_u16(), title(&three)),
        (413, "Too many form fields".into())
    );
}

#[cfg(feature = "msgpack")]
#[tokio::test]
async fn messagepack_depth_is_capped_whatever_the_setting() {
    struct AnyValue;
    #[peregrine::resource]
    impl AnyValue {
        async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
            let value: serde_json::Value = req.media().await?;
            resp.set_media(&value)
        }
    }
    let app = App::new().add_route("/things", AnyValue).req_options(|o| {
        o.media_handlers
            .insert("application/msgpack", peregrine::media::MessagePack);
        o.max_json_depth = usize::MAX;
    });
    let client = TestClient::new(app);
    let mut body = vec![0x91u8; 5000];
    body.push(0x01);
    let r = client
        .simulate_post("/things")
        .header("content-type", "application/msgpack")
        .body(body)
        .await;
    assert_eq!(
        (r.status().as_u16(), title(&r)),
        (400, "MessagePack nested too deeply".into())
    );
}

#[tokio::test]
async fn route_options_override_the_apps() {
    let app = App::new()
        .add_route("/things", Echo)
        .add_route("/login", Forms)
        .max_body_size(10)
        .route_req_options("/things", |o| o.max_body_size = 100);
    let client = TestClient::new(app);
    let body = r#"{"name": "cup", "size": 1}"#;
    assert_eq!(client.simulate_post("/things").body(body).await.status(), 200);
    let r = client
        .simulate_post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("user=abcdef&remember=true")
        .await;
    assert_eq!(r.status(), 413, "{}", r.text());
}

#[tokio::test]
async fn malformed_bodies_leave_the_next_request_alone() {
    let client = TestClient::new(negotiating_app());
    for (ct, body) in [
        ("application/json", &b"{\"name\": "[..]),
        ("application/json", &b"\xff\xfe"[..]),
        ("application/x-www-form-urlencoded", &b"%%%&=="[..]),
        ("text/csv", &b"\xff"[..]),
    ] {
        let r = client
            .simulate_post("/things")
            .header("content-type", ct)
            .body(body)
            .await;
        assert!(r.status().is_client_error(), "{ct}: {} {}", r.status(), r.text());
    }
    let ok = client
        .simulate_post("/things")
        .body(r#"{"name": "cup", "size": 1}"#)
        .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn query_string_options() {
    struct Q;
    #[peregrine::resource]
    impl Q {
        async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
            let pairs: Vec<String> = req.query_params().map(|(k, v)| format!("{k}={v}")).collect();
            resp.set_text(pairs.join("&"));
            Ok(())
        }
    }
    let default = TestClient::new(App::new().add_route("/q", Q));
    assert_eq!(default.simulate_get("/q?a=&b=1,2").await.text(), "a=&b=1,2");
    let tuned = TestClient::new(App::new().add_route("/q", Q).req_options(|o| {
        o.keep_blank_qs_values = false;
        o.auto_parse_qs_csv = true;
    }));
    assert_eq!(tuned.simulate_get("/q?a=&b=1,2").await.text(), "b=1&b=2");
}

#[tokio::test]
async fn routes_list_the_media_they_read_and_write() {
    let app = negotiating_app()
        .add_route("/login", Forms)
        .route_req_options("/login", |o| {
            o.media_handlers.remove("application/json");
        });
    let routes = app.routes();
    let things = routes.iter().find(|r| r.template == "/things").unwrap();
    assert!(things.accepts.iter().any(|t| t == "text/csv"), "{:?}", things.accepts);
    assert_eq!(things.returns[0], "application/json");
    assert!(things.returns.iter().any(|t| t == "text/csv"), "{:?}", things.returns);
    let login = routes.iter().find(|r| r.template == "/login").unwrap();
    assert!(
        !login.accepts.iter().any(|t| t == "application/json"),
        "{:?}",
        login.accepts
    );
    // And the route's own options apply: JSON is no longer read there.
    let r = TestClient::new(app)
        .simulate_post("/login")
        .body(r#"{"user": "a", "remember": true}"#)
        .await;
    assert_eq!(r.status(), 415, "{}", r.text());
}
