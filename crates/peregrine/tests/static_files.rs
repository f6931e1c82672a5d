//! Static routes: files served with their type, validators, ranges and HEAD; other methods refused; and
//! traversal attempts (encoded, doubled, backslashed, NUL, symbolic links out of the directory), in memory
//! and over a real socket, none of which reaches a file outside the directory.

#![cfg(feature = "files")]

mod support;

use std::path::{Path, PathBuf};

use peregrine::server::ServerConfig;
use peregrine::testing::TestClient;
use peregrine::{App, Request, Response, Result, StaticOptions, StatusCode};
use support::http1::Conn;
use support::server::start;

const SECRET: &str = "TOP SECRET: outside the served directory";

/// A fresh tree: `<base>/secret.txt` (outside), `<base>/www/` (served) with an index, a stylesheet, a
/// symbolic link pointing out (file and directory) and one pointing in.
fn tree(name: &str) -> PathBuf {
    let base = std::env::temp_dir().join(format!("peregrine-static-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let www = base.join("www");
    std::fs::create_dir_all(www.join("css")).unwrap();
    std::fs::create_dir_all(base.join("private")).unwrap();
    std::fs::write(base.join("secret.txt"), SECRET).unwrap();
    std::fs::write(base.join("private/secret.txt"), SECRET).unwrap();
    std::fs::write(www.join("index.html"), "<h1>home</h1>").unwrap();
    std::fs::write(www.join("css/site.css"), "body { color: black }").unwrap();
    std::fs::write(
        www.join("data.bin"),
        (0..=255u8).cycle().take(200_000).collect::<Vec<u8>>(),
    )
    .unwrap();
    std::os::unix::fs::symlink(base.join("secret.txt"), www.join("escape")).unwrap();
    std::os::unix::fs::symlink(base.join("private"), www.join("escape_dir")).unwrap();
    std::os::unix::fs::symlink(www.join("css/site.css"), www.join("style.css")).unwrap();
    std::os::unix::fs::symlink(www.join("loop_a"), www.join("loop_b")).unwrap();
    std::os::unix::fs::symlink(www.join("loop_b"), www.join("loop_a")).unwrap();
    www
}

fn client(www: &Path, options: StaticOptions) -> TestClient {
    TestClient::new(App::new().add_static_route("/static", www, options))
}

#[tokio::test]
async fn files_are_served_typed_tagged_and_ranged() {
    let www = tree("serve");
    let client = client(&www, StaticOptions::default());
    let r = client.simulate_get("/static/css/site.css").await;
    assert_eq!(r.status(), StatusCode::OK, "{r:?}");
    assert_eq!(r.text(), "body { color: black }");
    assert_eq!(r.header("content-type"), Some("text/css"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert!(r.header("last-modified").is_some(), "{r:?}");
    let etag = r.header("etag").expect("an ETag").to_owned();
    assert_eq!(r.header("content-disposition"), None);

    let r = client
        .simulate_get("/static/css/site.css")
        .header("if-none-match", &etag)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{r:?}");
    assert!(r.content().is_empty());

    let r = client
        .simulate_get("/static/data.bin")
        .header("range", "bytes=256-511")
        .await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{r:?}");
    assert_eq!(r.content().len(), 256);
    assert_eq!(r.content()[0], 0);
    assert_eq!(r.header("content-range"), Some("bytes 256-511/200000"));

    let r = client.simulate_get("/static/data.bin").await;
    assert_eq!(r.content().len(), 200_000, "streamed whole");

    let r = client.simulate_head("/static/index.html").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.header("content-length"), Some("13"));
    assert!(r.content().is_empty());

    // A symbolic link that stays inside the directory is followed.
    assert_eq!(
        client.simulate_get("/static/style.css").await.text(),
        "body { color: black }"
    );
}

#[tokio::test]
async fn only_get_and_head_are_served() {
    let www = tree("methods");
    let client = client(&www, StaticOptions::default());
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let r = client.simulate_request(method, "/static/index.html").await;
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}: {r:?}");
        assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    }
    let r = client.simulate_options("/static/index.html").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
}

#[tokio::test]
async fn options_add_attachment_cache_control_and_a_fallback() {
    let www = tree("options");
    let client = client(
        &www,
        StaticOptions::default()
            .downloadable(true)
            .cache_control("public, max-age=60")
            .fallback_filename("index.html"),
    );
    let r = client.simulate_get("/static/css/site.css").await;
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"site.css\"")
    );
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));

    for missing in [
        "/static/app/route/42",
        "/static/nothing.txt",
        "/static",
        "/static/",
        "/static/css",
    ] {
        let r = client.simulate_get(missing).await;
        assert_eq!(r.status(), StatusCode::OK, "{missing}: {r:?}");
        assert_eq!(r.text(), "<h1>home</h1>", "{missing}");
        assert_eq!(r.header("content-type"), Some("text/html"));
    }
    // A refused path is not a missing file: no fallback.
    let r = client.simulate_get("/static/../secret.txt").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "{r:?}");
}

