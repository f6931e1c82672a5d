//! Runs raw-socket cases against a server and checks each: the statuses it answered, whether it closed,
//! and — through the app's record of every request that reached it — that nothing after a refused message
//! reached the app.
//!
//! A case's bytes may use `{p}`, replaced by the case's own path prefix (`/c17`), so the record tells the
//! cases apart. After the case's bytes the harness sends a canary, `GET {p}/canary` with
//! `Connection: close`: a case the server serves must serve the canary next (so nothing was smuggled into,
//! or left over from, the message before it); a case it refuses must close before the canary reaches the
//! app.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use peregrine::server::ServerConfig;
use peregrine::{App, Middleware, Request, Response, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::server::{start, Running};

/// What a case must get.
#[derive(Debug, Clone)]
pub(crate) enum Want {
    /// Answered with these statuses in order, then the canary is served (200) and the connection closes.
    Served(&'static [u16]),
    /// Answered with these statuses in order, then closed; the message may reach the app, the canary not.
    Closed(&'static [u16]),
    /// Answered with this status and closed before anything of the case reaches the app.
    Refused(u16),
    /// As `Refused`, with any of these statuses (where the RFC leaves the choice).
    RefusedAny(&'static [u16]),
}

/// One raw-socket case: its name says which rule it holds.
pub(crate) struct Case {
    pub(crate) name: &'static str,
    /// The rule, e.g. "RFC 9112 §6.3".
    pub(crate) rfc: &'static str,
    /// Written as they are, after `{p}` is replaced; each element is one write.
    pub(crate) writes: Vec<Vec<u8>>,
    pub(crate) want: Want,
    /// Whether the canary follows (not after a message the server must still be waiting on).
    pub(crate) canary: bool,
}

impl Case {
    /// The same case without the canary: for a message left unfinished on purpose.
    pub(crate) fn without_canary(mut self) -> Self {
        self.canary = false;
        self
    }
}

/// A case whose bytes go in one write.
pub(crate) fn case(rfc: &'static str, name: &'static str, bytes: impl AsRef<[u8]>, want: Want) -> Case {
    Case {
        name,
        rfc,
        writes: vec![bytes.as_ref().to_vec()],
        want,
        canary: true,
    }
}

/// A case whose bytes go in several writes, a few milliseconds apart.
pub(crate) fn split_case(rfc: &'static str, name: &'static str, writes: &[&[u8]], want: Want) -> Case {
    Case {
        name,
        rfc,
        writes: writes.iter().map(|w| w.to_vec()).collect(),
        want,
        canary: true,
    }
}

/// Every request path that reached the app, in order.
#[derive(Clone, Default)]
pub(crate) struct Record(Arc<Mutex<Vec<String>>>);

impl Record {
    fn reached(&self, prefix: &str) -> Vec<String> {
        let all = self.0.lock().unwrap();
        all.iter()
            .filter(|p| *p == prefix || p.starts_with(&format!("{prefix}/")) || p.starts_with(&format!("{prefix}?")))
            .cloned()
            .collect()
    }
}

impl Middleware for Record {
    async fn process_request(&self, req: &mut Request, _resp: &mut Response) -> Result {
        self.0.lock().unwrap().push(req.path().to_owned());
        Ok(())
    }
}

/// Answers any method on any path with `<method> <path> <body length>`, reading the body; `{p}/slow` first
/// sleeps 200 ms.
struct Answer;

#[peregrine::resource]
impl Answer {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        answer(req, resp).await
    }
    async fn on_head(&self, req: &mut Request, resp: &mut Response) -> Result {
        answer(req, resp).await
    }
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        answer(req, resp).await
    }
    async fn on_put(&self, req: &mut Request, resp: &mut Response) -> Result {
        answer(req, resp).await
    }
    async fn on_delete(&self, req: &mut Request, resp: &mut Response) -> Result {
        answer(req, resp).await
    }
    async fn on_patch(&self, req: &mut Request, resp: &mut Response) -> Result {
        answer(req, resp).await
    }
}

async fn answer(req: &mut Request, resp: &mut Response) -> Result {
    if req.path().ends_with("/slow") {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let body = req.body_bytes().await?;
    resp.set_text(format!("{} {} {}", req.method(), req.path(), body.len()));
    Ok(())
}

/// A server for the suite, with `config`, and its record.
pub(crate) async fn server(config: ServerConfig) -> (Running, Record) {
    let record = Record::default();
    let app = App::new()
        .max_body_size(4096)
        .add_middleware(record.clone())
        .add_route("/{case}", Answer)
        .add_route("/{case}/{what}", Answer);
    (start(app, config).await, record)
}

/// One response read off the wire.
#[derive(Debug)]
pub(crate) struct Got {
    pub(crate) status: u16,
    pub(crate) head: String,
}

/// What the server sent for one case: responses, and whether it closed.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) responses: Vec<Got>,
    pub(crate) closed: bool,
    /// Bytes that did not parse as a response.
    pub(crate) garbage: String,
}

/// Parses responses off `buf`; bodies by Content-Length, or chunked. HEAD answers carry no body.
fn parse(buf: &[u8], heads: &[bool]) -> (Vec<Got>, String) {
    let mut out = Vec::new();
    let mut at = 0;
    let mut request = 0;
    while at < buf.len() {
        let Some(end) = buf[at..].windows(4).position(|w| w == b"\r\n\r\n") else {
            return (out, String::from_utf8_lossy(&buf[at..]).into_owned());
        };
        let head = String::from_utf8_lossy(&buf[at..at + end]).into_owned();
        let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        at += end + 4;
        let header = |name: &str| {
            head.lines()
                .skip(1)
                .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)))
                .map(|(_, v)| v.trim().to_owned())
        };
        let informational = (100..200).contains(&status);
        let is_head = !informational && heads.get(request).copied().unwrap_or(false);
        if !informational {
            request += 1;
        }
        if !informational && !is_head && status != 204 && status != 304 {
            if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
                at = (at + len).min(buf.len());
            } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
                // Skip chunks to the last one and the empty trailer.
                match buf[at..].windows(5).position(|w| w == b"0\r\n\r\n") {
                    Some(i) => at += i + 5,
                    None => at = buf.len(),
                }
            }
        }
        out.push(Got { status, head });
    }
    (out, String::new())
}

