//! A streamed response body that the test feeds chunk by chunk, and a raw read that waits for given bytes.

use std::time::Duration;

use peregrine::{Request, Response, Result};

use super::http1::Conn;

/// `GET /stream` sends "first", then whatever the test puts in the channel, then ends when it is dropped.
pub(crate) struct Streamed(pub(crate) std::sync::Mutex<Option<tokio::sync::mpsc::Receiver<bytes::Bytes>>>);

struct ChannelStream {
    first: Option<bytes::Bytes>,
    rest: tokio::sync::mpsc::Receiver<bytes::Bytes>,
}

impl futures_core::Stream for ChannelStream {
    type Item = std::result::Result<bytes::Bytes, std::io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if let Some(first) = self.first.take() {
            return std::task::Poll::Ready(Some(Ok(first)));
        }
        self.rest.poll_recv(cx).map(|o| o.map(Ok))
    }
}

#[peregrine::resource]
impl Streamed {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        let rest = self.0.lock().unwrap().take().expect("one request");
        resp.set_stream(ChannelStream {
            first: Some(bytes::Bytes::from_static(b"first")),
            rest,
        });
        Ok(())
    }
}

/// Sends "first", then panics when polled for more.
struct Panicking {
    sent: bool,
}

impl futures_core::Stream for Panicking {
    type Item = std::result::Result<bytes::Bytes, std::io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        assert!(!self.sent, "the stream broke after its first chunk");
        self.sent = true;
        std::task::Poll::Ready(Some(Ok(bytes::Bytes::from_static(b"first"))))
    }
}

/// `GET` streams "first", then the stream panics.
pub(crate) struct PanicsMidway;

#[peregrine::resource]
impl PanicsMidway {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_stream(Panicking { sent: false });
        Ok(())
    }
}

/// Reads raw bytes until `done` holds for all read so far; fails after 5 s.
pub(crate) async fn read_until(c: &mut Conn, done: impl Fn(&str) -> bool) -> String {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut chunk = [0u8; 1024];
        while !done(&String::from_utf8_lossy(&seen)) {
            let n = tokio::io::AsyncReadExt::read(&mut c.stream, &mut chunk).await.unwrap();
            assert!(n > 0, "closed early");
            seen.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .expect("the bytes arrive within 5 s");
    String::from_utf8_lossy(&seen).into_owned()
}
