//! A minimal HTTP/1.1 client over a raw socket, so server tests see exactly what goes on the wire.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response read off the wire.
pub(crate) struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One client connection, keeping bytes read past the end of a response for the next one.
pub(crate) struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub(crate) async fn open(addr: SocketAddr) -> Conn {
        Conn {
            stream: TcpStream::connect(addr).await.unwrap(),
            buf: Vec::new(),
        }
    }

    pub(crate) async fn send(&mut self, request: &str) {
        self.stream.write_all(request.as_bytes()).await.unwrap();
    }

    /// Sends `request` as is, then reads one response; `head` says the request was HEAD (no body follows).
    pub(crate) async fn exchange(&mut self, request: &str, head: bool) -> Raw {
        self.send(request).await;
        self.read_response(head).await
    }

    /// Whether the server closes the connection within `limit` (bytes it sends before closing are dropped).
    pub(crate) async fn closed_within(&mut self, limit: std::time::Duration) -> bool {
        let mut chunk = [0u8; 4096];
        tokio::time::timeout(limit, async {
            loop {
                match self.stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await
        .is_ok()
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed in the middle of a response");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    pub(crate) async fn read_response(&mut self, head: bool) -> Raw {
        let header_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await;
        };
        let text = String::from_utf8_lossy(&self.buf[..header_end]).into_owned();
        let mut lines = text.split("\r\n");
        let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (k, v) = l.split_once(':').unwrap();
                (k.trim().to_owned(), v.trim().to_owned())
            })
            .collect();
        let mut raw = Raw {
            status,
            headers,
            body: Vec::new(),
        };
        let length: usize = if head {
            0
        } else {
            raw.header("content-length").map(|v| v.parse().unwrap()).unwrap_or(0)
        };
        while self.buf.len() < header_end + length {
            self.fill().await;
        }
        raw.body = self.buf[header_end..header_end + length].to_vec();
        self.buf.drain(..header_end + length);
        raw
    }
}