/// Sends `case` (with the canary) on a fresh connection and collects what comes back until the server
/// closes or goes quiet for `quiet`.
pub(crate) async fn run(addr: SocketAddr, case: &Case, prefix: &str, quiet: Duration) -> Outcome {
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let mut writes = replace(&case.writes, prefix);
    if case.canary {
        writes.push(format!("GET {prefix}/canary HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").into_bytes());
    }
    let heads: Vec<bool> = writes.iter().map(|w| w.starts_with(b"HEAD ")).collect();
    let writer = tokio::spawn(async move {
        for (i, w) in writes.iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
            // The server may close early (that is what a refusal does); stop writing then.
            if wr.write_all(w).await.is_err() {
                return;
            }
        }
        // Keep the write half open until the read side is done.
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(wr);
    });
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let closed = loop {
        match tokio::time::timeout(quiet, rd.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => break false,
        }
    };
    writer.abort();
    let (responses, garbage) = parse(&buf, &heads);
    Outcome {
        responses,
        closed,
        garbage,
    }
}

/// The writes with every `{p}` replaced by `prefix`, even one split across writes (it then goes whole
/// into the write where it ends).
fn replace(writes: &[Vec<u8>], prefix: &str) -> Vec<Vec<u8>> {
    let all: Vec<u8> = writes.concat();
    let mut ends = Vec::new();
    let mut end = 0;
    for w in writes {
        end += w.len();
        ends.push(end);
    }
    let mut out = vec![Vec::new()];
    let (mut i, mut write) = (0, 0);
    while i < all.len() {
        let step = if all[i..].starts_with(b"{p}") {
            out.last_mut().unwrap().extend_from_slice(prefix.as_bytes());
            3
        } else {
            out.last_mut().unwrap().push(all[i]);
            1
        };
        i += step;
        while write < ends.len() && ends[write] <= i {
            write += 1;
            if i < all.len() {
                out.push(Vec::new());
            }
        }
    }
    out.retain(|w| !w.is_empty());
    out
}

