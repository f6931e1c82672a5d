//! `resp.schedule`: work that runs after the response, in order, after every process_response, whose
//! errors and panics never reach the client; and, over a socket, after a client that went away.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use peregrine::server::ServerConfig;
use peregrine::testing::TestClient;
use peregrine::{App, HttpError, Middleware, Request, Response, Result};
use support::http1::Conn;
use support::server::start;
use tokio::sync::mpsc;

type Log = Arc<Mutex<Vec<String>>>;

struct Report {
    log: Log,
    done: mpsc::UnboundedSender<()>,
    response_phase_ran: Arc<AtomicBool>,
}

#[peregrine::resource]
impl Report {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        for name in ["first", "failing", "panicking", "last"] {
            let log = self.log.clone();
            let seen = self.response_phase_ran.clone();
            let done = self.done.clone();
            resp.schedule(async move {
                log.lock().unwrap().push(format!(
                    "{name} after process_response: {}",
                    seen.load(Ordering::SeqCst)
                ));
                match name {
                    "failing" => return Err(HttpError::bad_request().into()),
                    "panicking" => panic!("a scheduled task panicked on purpose"),
                    "last" => {
                        let _ = done.send(());
                    }
                    _ => {}
                }
                Ok(())
            });
        }
        resp.set_text("report accepted");
        Ok(())
    }
}

struct MarkResponsePhase(Arc<AtomicBool>);

impl Middleware for MarkResponsePhase {
    async fn process_response(&self, _req: &mut Request, _resp: &mut Response, _ok: bool) -> Result {
        self.0.store(true, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn scheduled_tasks_run_in_order_after_the_response_and_failures_stay_in_the_log() {
    let log = Log::default();
    let (done, mut finished) = mpsc::unbounded_channel();
    let phase = Arc::new(AtomicBool::new(false));
    let app = App::new().add_middleware(MarkResponsePhase(phase.clone())).add_route(
        "/report",
        Report {
            log: log.clone(),
            done,
            response_phase_ran: phase,
        },
    );
    let r = TestClient::new(app).simulate_get("/report").await;
    assert_eq!(r.status(), 200, "{r:?}");
    assert_eq!(r.text(), "report accepted");
    tokio::time::timeout(Duration::from_secs(5), finished.recv())
        .await
        .expect("the last task ran");
    assert_eq!(
        *log.lock().unwrap(),
        [
            "first after process_response: true",
            "failing after process_response: true",
            "panicking after process_response: true",
            "last after process_response: true",
        ]
    );
}

/// Streams one chunk, then never ends: the client has to leave.
struct Endless(mpsc::UnboundedSender<()>);

#[peregrine::resource]
impl Endless {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        let done = self.0.clone();
        resp.schedule(async move {
            let _ = done.send(());
            Ok(())
        });
        let first = futures_stream(Bytes::from_static(b"first chunk"));
        resp.set_stream(first);
        Ok(())
    }
}

/// A stream of `chunk`, then pending forever.
fn futures_stream(chunk: Bytes) -> impl futures_core::Stream<Item = std::result::Result<Bytes, std::io::Error>> {
    struct S(Option<Bytes>);
    impl futures_core::Stream for S {
        type Item = std::result::Result<Bytes, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            match self.0.take() {
                Some(b) => std::task::Poll::Ready(Some(Ok(b))),
                None => std::task::Poll::Pending,
            }
        }
    }
    S(Some(chunk))
}

#[tokio::test]
async fn a_task_runs_when_the_client_goes_away_mid_body() {
    let (done, mut finished) = mpsc::unbounded_channel();
    let server = start(App::new().add_route("/endless", Endless(done)), ServerConfig::default()).await;
    let mut conn = Conn::open(server.addr).await;
    conn.send("GET /endless HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let mut buf = vec![0u8; 256];
    let n = tokio::io::AsyncReadExt::read(&mut conn.stream, &mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("first chunk"));
    assert!(finished.try_recv().is_err(), "the body is still being sent");
    drop(conn);
    tokio::time::timeout(Duration::from_secs(5), finished.recv())
        .await
        .expect("the task ran once the client left");
}
