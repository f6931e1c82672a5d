//! OpenTelemetry: the request span exported with the HTTP semantic-convention attributes, as a child of the
//! caller's span named by `traceparent`.

use opentelemetry::trace::{SpanKind, Status, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use peregrine::testing::TestClient;
use peregrine::{App, HttpError, Request, Response, Result};
use tracing_subscriber::prelude::*;

struct Users;

#[peregrine::resource]
impl Users {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        let id: u32 = req.field("id")?;
        if id == 0 {
            return Err(HttpError::internal_server_error().into());
        }
        resp.set_text("user");
        Ok(())
    }
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

#[tokio::test]
async fn the_request_span_joins_the_callers_trace_with_http_attributes() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    let _guard = tracing::subscriber::set_default(subscriber);

    let client = TestClient::new(App::new().add_route("/users/{id:int}", Users));
    let r = client
        .simulate_get("/users/7?full=1")
        .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        .await;
    assert_eq!(r.status(), 200, "{r:?}");
    client.simulate_get("/users/0").await;
    client.simulate_get("/nowhere").await;
    provider.force_flush().unwrap();

    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 3, "{spans:?}");
    let ok = &spans[0];
    assert_eq!(ok.name, "GET /users/{id:int}");
    assert_eq!(ok.span_kind, SpanKind::Server);
    assert_eq!(
        ok.span_context.trace_id().to_string(),
        "0af7651916cd43dd8448eb211c80319c",
        "the caller's trace"
    );
    assert_eq!(
        ok.parent_span_id.to_string(),
        "b7ad6b7169203331",
        "the caller's span is the parent"
    );
    for (key, value) in [
        ("http.request.method", "GET"),
        ("url.path", "/users/7"),
        ("url.query", "full=1"),
        ("url.scheme", "http"),
        ("network.protocol.version", "1.1"),
        ("http.route", "/users/{id:int}"),
        ("http.response.status_code", "200"),
    ] {
        assert_eq!(
            attribute(ok, key).as_deref(),
            Some(value),
            "{key} in {:?}",
            ok.attributes
        );
    }
    assert_eq!(ok.status, Status::Unset);

    let failed = &spans[1];
    assert!(
        matches!(failed.status, Status::Error { .. }),
        "a 5xx is an error: {:?}",
        failed.status
    );
    assert_ne!(
        failed.span_context.trace_id(),
        ok.span_context.trace_id(),
        "no traceparent, a new trace"
    );

    let unrouted = &spans[2];
    assert_eq!(unrouted.name, "GET");
    assert_eq!(attribute(unrouted, "http.route"), None);
    assert_eq!(attribute(unrouted, "http.response.status_code").as_deref(), Some("404"));
}
