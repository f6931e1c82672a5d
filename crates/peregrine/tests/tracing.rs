//! The request span and the access log, captured by a `tracing` subscriber.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use peregrine::testing::TestClient;
use peregrine::App;
use support::Echo;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture(filter: &str) -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    (captured.clone(), tracing::subscriber::set_default(subscriber))
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test]
async fn the_access_log_has_method_path_route_status_and_time() {
    let (captured, _guard) = capture("peregrine::access=info");
    let client = TestClient::new(App::new().add_route("/items/{id:int}", Echo));
    client.simulate_get("/items/7").await;
    client.simulate_get("/missing").await;
    let text = captured.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains("method=GET path=\"/items/7\" route=\"/items/{id:int}\" status=200 micros="),
        "{text}"
    );
    assert!(lines[1].contains("route=\"-\" status=404"), "{text}");
}

#[tokio::test]
async fn events_inside_a_responder_carry_the_request_span_with_its_request_id() {
    struct Logs;

    #[peregrine::resource]
    impl Logs {
        async fn on_get(&self, _req: &mut peregrine::Request, _resp: &mut peregrine::Response) -> peregrine::Result {
            tracing::info!("inside the responder");
            Ok(())
        }
    }

    let (captured, _guard) = capture("info");
    let client = TestClient::new(App::new().add_route("/logs", Logs));
    client.simulate_get("/logs").header("X-Request-Id", "req-42").await;
    let text = captured.text();
    let line = text.lines().find(|l| l.contains("inside the responder")).unwrap();
    // With the `otel` feature, OpenTelemetry's fields sit between these.
    assert!(line.contains("request{method=GET path=\"/logs\" "), "{text}");
    assert!(line.contains(" request_id=\"req-42\"}"), "{text}");
}

#[tokio::test]
async fn an_overlong_request_id_is_replaced_by_a_counter() {
    let (captured, _guard) = capture("info");
    let client = TestClient::new(App::new().add_route("/items/{id:int}", Echo));
    let long = "x".repeat(129);
    client.simulate_get("/items/1").header("X-Request-Id", &long).await;
    client
        .simulate_get("/items/2")
        .header("X-Request-Id", &long[..128])
        .await;
    let text = captured.text();
    assert!(!text.contains(&long), "{text}");
    assert!(text.contains(&format!("request_id=\"{}\"", &long[..128])), "{text}");
    let first = text
        .lines()
        .find(|l| l.contains("path=\"/items/1\""))
        .expect("the first request is logged");
    let id = first.split("request_id=").nth(1).expect("it has a request id");
    assert!(
        id.starts_with(|c: char| c.is_ascii_digit()),
        "a counter stands for the long id: {first}"
    );
}

#[tokio::test]
async fn nothing_is_logged_when_the_targets_are_off() {
    let (captured, _guard) = capture("warn");
    let client = TestClient::new(App::new().add_route("/items/{id:int}", Echo));
    client.simulate_get("/items/7").await;
    assert_eq!(captured.text(), "");
}
