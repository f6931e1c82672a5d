//! Errors as responses: HttpError rendering per Accept, HttpStatus, error handlers, unknown errors, panics.

use std::fmt;

use peregrine::testing::TestClient;
use peregrine::{header, App, HttpError, HttpStatus, Request, Response, Result};
use serde_json::{json, Value};

#[derive(Debug)]
struct StorageError;
impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("disk 3 is on fire")
    }
}
impl std::error::Error for StorageError {}

#[derive(Debug)]
struct Wrapped(StorageError);
impl fmt::Display for Wrapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("could not save")
    }
}
impl std::error::Error for Wrapped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

struct Failing;

#[peregrine::resource]
impl Failing {
    async fn on_get_teapot(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Err(HttpError::im_a_teapot()
            .with_title("Short and stout")
            .with_description("Tip me over.")
            .with_code(418001)
            .with_link("docs", "https://example.com/teapot")
            .with_header(header::RETRY_AFTER, "5")
            .into())
    }

    async fn on_get_storage(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Err(StorageError.into())
    }

    async fn on_get_wrapped(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Err(Wrapped(StorageError).into())
    }

    async fn on_get_io(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        std::fs::read("/definitely/not/here/secret.txt")?;
        Ok(())
    }

    async fn on_get_redirect(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Err(HttpStatus::see_other("/elsewhere").into())
    }

    async fn on_get_panic(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        panic!("the secret password is hunter2");
    }
}

fn app() -> App {
    let f = std::sync::Arc::new(Failing);
    let mut app = App::new();
    for s in ["teapot", "storage", "wrapped", "io", "redirect", "panic"] {
        app = app.add_route_with_suffix(&format!("/{s}"), f.clone(), s);
    }
    app
}

#[tokio::test]
async fn http_error_renders_falcon_json_by_default() {
    let r = TestClient::new(app()).simulate_get("/teapot").await;
    assert_eq!(r.status(), 418);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("vary"), Some("Accept"));
    assert_eq!(r.header("retry-after"), Some("5"));
    assert_eq!(
        r.json::<Value>(),
        json!({"title": "Short and stout", "description": "Tip me over.", "code": 418001,
               "link": {"text": "docs", "href": "https://example.com/teapot", "rel": "help"}})
    );
}

#[tokio::test]
async fn problem_json_when_preferred() {
    let r = TestClient::new(app())
        .simulate_get("/teapot")
        .header("accept", "application/problem+json, application/json;q=0.5")
        .await;
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let body: Value = r.json();
    assert_eq!(body["status"], 418);
    assert_eq!(body["title"], "Short and stout");
    assert_eq!(body["detail"], "Tip me over.");
}

#[tokio::test]
async fn xml_when_only_xml_is_accepted() {
    let r = TestClient::new(app())
        .simulate_get("/teapot")
        .header("accept", "application/xml")
        .await;
    assert_eq!(r.header("content-type"), Some("application/xml"));
    let text = r.text();
    assert!(text.starts_with("<?xml"), "{text}");
    assert!(
        text.contains("<title>Short and stout</title><description>Tip me over.</description>"),
        "{text}"
    );
}

#[tokio::test]
async fn no_body_when_neither_json_nor_xml_is_accepted() {
    let r = TestClient::new(app())
        .simulate_get("/teapot")
        .header("accept", "image/png")
        .await;
    assert_eq!(r.status(), 418);
    assert!(r.content().is_empty());
}

#[tokio::test]
async fn handler_maps_an_error_type() {
    let app = app().add_error_handler(|e: &StorageError, _req, resp| {
        resp.set_error(HttpError::service_unavailable().with_title(format!("Storage says: {e}")));
    });
    let r = TestClient::new(app).simulate_get("/storage").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.json::<Value>()["title"], "Storage says: disk 3 is on fire");
}

#[tokio::test]
async fn handler_for_a_source_in_the_chain_is_found() {
    let app = app().add_error_handler(|_: &StorageError, _req, resp| resp.set_error(HttpError::bad_gateway()));
    assert_eq!(TestClient::new(app).simulate_get("/wrapped").await.status(), 502);
}

