//! The things binary as a process: `peregrine::run` serves on the address it logs, and SIGTERM drains and
//! exits 0 (README, "Quickstart" and "Serving in production").

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn run_serves_then_sigterm_exits_zero() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_things"))
        .env("PEREGRINE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the things binary");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the binary ended before listening"
        );
        if let Some(rest) = line.split("address=http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };

    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.write_all(b"GET /things HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("Immanuel Kant"), "{answer}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no exit within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "SIGTERM should drain and exit 0, got {exit}");
}
