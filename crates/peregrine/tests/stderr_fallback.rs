//! Without a `tracing` subscriber, unhandled errors and panics still reach stderr (the detail never reaches
//! the client). Each case runs in a child process of this test binary, so that its stderr can be read.

use std::process::Command;

use peregrine::testing::TestClient;
use peregrine::{App, Request, Response, Result};

#[derive(Debug)]
struct DiskFull;

impl std::fmt::Display for DiskFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the disk is full")
    }
}

impl std::error::Error for DiskFull {}

struct Failing;

#[peregrine::resource]
impl Failing {
    async fn on_get(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Err(DiskFull.into())
    }

    async fn on_post(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        panic!("the index is corrupt")
    }
}

/// Runs the test named `name` again in a child process with `CHILD=1`, returning its stderr.
fn child_stderr(name: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("CHILD", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn run_in_child(app: App) {
    let client = TestClient::new(app);
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let r = client.simulate_get("/f").await;
            assert_eq!(r.status(), 500);
            assert!(!r.text().contains("disk"), "{r}");
            let r = client.simulate_post("/f").await;
            assert_eq!(r.status(), 500);
        });
}

#[test]
fn unhandled_errors_and_panics_reach_stderr_without_a_subscriber() {
    if std::env::var_os("CHILD").is_some() {
        return run_in_child(App::new().add_route("/f", Failing));
    }
    let stderr = child_stderr("unhandled_errors_and_panics_reach_stderr_without_a_subscriber");
    assert!(
        stderr.contains("peregrine: unhandled error; answering 500: GET /f (route /f): the disk is full"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "peregrine: panic while serving a request; answering 500: POST /f (route /f): the index is corrupt"
        ),
        "{stderr}"
    );
}

#[test]
fn the_fallback_can_be_turned_off() {
    if std::env::var_os("CHILD").is_some() {
        return run_in_child(App::new().add_route("/f", Failing).stderr_fallback(false));
    }
    let stderr = child_stderr("the_fallback_can_be_turned_off");
    assert!(!stderr.contains("peregrine: "), "{stderr}");
}

#[test]
fn the_listening_address_reaches_stderr_without_a_subscriber() {
    if std::env::var_os("CHILD").is_some() {
        use peregrine::server::{BindAddr, Server, ServerConfig};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let config = ServerConfig::new().bind(BindAddr::Tcp("127.0.0.1:0".parse().unwrap()));
            Server::bind(config).await.unwrap();
        });
        return;
    }
    let stderr = child_stderr("the_listening_address_reaches_stderr_without_a_subscriber");
    assert!(stderr.contains("peregrine: listening on http://127.0.0.1:"), "{stderr}");
}
