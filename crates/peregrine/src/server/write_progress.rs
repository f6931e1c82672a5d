//! The socket of an HTTP/1 connection, as hyper sees it: every write that reaches the socket renews the
//! connection's header-read watchdog (when armed), so the header-read timeout counts from the last byte
//! written, and a slow reader of a large response is not cut off as if it were idle.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::header_timer::Watchdog;

/// `io`, renewing `watchdog` on every write that makes progress.
pub(crate) struct WriteProgress<I> {
    io: I,
    watchdog: Option<Arc<Watchdog>>,
}

impl<I> WriteProgress<I> {
    pub(crate) fn new(io: I, watchdog: Option<Arc<Watchdog>>) -> Self {
        WriteProgress { io, watchdog }
    }

    fn wrote(&self, written: &Poll<io::Result<usize>>) {
        if let (Poll::Ready(Ok(n)), Some(watchdog)) = (written, &self.watchdog) {
            if *n > 0 {
                watchdog.renew();
            }
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for WriteProgress<I> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for WriteProgress<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write(cx, buf);
        self.wrote(&written);
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.wrote(&written);
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
