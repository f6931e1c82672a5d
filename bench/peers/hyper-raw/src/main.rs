//! Raw hyper: every request gets `200 Hello, World!` as text/plain. `HYPER_ADDR` sets the address.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{header, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("HYPER_ADDR").unwrap_or_else(|_| "127.0.0.1:8001".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}");
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|_req: Request<hyper::body::Incoming>| async {
                let mut resp = Response::new(Full::new(Bytes::from_static(b"Hello, World!")));
                resp.headers_mut()
                    .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain"));
                Ok::<_, Infallible>(resp)
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
