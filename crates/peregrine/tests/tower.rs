//! The app as a tower service: driven by `oneshot`, under tower-http's `TraceLayer`, and nested in an axum
//! `Router`.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use peregrine::{App, Request, Response, Result};
use tower::{ServiceBuilder, ServiceExt};

struct Users;

#[peregrine::resource]
impl Users {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        let id: u32 = req.field("id")?;
        resp.set_media(&serde_json::json!({ "id": id, "path": req.path() }))
    }

    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let body = req.body_bytes().await?;
        resp.set_text(format!("{} bytes", body.len()));
        Ok(())
    }
}

fn app() -> App {
    App::new().add_route("/users/{id:int}", Users).max_body_size(16)
}

async fn text(response: http::Response<peregrine::service::Body>) -> (u16, String) {
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn oneshot_runs_the_whole_pipeline() {
    let service = app().into_service();
    let request = http::Request::get("/users/7").body(Full::new(Bytes::new())).unwrap();
    let (status, body) = text(service.clone().oneshot(request).await.unwrap()).await;
    assert_eq!((status, body.as_str()), (200, r#"{"id":7,"path":"/users/7"}"#));

    let request = http::Request::get("/users/x").body(Full::new(Bytes::new())).unwrap();
    assert_eq!(text(service.clone().oneshot(request).await.unwrap()).await.0, 404);

    let post = |n: usize| {
        http::Request::post("/users/1")
            .body(Full::new(Bytes::from(vec![b'a'; n])))
            .unwrap()
    };
    let (status, body) = text(service.clone().oneshot(post(16)).await.unwrap()).await;
    assert_eq!((status, body.as_str()), (200, "16 bytes"));
    let (status, _) = text(service.oneshot(post(17)).await.unwrap()).await;
    assert_eq!(status, 413, "the body limit holds without the server");
}

#[tokio::test]
async fn tower_http_trace_layer_wraps_the_app() {
    let seen: Arc<Mutex<Vec<u16>>> = Arc::default();
    let record = seen.clone();
    let service = ServiceBuilder::new()
        .layer(tower_http::trace::TraceLayer::new_for_http().on_response(
            move |response: &http::Response<_>, _latency: std::time::Duration, _span: &tracing::Span| {
                record.lock().unwrap().push(response.status().as_u16());
            },
        ))
        .service(app().into_service());
    let request = http::Request::get("/users/3").body(Full::new(Bytes::new())).unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"id":3,"path":"/users/3"}"#);
    assert_eq!(*seen.lock().unwrap(), [200], "the layer saw the app's response");
}

#[tokio::test]
async fn an_axum_router_serves_the_app_under_a_path() {
    async fn native() -> &'static str {
        "axum"
    }
    let router = axum::Router::new()
        .route("/native", axum::routing::get(native))
        .nest_service("/legacy", app().into_service());
    let get = |path: &str| http::Request::get(path).body(axum::body::Body::empty()).unwrap();

    let response = router.clone().oneshot(get("/legacy/users/5")).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        &body[..],
        br#"{"id":5,"path":"/users/5"}"#,
        "axum strips the nesting prefix"
    );

    let response = router.clone().oneshot(get("/native")).await.unwrap();
    assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), "axum");
    let response = router.oneshot(get("/legacy/nothing")).await.unwrap();
    assert_eq!(response.status(), 404, "Peregrine's 404 for paths under the nest");
}

mod support;

use peregrine::server::ServerConfig;
use support::http1::Conn;
use support::stream::PanicsMidway;

/// A layer whose service always fails.
#[derive(Clone)]
struct Failing;

impl<S> tower::Layer<S> for Failing {
    type Service = FailingService;
    fn layer(&self, _inner: S) -> FailingService {
        FailingService
    }
}

#[derive(Clone)]
struct FailingService;

impl tower::Service<http::Request<peregrine::service::LayerBody>> for FailingService {
    type Response = http::Response<Full<Bytes>>;
    type Error = std::io::Error;
    type Future = std::future::Ready<std::result::Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::result::Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: http::Request<peregrine::service::LayerBody>) -> Self::Future {
        std::future::ready(Err(std::io::Error::other("the layer failed on purpose")))
    }
}

#[tokio::test]
async fn the_server_runs_the_app_inside_its_tower_layers() {
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    let seen: Arc<Mutex<Vec<u16>>> = Arc::default();
    let record = seen.clone();
    let app = app()
        .layer(tower_http::trace::TraceLayer::new_for_http().on_response(
            move |response: &http::Response<_>, _latency: std::time::Duration, _span: &tracing::Span| {
                record.lock().unwrap().push(response.status().as_u16());
            },
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    let server = support::server::start(app, ServerConfig::default()).await;
    let mut conn = Conn::open(server.addr).await;
    let r = conn.exchange("GET /users/9 HTTP/1.1\r\nHost: t\r\n\r\n", false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, br#"{"id":9,"path":"/users/9"}"#);
    assert_eq!(r.header("content-length"), Some("26"), "the length is kept");
    assert_eq!(
        r.header("x-request-id").map(str::len),
        Some(36),
        "the request-id layers ran"
    );
    let r = conn
        .exchange(
            "POST /users/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc",
            false,
        )
        .await;
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, &b"3 bytes"[..]),
        "the body reaches the app"
    );
    assert_eq!(*seen.lock().unwrap(), [200, 200], "the trace layer saw both answers");
}

#[tokio::test]
async fn a_failing_layer_is_a_500_and_the_test_client_sees_layers_too() {
    let client = peregrine::testing::TestClient::new(app().layer(Failing));
    let r = client.simulate_get("/users/1").await;
    assert_eq!(r.status(), 500, "{r:?}");
    assert!(!r.text().contains("on purpose"), "the detail stays in the log: {r:?}");
}

#[tokio::test]
async fn a_body_stream_that_panics_fails_the_body_instead_of_panicking_in_the_caller() {
    let service = App::new().add_route("/panics", PanicsMidway).into_service();
    let request = http::Request::get("/panics").body(Full::new(Bytes::new())).unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let first = body.frame().await.expect("a first frame").expect("not an error");
    assert_eq!(first.into_data().unwrap(), Bytes::from_static(b"first"));
    let failed = body.frame().await.expect("an error, not the end");
    let error = failed.expect_err("the stream's panic ends the body with an error");
    assert_eq!(
        error.to_string(),
        "the response body stream panicked: the stream broke after its first chunk"
    );
    assert!(body.frame().await.is_none(), "nothing after the error");
}
