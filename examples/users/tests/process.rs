//! The `users` binary as a process: it says where it listens, seeds an empty table, and a 201 survives
//! `kill -9` straight after it.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use users::{Db, PoolConfig, User};

/// The server process; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    addr: String,
    /// Kept open so that later output cannot meet a closed pipe.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The users binary on a free port, logging at `log_level`, with its stdout piped.
fn spawn(database_url: &str, log_level: &str) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_users"))
        .env("DATABASE_URL", database_url)
        .env("PEREGRINE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", log_level)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the users binary");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdout)
}

fn start(database_url: &str) -> Server {
    let (child, mut stdout) = spawn(database_url, "warn");
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("first line names the address, got {line:?}"))
        .to_owned();
    Server {
        child,
        addr,
        _stdout: stdout,
    }
}

/// One request on its own connection; returns the status and the body.
fn request(addr: &str, method: &str, path: &str, json: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let body = json.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn first_start_prints_its_address_and_seeds_twenty_users() {
    let db = common::sqlite();
    let server = start(&db.url);
    let (status, body) = request(&server.addr, "GET", "/users/", None);
    assert_eq!(status, 200);
    let users: Vec<User> = serde_json::from_str(&body).unwrap();
    assert_eq!(users.len(), 20);
}

#[test]
fn a_log_written_to_a_pipe_has_no_colour_codes() {
    let db = common::sqlite();
    let (mut child, mut stdout) = spawn(&db.url, "info");
    let mut log = String::new();
    while !log.contains("listening on http://") {
        if stdout.read_line(&mut log).unwrap() == 0 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(log.contains("INFO"), "the info log reached stdout: {log:?}");
    assert!(!log.contains('\u{1b}'), "no ANSI escape codes in a piped log: {log:?}");
}

async fn acknowledged_post_survives_kill_9(url: &str) {
    let server = start(url);
    let (status, body) = request(&server.addr, "POST", "/users/", Some(r#"{"username": "durable"}"#));
    assert_eq!(status, 201, "{body}");
    let created: User = serde_json::from_str(&body).unwrap();
    drop(server); // SIGKILL, no chance to flush anything

    let db = Db::connect(url, &PoolConfig::default()).await.unwrap();
    assert_eq!(db.get(created.id).await.unwrap(), Some(created));
}

#[tokio::test]
async fn sqlite_acknowledged_post_survives_kill_9() {
    let db = common::sqlite();
    acknowledged_post_survives_kill_9(&db.url).await;
}

#[tokio::test]
async fn postgres_acknowledged_post_survives_kill_9() {
    let Some(db) = common::postgres("postgres_acknowledged_post_survives_kill_9").await else {
        return;
    };
    acknowledged_post_survives_kill_9(&db.url).await;
    db.remove().await;
}

#[test]
fn print_routes_lists_the_route_table_and_touches_no_database() {
    let output = Command::new(env!("CARGO_BIN_EXE_users"))
        .arg("--print-routes")
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .expect("run the users binary");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "routes:",
        "/users/ -> ",
        "/users/{user_id:int} -> ",
        "(suffix 'item')",
        "PATCH",
        "/health -> ",
        "/ready -> ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
