//! Write coalescing: the responses a connection produces in one go reach the socket in one write.
//!
//! hyper writes (and flushes) each HTTP/1 response as soon as it is ready, so a client that pipelines 16
//! requests costs 16 `writev` calls. [`coalesce`] puts a buffer between hyper and the socket: writes land in
//! the buffer, hyper's flushes are deferred, and [`FlushWhenIdle`], wrapped around the connection's future,
//! writes the buffer out whenever the connection is about to wait (for the next request bytes, a slow
//! responder or a body stream), and once more when it ends; a shutdown writes it out first. Only small writes
//! are gathered: one that would take the buffer past [`HIGH_WATER`] goes to the socket directly. No response
//! waits on anything but the work the same task is already doing, and a client that sends one request at a
//! time sees the same syscalls as without the buffer. Between bursts a connection holds no buffer: the
//! allocation goes back to the thread for the next connection it runs (`SPARE`), still in the CPU's cache.
//!
//! When the socket had nothing more to read at hyper's last read, no other response can join the next one:
//! hyper reads only once it has parsed every request it holds (while it answers one, it reads again only to
//! notice a client that went away, and only when it holds no further bytes). That is the usual client,
//! which waits for each answer before it asks again; its responses go to the socket as they are written,
//! without the copy, unless earlier bytes still wait in the buffer.
//!
//! hyper has a switch of its own for this (`pipeline_flush`), but with it hyper 1.12 skips the flush while
//! unread bytes remain, so the 431 it writes for an oversized request head never leaves before the close.

use std::cell::Cell;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::lock;

/// Most bytes held back; a write that would go past it first writes out what is buffered, then goes to the
/// socket itself (so a large body is never copied, and a full socket makes the writer wait).
const HIGH_WATER: usize = 64 * 1024;

