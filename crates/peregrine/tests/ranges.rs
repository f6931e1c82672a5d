//! Byte ranges through the test client (RFC 9110 §14): 206 for one range, 416 past the end, the whole body
//! for several ranges or a stale If-Range, and nothing for bodies that do not advertise `Accept-Ranges`.

use peregrine::testing::TestClient;
use peregrine::{App, EntityTag, Request, Response, Result};

/// The alphabet, ranged when `?ranged` is present.
struct Letters;

#[peregrine::resource]
impl Letters {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        resp.set_data(&b"abcdefghijklmnopqrstuvwxyz"[..]);
        resp.set_etag(&EntityTag::strong("abc"));
        if req.has_param("ranged") {
            resp.set_accept_ranges("bytes")?;
        }
        Ok(())
    }
}

fn client() -> TestClient {
    TestClient::new(App::new().add_route("/letters", Letters))
}

#[tokio::test]
async fn one_range_is_206_with_content_range() {
    let c = client();
    for (range, body, content_range) in [
        ("bytes=0-4", "abcde", "bytes 0-4/26"),
        ("bytes=20-", "uvwxyz", "bytes 20-25/26"),
        ("bytes=-3", "xyz", "bytes 23-25/26"),
        ("bytes=24-99", "yz", "bytes 24-25/26"),
        ("bytes=-100", "abcdefghijklmnopqrstuvwxyz", "bytes 0-25/26"),
    ] {
        let r = c.simulate_get("/letters?ranged").header("range", range).await;
        assert_eq!(r.status(), 206, "{range}: {}", r.text());
        assert_eq!(r.text(), body, "{range}");
        assert_eq!(r.header("content-range"), Some(content_range), "{range}");
        assert_eq!(r.header("content-length"), Some(body.len().to_string().as_str()));
    }
}

#[tokio::test]
async fn past_the_end_is_416_with_the_length() {
    let r = client()
        .simulate_get("/letters?ranged")
        .header("range", "bytes=26-")
        .await;
    assert_eq!(r.status(), 416, "{}", r.text());
    assert_eq!(r.header("content-range"), Some("bytes */26"));
}

#[tokio::test]
async fn what_is_not_one_byte_range_gets_the_whole_body() {
    let c = client();
    for range in ["bytes=0-1,3-4", "bytes=5-2", "items=0-1", "garbage"] {
        let r = c.simulate_get("/letters?ranged").header("range", range).await;
        assert_eq!(r.status(), 200, "{range}");
        assert_eq!(r.content().len(), 26, "{range}");
    }
    // Without Accept-Ranges the responder did not offer ranges.
    let r = c.simulate_get("/letters").header("range", "bytes=0-4").await;
    assert_eq!((r.status().as_u16(), r.content().len()), (200, 26));
    // HEAD and other methods are not ranged.
    let r = c.simulate_head("/letters?ranged").header("range", "bytes=0-4").await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn if_range_must_match_strongly() {
    let c = client();
    let fresh = c
        .simulate_get("/letters?ranged")
        .header("range", "bytes=0-0")
        .header("if-range", "\"abc\"")
        .await;
    assert_eq!((fresh.status().as_u16(), fresh.text()), (206, "a".to_owned()));
    for stale in ["\"old\"", "W/\"abc\"", "Sun, 06 Nov 1994 08:49:37 GMT"] {
        let r = c
            .simulate_get("/letters?ranged")
            .header("range", "bytes=0-0")
            .header("if-range", stale)
            .await;
        assert_eq!(r.status(), 200, "{stale}");
        assert_eq!(r.content().len(), 26, "{stale}");
    }
}

#[tokio::test]
async fn a_matching_if_none_match_wins_over_range() {
    let r = client()
        .simulate_get("/letters?ranged")
        .header("range", "bytes=0-4")
        .header("if-none-match", "\"abc\"")
        .await;
    assert_eq!(r.status(), 304);
}

#[tokio::test]
async fn the_getters_read_one_range() {
    struct R;
    #[peregrine::resource]
    impl R {
        async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
            resp.set_text(format!("{:?} {:?}", req.range()?, req.range_unit()?));
            Ok(())
        }
    }
    let c = TestClient::new(App::new().add_route("/r", R));
    let r = c.simulate_get("/r").header("range", "bytes=10-").await;
    assert_eq!(r.text(), "Some(From(10)) Some(\"bytes\")");
    let r = c.simulate_get("/r").header("range", "bytes=0-1,5-6").await;
    assert_eq!(r.status(), 400);
}

#[cfg(feature = "files")]
mod files {
    use super::*;

    struct Download {
        path: std::path::PathBuf,
    }

    #[peregrine::resource]
    impl Download {
        async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
            resp.set_file(&self.path).await
        }
    }

    fn temp_file(name: &str, len: usize) -> (std::path::PathBuf, Vec<u8>) {
        let dir = std::env::temp_dir().join(format!("peregrine-files-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let content: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        (path, content)
    }

    #[tokio::test]
    async fn a_file_is_sent_typed_dated_tagged_and_ranged() {
        let (path, content) = temp_file("report.json", 200_000);
        let c = TestClient::new(App::new().add_route("/f", Download { path: path.clone() }));
        let whole = c.simulate_get("/f").await;
        assert_eq!(whole.status(), 200);
        assert_eq!(whole.content().as_ref(), &content[..]);
        assert_eq!(whole.header("content-type"), Some("application/json"));
        assert_eq!(whole.header("accept-ranges"), Some("bytes"));
        assert!(whole.header("last-modified").is_some());
        let etag = whole.header("etag").unwrap().to_owned();
        let again = c.simulate_get("/f").header("if-none-match", &etag).await;
        assert_eq!(again.status(), 304);
        let part = c.simulate_get("/f").header("range", "bytes=150000-150009").await;
        assert_eq!(part.status(), 206);
        assert_eq!(part.content().as_ref(), &content[150_000..150_010]);
        assert_eq!(part.header("content-range"), Some("bytes 150000-150009/200000"));
        let tail = c.simulate_get("/f").header("range", "bytes=-70000").await;
        assert_eq!(tail.content().as_ref(), &content[130_000..]);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn a_missing_file_or_a_directory_is_404() {
        let c = TestClient::new(App::new().add_route(
            "/f",
            Download {
                path: "/no/such/file".into(),
            },
        ));
        assert_eq!(c.simulate_get("/f").await.status(), 404);
        let c = TestClient::new(App::new().add_route(
            "/f",
            Download {
                path: std::env::temp_dir(),
            },
        ));
        assert_eq!(c.simulate_get("/f").await.status(), 404);
    }
}