/// Runs every case of a group against a server with `config`, all at once, and fails listing every case
/// that did not get what it wants, with what it got.
pub(crate) async fn check_group(group: &str, config: ServerConfig, cases: Vec<Case>) {
    check_group_quiet(group, config, cases, Duration::from_secs(3)).await;
}

/// As [`check_group`], waiting `quiet` of silence before deciding a connection stays open.
pub(crate) async fn check_group_quiet(group: &str, config: ServerConfig, cases: Vec<Case>, quiet: Duration) {
    assert!(cases.len() >= 10, "{group}: {} cases, fewer than 10", cases.len());
    let (server, record) = server(config).await;
    let cases: Vec<Arc<Case>> = cases.into_iter().map(Arc::new).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, case) in cases.iter().enumerate() {
        let (case, addr) = (Arc::clone(case), server.addr);
        tasks.spawn(async move {
            let prefix = format!("/c{i}");
            let outcome = run(addr, &case, &prefix, quiet).await;
            (i, prefix, outcome)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(done) = tasks.join_next().await {
        outcomes.push(done.unwrap());
    }
    outcomes.sort_by_key(|(i, _, _)| *i);
    let mut failures = Vec::new();
    for (i, prefix, outcome) in &outcomes {
        let case = &cases[*i];
        let reached = record.reached(prefix);
        let canary = format!("{prefix}/canary");
        let canary_reached = reached.contains(&canary);
        let statuses: Vec<u16> = outcome.responses.iter().map(|r| r.status).collect();
        let problem = match &case.want {
            Want::Served(want) => {
                let mut want = want.to_vec();
                want.push(200);
                if statuses != want {
                    Some(format!("statuses {statuses:?}, want {want:?}"))
                } else if !canary_reached {
                    Some("the canary did not reach the app".to_owned())
                } else if !outcome.closed {
                    Some("not closed after the canary".to_owned())
                } else {
                    None
                }
            }
            Want::Closed(want) => {
                if statuses != *want {
                    Some(format!("statuses {statuses:?}, want {want:?}"))
                } else if !outcome.closed {
                    Some("not closed".to_owned())
                } else if canary_reached {
                    Some("the canary reached the app".to_owned())
                } else {
                    None
                }
            }
            Want::Refused(status) => refused(&statuses, &[*status], outcome.closed, &reached),
            Want::RefusedAny(any) => refused(&statuses, any, outcome.closed, &reached),
        };
        if let Some(problem) = problem {
            failures.push(format!(
                "[{group} #{i}] {} ({}): {problem}\n    got: {:?}{}\n    reached the app: {reached:?}",
                case.name,
                case.rfc,
                outcome
                    .responses
                    .iter()
                    .map(|r| r.head.lines().next().unwrap_or(""))
                    .collect::<Vec<_>>(),
                if outcome.garbage.is_empty() {
                    String::new()
                } else {
                    format!(" + unparsed {:?}", outcome.garbage)
                },
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn refused(statuses: &[u16], allowed: &[u16], closed: bool, reached: &[String]) -> Option<String> {
    match statuses {
        [s] if allowed.contains(s) => {
            if !closed {
                Some("not closed after the refusal".to_owned())
            } else if !reached.is_empty() {
                Some("something of the case reached the app".to_owned())
            } else {
                None
            }
        }
        _ => Some(format!("statuses {statuses:?}, want one of {allowed:?} alone")),
    }
}
