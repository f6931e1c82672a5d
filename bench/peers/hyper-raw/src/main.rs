//! Raw hyper, the overhead floor: `/json` answers `{"message":"Hello, World!"}` serialized per request
//! (TechEmpower's rule); every other path answers `Hello, World!` as text/plain. `HYPER_ADDR` sets the
//! address (default 127.0.0.1:8001).

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{header, Request, Response};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

fn respond(req: &Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let (body, content_type) = if req.uri().path() == "/json" {
        let json = serde_json::to_vec(&Message {
            message: "Hello, World!",
        })
        .expect("serializable");
        (Bytes::from(json), "application/json")
    } else {
        (Bytes::from_static(b"Hello, World!"), "text/plain")
    };
    let mut resp = Response::new(Full::new(body));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    resp
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("HYPER_ADDR").unwrap_or_else(|_| "127.0.0.1:8001".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}");
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service =
                service_fn(|req: Request<hyper::body::Incoming>| async move { Ok::<_, Infallible>(respond(&req)) });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
