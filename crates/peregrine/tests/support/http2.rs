//! An HTTP/2 client on an already-open connection (plain TCP for h2c, or TLS after ALPN chose `h2`).

use tokio::io::{AsyncRead, AsyncWrite};

/// Speaks HTTP/2 on `io`, sends `GET uri`, and returns the response with its whole body.
pub(crate) async fn get<I>(io: I, uri: &str) -> http::Response<bytes::Bytes>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), hyper_util::rt::TokioIo::new(io))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = http::Request::get(uri)
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let (parts, body) = sender.send_request(request).await.unwrap().into_parts();
    let body = http_body_util::BodyExt::collect(body).await.unwrap().to_bytes();
    http::Response::from_parts(parts, body)
}