#[tokio::test]
async fn the_outermost_handled_error_wins() {
    let app = app()
        .add_error_handler(|_: &StorageError, _req, resp| resp.set_error(HttpError::bad_gateway()))
        .add_error_handler(|_: &Wrapped, _req, resp| resp.set_error(HttpError::conflict()));
    assert_eq!(TestClient::new(app).simulate_get("/wrapped").await.status(), 409);
}

#[tokio::test]
async fn re_registering_a_handler_replaces_it() {
    let app = app()
        .add_error_handler(|_: &StorageError, _req, resp| resp.set_error(HttpError::bad_gateway()))
        .add_error_handler(|_: &StorageError, _req, resp| resp.set_error(HttpError::gateway_timeout()));
    assert_eq!(TestClient::new(app).simulate_get("/storage").await.status(), 504);
}

#[tokio::test]
async fn handler_for_http_error_replaces_the_default_rendering() {
    let app = app().add_error_handler(|e: &HttpError, _req, resp| {
        resp.set_status(e.status());
        resp.set_text(format!("custom: {}", e.title()));
    });
    let r = TestClient::new(app).simulate_get("/nowhere").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.text(), "custom: 404 Not Found");
}

#[tokio::test]
async fn unhandled_errors_are_a_generic_500_that_leaks_nothing() {
    let client = TestClient::new(app());
    for path in ["/storage", "/io"] {
        let r = client.simulate_get(path).await;
        assert_eq!(r.status(), 500);
        assert_eq!(r.json::<Value>(), json!({"title": "500 Internal Server Error"}));
        let text = r.text();
        assert!(
            !text.contains("fire") && !text.contains("secret") && !text.contains("definitely"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn http_status_short_circuits_with_a_redirect() {
    let r = TestClient::new(app()).simulate_get("/redirect").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.header("location"), Some("/elsewhere"));
    assert!(r.content().is_empty());
}

#[tokio::test]
async fn a_panic_in_a_responder_is_a_500_and_the_app_goes_on() {
    let client = TestClient::new(app());
    let r = client.simulate_get("/panic").await;
    assert_eq!(r.status(), 500);
    assert!(!r.text().contains("hunter2"));
    assert_eq!(client.simulate_get("/teapot").await.status(), 418);
}

#[test]
fn with_header_takes_a_str_name_in_any_case() {
    let e = HttpError::too_many_requests().with_header("X-Rate-Limit", "0");
    assert_eq!(e.headers()[0].0.as_str(), "x-rate-limit");
    let s = peregrine::HttpStatus::found("/a").with_header("X-From", "b");
    assert_eq!(s.status(), 302);
}

#[test]
fn a_bad_header_name_panics_saying_so() {
    let caught = std::panic::catch_unwind(|| HttpError::bad_request().with_header("bad name", "x"));
    let message = caught.err().and_then(|p| p.downcast_ref::<String>().cloned()).unwrap();
    assert!(message.starts_with("invalid header name"), "{message}");
}

#[test]
fn with_header_is_track_caller() {
    use std::sync::{Arc, Mutex};
    // Other tests of this binary may panic meanwhile: every location is kept, and this one must be among them.
    let seen: Arc<Mutex<Vec<(String, u32)>>> = Arc::default();
    let hook_seen = Arc::clone(&seen);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(l) = info.location() {
            hook_seen.lock().unwrap().push((l.file().to_owned(), l.line()));
        }
    }));
    let line = line!() + 1;
    let caught = std::panic::catch_unwind(|| HttpError::bad_request().with_header("x", "a\nb"));
    std::panic::set_hook(previous);
    assert!(caught.is_err());
    let seen = seen.lock().unwrap();
    assert!(
        seen.contains(&(file!().to_owned(), line)),
        "the panic names the caller's line, {}:{line}; seen {seen:?}",
        file!()
    );
}

struct Varies;

#[peregrine::resource]
impl Varies {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.append_vary("X-Country");
        resp.append_vary("Accept");
        Err(HttpError::not_found().into())
    }
}

/// The error's `Vary: Accept` joins what the responder had set, once, in one field line.
#[tokio::test]
async fn an_error_joins_the_responders_vary() {
    let r = TestClient::new(App::new().add_route("/v", Varies))
        .simulate_get("/v")
        .await;
    assert_eq!(r.status(), 404);
    let lines: Vec<&str> = r
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(lines, ["X-Country, Accept"]);
}
