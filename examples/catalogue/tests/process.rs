//! The `catalogue` binary as a process: SIGUSR1 refreshes its in-process copy after the tables were changed
//! from outside it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use catalogue::{Db, Fixture, PoolConfig};

/// The server process; killed when dropped, its SQLite files removed.
struct Server {
    child: Child,
    addr: String,
    file: std::path::PathBuf,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.file.display()));
        }
    }
}

fn start(url: &str, file: std::path::PathBuf) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_catalogue"))
        .env("DATABASE_URL", url)
        .env("PEREGRINE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the catalogue binary");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
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
        file,
        _stdout: stdout,
    }
}

/// `GET path` on its own connection: the body.
fn get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn sigusr1_reloads_the_copy() {
    let file = std::env::temp_dir().join(format!("catalogue_process_{}.db", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let server = start(&url, file);
    assert!(get(&server.addr, "/sections/popular-family").contains("\"Popular Family\""));

    let fixture = Fixture::committed();
    let outside = Db::connect(&url, &PoolConfig::default(), &fixture).await.unwrap();
    let mut section = fixture
        .sections()
        .into_iter()
        .find(|s| s.slug == "popular-family")
        .unwrap();
    section.name = "Renamed outside".into();
    outside.put_section(&section, None).await.unwrap();
    // The copy does not know yet.
    assert!(get(&server.addr, "/sections/popular-family").contains("\"Popular Family\""));

    let status = Command::new("kill")
        .args(["-USR1", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body = get(&server.addr, "/sections/popular-family");
        if body.contains("\"Renamed outside\"") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still the old copy 10 s after SIGUSR1: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