thread_local! {
    /// The allocation behind the buffer of whichever connection this thread runs: a connection takes it for its
    /// first write and gives it back once everything it wrote has reached the socket, so the next connection on
    /// this thread writes its response into memory that is still in the CPU's cache, and a connection between
    /// requests holds no buffer. A connection whose socket is full keeps its bytes (and this allocation) until
    /// they are written; the next writer on the thread then allocates a new one.
    static SPARE: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Wraps `io`: hyper gets the [`CoalescedIo`], the connection's future is wrapped with the [`Flusher`].
pub(crate) fn coalesce<I>(io: I) -> (CoalescedIo<I>, Flusher<I>) {
    let shared = Arc::new(Mutex::new(Buffered {
        io,
        buf: Vec::new(),
        written: 0,
        broken: None,
        drained_input: false,
        unflushed: false,
    }));
    (
        CoalescedIo {
            shared: Arc::clone(&shared),
        },
        Flusher { shared },
    )
}

struct Buffered<I> {
    io: I,
    buf: Vec<u8>,
    /// How much of `buf` the socket has taken.
    written: usize,
    /// Set when a deferred write failed; the next write reports it.
    broken: Option<io::ErrorKind>,
    /// The last read found nothing to read: hyper holds no unparsed request, so the next write may go to the
    /// socket at once.
    drained_input: bool,
    /// A write went to the socket past the buffer and the socket has not been flushed since (a TLS stream
    /// holds records until it is).
    unflushed: bool,
}

impl<I: AsyncWrite + Unpin> Buffered<I> {
    fn pending(&self) -> usize {
        self.buf.len() - self.written
    }

    /// Appends `data`, taking the thread's spare allocation when this connection holds none.
    fn push(&mut self, data: &[u8]) {
        if self.buf.capacity() == 0 {
            self.buf = SPARE.take();
        }
        self.buf.extend_from_slice(data);
    }

    /// Hands an emptied buffer's allocation to the thread for the next connection it runs.
    fn give_back(&mut self) {
        if self.pending() == 0 && self.buf.capacity() != 0 {
            self.buf.clear();
            self.written = 0;
            SPARE.set(std::mem::take(&mut self.buf));
        }
    }

    /// Writes what is buffered until nothing is left or the socket would block.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.buf.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.buf[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.buf.clear();
        self.written = 0;
        if self.buf.capacity() > HIGH_WATER {
            // Give back what a burst of large responses grew.
            self.buf = Vec::new();
        }
        // A TLS stream holds records until it is flushed; for TCP this does nothing.
        ready!(Pin::new(&mut self.io).poll_flush(cx))?;
        self.unflushed = false;
        Poll::Ready(Ok(()))
    }

    /// Hands a write straight to the socket when no request waits to be answered after it and nothing written
    /// before waits to go first; `None` when the bytes are to be buffered (then, or because the socket is full).
    fn try_write_through(
        &mut self,
        cx: &mut Context<'_>,
        write: impl FnOnce(Pin<&mut I>, &mut Context<'_>) -> Poll<io::Result<usize>>,
    ) -> Option<io::Result<usize>> {
        if !self.drained_input || self.pending() != 0 || self.broken.is_some() {
            return None;
        }
        // PERF: no other response can join this one: written now, without the copy.
        let Poll::Ready(written) = write(Pin::new(&mut self.io), cx) else {
            return None;
        };
        self.unflushed = true;
        Some(written)
    }

    /// Whether `incoming` more bytes still fit under the high-water mark; when they do not, what is buffered
    /// is written out first, so the caller can hand the new bytes to the socket without copying them.
    fn poll_fits(&mut self, cx: &mut Context<'_>, incoming: usize) -> Poll<io::Result<bool>> {
        if let Some(kind) = self.broken {
            return Poll::Ready(Err(kind.into()));
        }
        if self.pending() + incoming <= HIGH_WATER {
            return Poll::Ready(Ok(true));
        }
        ready!(self.poll_drain(cx))?;
        Poll::Ready(Ok(false))
    }
}

/// The I/O hyper sees: reads pass through, writes are buffered, flushes are deferred to [`FlushWhenIdle`].
pub(crate) struct CoalescedIo<I> {
    shared: Arc<Mutex<Buffered<I>>>,
}

impl<I: AsyncRead + Unpin> AsyncRead for CoalescedIo<I> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let mut b = lock(&self.shared);
        let before = buf.filled().len();
        let read = Pin::new(&mut b.io).poll_read(cx, buf);
        // Bytes read may hold more requests; nothing read (or the end) means hyper has parsed all it holds.
        b.drained_input = match read {
            Poll::Ready(Ok(())) => buf.filled().len() == before,
            Poll::Ready(Err(_)) | Poll::Pending => true,
        };
        read
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for CoalescedIo<I> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let mut b = lock(&self.shared);
        if let Some(written) = b.try_write_through(cx, |io, cx| io.poll_write(cx, data)) {
            return Poll::Ready(written);
        }
        if !ready!(b.poll_fits(cx, data.len()))? {
            // A large body goes straight to the socket, behind what was buffered, without a copy.
            return Pin::new(&mut b.io).poll_write(cx, data);
        }
        b.push(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        slices: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut b = lock(&self.shared);
        if let Some(written) = b.try_write_through(cx, |io, cx| io.poll_write_vectored(cx, slices)) {
            return Poll::Ready(written);
        }
        let total = slices.iter().map(|s| s.len()).sum();
        if !ready!(b.poll_fits(cx, total))? {
            return Pin::new(&mut b.io).poll_write_vectored(cx, slices);
        }
        let mut n = 0;
        for slice in slices {
            b.push(slice);
            n += slice.len();
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Deferred: FlushWhenIdle writes the buffer before the connection's task waits.
        match lock(&self.shared).broken {
            Some(kind) => Poll::Ready(Err(kind.into())),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut b = lock(&self.shared);
        ready!(b.poll_drain(cx))?;
        Pin::new(&mut b.io).poll_shutdown(cx)
    }
}

/// The connection's handle on the buffer, for [`FlushWhenIdle`].
pub(crate) struct Flusher<I> {
    shared: Arc<Mutex<Buffered<I>>>,
}

impl<I: AsyncWrite + Unpin> Flusher<I> {
    /// Wraps the connection's future so the buffer is written whenever it waits, and when it ends.
    pub(super) fn flush_when_idle<F: Future>(self, connection: F) -> FlushWhenIdle<F, I> {
        FlushWhenIdle {
            connection,
            flusher: self,
        }
    }

    fn drain(&self, cx: &mut Context<'_>) {
        let mut b = lock(&self.shared);
        if b.pending() != 0 || b.unflushed {
            if let Poll::Ready(Err(e)) = b.poll_drain(cx) {
                // The client is gone; hyper learns it from its next write or read.
                b.broken = Some(e.kind());
            }
        }
        b.give_back();
    }
}

pin_project_lite::pin_project! {
    /// A connection future that writes the coalesced responses out before it waits and when it ends.
    pub(crate) struct FlushWhenIdle<F, I> {
        #[pin]
        connection: F,
        flusher: Flusher<I>,
    }
}

impl<F: Future, I: AsyncWrite + Unpin> Future for FlushWhenIdle<F, I> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let outcome = this.connection.poll(cx);
        // Pending: the socket wakes the task when it can take the rest. Ready: one last best-effort write
        // (hyper normally shut down already, which wrote everything).
        this.flusher.drain(cx);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn writes_wait_in_the_buffer_until_the_connection_waits() {
        let (client, server) = tokio::io::duplex(1 << 20);
        let (mut io, flusher) = coalesce(server);
        let mut client = client;
        let connection = async move {
            io.write_all(b"one ").await.unwrap();
            io.flush().await.unwrap();
            io.write_all(b"two").await.unwrap();
            io.flush().await.unwrap();
            // Nothing has reached the client yet: both writes are buffered.
            let mut byte = [0u8; 1];
            io.read_exact(&mut byte).await.unwrap(); // waits: FlushWhenIdle writes "one two"
            assert_eq!(&byte, b"!");
            io.write_all(b" three").await.unwrap();
            io.shutdown().await.unwrap();
        };
        let serving = tokio::spawn(flusher.flush_when_idle(connection));
        let mut got = [0u8; 7];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"one two");
        client.write_all(b"!").await.unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b" three");
        serving.await.unwrap();
    }

    #[tokio::test]
    async fn a_writer_past_the_high_water_mark_waits_for_the_reader() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let (mut client, server) = tokio::io::duplex(4096);
        let (mut io, flusher) = coalesce(server);
        let big = vec![7u8; 3 * HIGH_WATER];
        let expected = big.len();
        let written = Arc::new(AtomicBool::new(false));
        let written_in_task = Arc::clone(&written);
        let serving = tokio::spawn(flusher.flush_when_idle(async move {
            io.write_all(&big).await.unwrap();
            written_in_task.store(true, Ordering::SeqCst);
            io.shutdown().await.unwrap();
        }));
        // Nobody reads yet: the 4 KiB pipe fills, and the writer must stop at the high-water mark instead of
        // buffering all 192 KiB.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(
            !written.load(Ordering::SeqCst),
            "the writer buffered past the high-water mark"
        );
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(got.len(), expected);
        assert!(got.iter().all(|&b| b == 7));
        serving.await.unwrap();
    }

    /// The spare allocation this thread holds: (capacity, address).
    fn spare() -> (usize, usize) {
        let v = SPARE.take();
        let seen = (v.capacity(), v.as_ptr() as usize);
        SPARE.set(v);
        seen
    }

    /// A connection that writes `bytes`, then waits for ever (so `FlushWhenIdle` writes them out).
    fn writer<I: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
        io: I,
        bytes: &'static [u8],
    ) -> impl Future<Output = ()> {
        let (mut io, flusher) = coalesce(io);
        flusher.flush_when_idle(async move {
            io.write_all(bytes).await.unwrap();
            io.flush().await.unwrap();
            std::future::pending::<()>().await;
        })
    }

    /// The next `n` bytes from `client`; fails the test after 5 s instead of hanging.
    async fn read_exactly(client: &mut tokio::io::DuplexStream, n: usize) -> Vec<u8> {
        let mut got = vec![0u8; n];
        tokio::time::timeout(std::time::Duration::from_secs(5), client.read_exact(&mut got))
            .await
            .expect("the bytes arrived")
            .unwrap();
        got
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_next_connection_on_the_thread_writes_into_the_allocation_the_last_one_emptied() {
        let (mut client_a, server_a) = tokio::io::duplex(1 << 16);
        let a = tokio::spawn(writer(server_a, b"first response"));
        assert_eq!(read_exactly(&mut client_a, 14).await, b"first response");
        let (capacity, address) = spare();
        assert!(capacity >= 14, "the emptied buffer went back to the thread");

        let (mut client_b, server_b) = tokio::io::duplex(1 << 16);
        let b = tokio::spawn(writer(server_b, b"second"));
        assert_eq!(read_exactly(&mut client_b, 6).await, b"second");
        assert_eq!(
            spare(),
            (capacity, address),
            "the second connection used the same allocation"
        );
        a.abort();
        b.abort();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_connection_whose_socket_is_full_keeps_its_bytes_while_others_write() {
        // A's socket takes 4 bytes at a time: most of its response waits in its buffer.
        let (mut client_a, server_a) = tokio::io::duplex(4);
        let a = tokio::spawn(writer(server_a, b"AAAAAAAAAAAAAAAAAAAAAAAA"));
        tokio::task::yield_now().await;
        let (mut client_b, server_b) = tokio::io::duplex(1 << 16);
        let b = tokio::spawn(writer(server_b, b"BBBBBBBB"));
        assert_eq!(read_exactly(&mut client_b, 8).await, b"BBBBBBBB");
        assert_eq!(read_exactly(&mut client_a, 24).await, b"AAAAAAAAAAAAAAAAAAAAAAAA");
        a.abort();
        b.abort();
    }

    /// Polls one read of `io` that must find nothing (hyper's check for a client gone while it answers).
    fn read_finds_nothing<I: AsyncRead + Unpin>(io: &mut CoalescedIo<I>) {
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(
            Pin::new(io).poll_read(&mut cx, &mut buf).is_pending(),
            "the read found bytes"
        );
    }

    #[tokio::test]
    async fn answers_skip_the_buffer_once_a_read_finds_nothing() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let (mut io, _flusher) = coalesce(server);
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        let mut request = [0u8; 18];
        io.read_exact(&mut request).await.unwrap();
        read_finds_nothing(&mut io);
        io.write_all(b"head ").await.unwrap();
        io.write_all(b"body").await.unwrap();
        io.flush().await.unwrap();
        assert_eq!(lock(&io.shared).pending(), 0, "the answer waited in the buffer");
        // Nothing drains the buffer in this test: the bytes are there because they skipped it.
        assert_eq!(read_exactly(&mut client, 9).await, b"head body");
    }

    #[tokio::test]
    async fn answers_wait_while_the_bytes_read_may_hold_more_requests() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let (mut io, flusher) = coalesce(server);
        // Before the first read, and after a read that brought bytes, answers are buffered.
        client
            .write_all(b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        let mut requests = [0u8; 38];
        io.read_exact(&mut requests).await.unwrap();
        io.write_all(b"first ").await.unwrap();
        assert_eq!(
            lock(&io.shared).pending(),
            6,
            "the first answer did not wait for the second"
        );
        read_finds_nothing(&mut io);
        io.write_all(b"second").await.unwrap();
        assert_eq!(
            lock(&io.shared).pending(),
            12,
            "the second answer went ahead of the first"
        );
        let serving = tokio::spawn(flusher.flush_when_idle(async move {
            io.shutdown().await.unwrap();
        }));
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"first second");
        serving.await.unwrap();
    }

    #[tokio::test]
    async fn the_buffer_is_written_when_the_connection_ends_without_a_shutdown() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let (mut io, flusher) = coalesce(server);
        let serving = tokio::spawn(flusher.flush_when_idle(async move {
            io.write_all(b"last words").await.unwrap();
            drop(io);
        }));
        serving.await.unwrap();
        let mut got = [0u8; 10];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"last words");
    }
}