/// Paths that try to leave the directory; each must get a 4xx and never the secret.
const ATTACKS: &[&str] = &[
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2E/secret.txt",
    "/static/.%2e/secret.txt",
    "/static/%2e./secret.txt",
    "/static/..%2fsecret.txt",
    "/static/..%2Fsecret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/..%5csecret.txt",
    "/static/%5c..%5csecret.txt",
    "/static/css/../../secret.txt",
    "/static/css/%2e%2e/%2e%2e/secret.txt",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/%2F..%2F..%2Fsecret.txt",
    "/static/escape",
    "/static/escape_dir/secret.txt",
    "/static/index.html%00.txt",
    "/static/a%00/../../secret.txt",
    "/static/~/secret.txt",
    "/static/c:%5cwindows%5cwin.ini",
    "/static/%252e%252e/secret.txt",
    "/static/....//secret.txt",
    "/static/./../secret.txt",
    "/static/%c0%ae%c0%ae/secret.txt",
    "/static/css/..%5c..%5csecret.txt",
    "/static/%0a../secret.txt",
    "/static/",
    "/static/css",
    "/static/css/",
    "/static/loop_a",
    "/static/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

#[tokio::test]
async fn traversal_attempts_never_leave_the_directory() {
    let www = tree("attacks");
    let client = client(&www, StaticOptions::default());
    for attack in ATTACKS {
        let r = client.simulate_get(attack).await;
        assert!(r.status().is_client_error(), "{attack}: {r:?}");
        assert!(!r.text().contains("TOP SECRET"), "{attack} leaked: {r:?}");
    }
    // And with a fallback, none of them leaks either, and one that resolves out of the directory is a
    // 404, not the fallback.
    let client = self::client(&www, StaticOptions::default().fallback_filename("index.html"));
    for attack in ATTACKS {
        let r = client.simulate_get(attack).await;
        assert!(!r.text().contains("TOP SECRET"), "{attack} leaked: {r:?}");
    }
    assert_eq!(
        client.simulate_get("/static/escape").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn traversal_attempts_over_a_socket_never_leave_the_directory() {
    let www = tree("socket");
    let server = start(
        App::new().add_static_route("/static", &www, StaticOptions::default()),
        ServerConfig::default(),
    )
    .await;
    let raw_only = [
        "/static/..\\secret.txt",
        "/static/\\..\\secret.txt",
        "/static/.%2e/%2e%2e/secret.txt",
    ];
    for attack in ATTACKS.iter().chain(&raw_only) {
        let mut conn = Conn::open(server.addr).await;
        conn.send(&format!(
            "GET {attack} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        ))
        .await;
        let r = conn.read_response(false).await;
        assert!((400..500).contains(&r.status), "{attack}: {}", r.status);
        assert!(
            !String::from_utf8_lossy(&r.body).contains("TOP SECRET"),
            "{attack} leaked"
        );
    }
    let mut conn = Conn::open(server.addr).await;
    let r = conn
        .exchange("GET /static/index.html HTTP/1.1\r\nHost: t\r\n\r\n", false)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"<h1>home</h1>");
}

struct Api;

#[peregrine::resource]
impl Api {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("api");
        Ok(())
    }
}

#[tokio::test]
async fn routes_mask_static_files_and_a_root_static_route_serves_the_rest() {
    let www = tree("root");
    let app = App::new()
        .add_static_route("/", &www, StaticOptions::default())
        .add_route("/index.html", Api);
    let client = TestClient::new(app);
    assert_eq!(client.simulate_get("/index.html").await.text(), "api");
    assert_eq!(
        client.simulate_get("/css/site.css").await.text(),
        "body { color: black }"
    );
}

#[test]
#[should_panic(expected = "add_static_route: cannot serve")]
fn a_missing_directory_stops_the_app_from_starting() {
    let _ = App::new().add_static_route("/static", "/nonexistent/peregrine", StaticOptions::default());
}
