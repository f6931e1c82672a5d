//! Streamed multipart bodies through the test client: parts in order, skipping, saving to disk, each limit
//! at its bound, and malformed bodies. Falcon's `test_media_multipart.py` is the reference.

use peregrine::testing::{TestClient, TestResult};
use peregrine::{App, Request, Response, Result};

/// Lists each part as `name|filename|content-type|size`, or saves parts named `file` to the path in the
/// `x-save-to` header.
struct Uploads;

#[peregrine::resource]
impl Uploads {
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let save_to = req.get_header("x-save-to").map(|p| p.into_owned());
        let skip = req.get_param("skip").map(str::to_owned);
        let mut multipart = req.multipart()?;
        let mut seen = Vec::new();
        while let Some(mut part) = multipart.next_part().await? {
            let name = part.name().unwrap_or("-").to_owned();
            let described = format!(
                "{}|{}|{}",
                name,
                part.filename().unwrap_or("-"),
                part.content_type().unwrap_or("-")
            );
            if skip.as_deref() == Some(name.as_str()) {
                seen.push(format!("{described}|skipped"));
                continue;
            }
            let size = match (&save_to, name.as_str()) {
                (Some(path), "file") => part.save_to(path).await?,
                _ => part.bytes().await?.len() as u64,
            };
            seen.push(format!("{described}|{size}"));
        }
        resp.set_text(seen.join("\n"));
        Ok(())
    }
}

fn part(name: &str, extra: &str, body: &str) -> String {
    format!("--B\r\ncontent-disposition: form-data; name=\"{name}\"{extra}\r\n\r\n{body}\r\n")
}

async fn post(client: &TestClient, path: &str, body: String) -> TestResult {
    client
        .simulate_post(path)
        .header("content-type", "multipart/form-data; boundary=B")
        .body(body)
        .await
}

fn title(r: &TestResult) -> String {
    r.json::<serde_json::Value>()["title"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn client() -> TestClient {
    TestClient::new(App::new().add_route("/uploads", Uploads))
}

#[tokio::test]
async fn parts_arrive_in_order_with_their_headers() {
    let body = part("title", "", "Holiday")
        + &part(
            "file",
            "; filename=\"beach.jpg\"\r\ncontent-type: image/jpeg",
            "\u{1F3D6}JPEGDATA",
        )
        + "--B--\r\n";
    let r = post(&client(), "/uploads", body).await;
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(r.text(), "title|-|-|7\nfile|beach.jpg|image/jpeg|12");
}

#[tokio::test]
async fn an_unread_part_is_skipped() {
    let body = part("a", "", "aaaa") + &part("b", "", "bb") + "--B--\r\n";
    let r = post(&client(), "/uploads?skip=a", body).await;
    assert_eq!(r.text(), "a|-|-|skipped\nb|-|-|2");
}

#[tokio::test]
async fn a_part_saved_to_disk_is_whole() {
    let dir = std::env::temp_dir().join(format!("peregrine-multipart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("upload.bin");
    let content: String = (0..200_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let body = part("file", "; filename=\"x.bin\"", &content) + "--B--\r\n";
    let r = TestClient::new(App::new().add_route("/uploads", Uploads).max_body_size(1 << 20))
        .simulate_post("/uploads")
        .header("content-type", "multipart/form-data; boundary=B")
        .header("x-save-to", path.to_str().unwrap())
        .body(body)
        .await;
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(r.text(), "file|x.bin|-|200000");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), content);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn each_limit_is_exact_and_named() {
    let app = App::new().add_route("/uploads", Uploads).req_options(|o| {
        o.max_parts = 2;
        o.max_part_size = Some(5);
        o.max_part_header_size = 100;
    });
    let client = TestClient::new(app);
    let two = part("a", "", "12345") + &part("b", "", "1") + "--B--\r\n";
    assert_eq!(post(&client, "/uploads", two).await.status(), 200);
    let three = part("a", "", "1") + &part("b", "", "1") + &part("c", "", "1") + "--B--\r\n";
    let r = post(&client, "/uploads", three).await;
    assert_eq!(
        (r.status().as_u16(), title(&r)),
        (413, "Too many parts".into()),
        "{}",
        r.text()
    );
    let six = part("a", "", "123456") + "--B--\r\n";
    let r = post(&client, "/uploads", six).await;
    assert_eq!(
        (r.status().as_u16(), title(&r)),
        (413, "Part too large".into()),
        "{}",
        r.text()
    );
    // The header block is `content-disposition: form-data; name="…"` (counted as name, ": ", value).
    let fixed = "content-disposition".len() + 2 + "form-data; name=\"\"".len();
    let at_bound = "n".repeat(100 - fixed);
    let r = post(&client, "/uploads", part(&at_bound, "", "1") + "--B--\r\n").await;
    assert_eq!(r.status(), 200, "{}", r.text());
    let over = "n".repeat(101 - fixed);
    let r = post(&client, "/uploads", part(&over, "", "1") + "--B--\r\n").await;
    assert_eq!(
        (r.status().as_u16(), title(&r)),
        (413, "Part headers too large".into()),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn endless_headers_are_cut_off_without_buffering_the_body() {
    let app = App::new().add_route("/uploads", Uploads).max_body_size(64 << 20);
    let junk = format!("--B\r\nx-junk: {}", "j".repeat(8 << 20));
    let r = post(&TestClient::new(app), "/uploads", junk).await;
    assert_eq!(
        (r.status().as_u16(), title(&r)),
        (413, "Part headers too large".into()),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn the_body_limit_covers_the_whole_stream() {
    let app = App::new().add_route("/uploads", Uploads).max_body_size(60);
    let client = TestClient::new(app);
    let body = part("a", "", &"x".repeat(40)) + "--B--\r\n";
    let r = post(&client, "/uploads", body).await;
    assert_eq!(r.status(), 413, "{}", r.text());
}

#[tokio::test]
async fn malformed_bodies_are_400_or_415() {
    let client = client();
    let no_boundary = client
        .simulate_post("/uploads")
        .header("content-type", "multipart/form-data")
        .body("--B--\r\n")
        .await;
    assert_eq!(
        (no_boundary.status().as_u16(), title(&no_boundary)),
        (400, "Invalid multipart body".into())
    );
    let not_multipart = client
        .simulate_post("/uploads")
        .header("content-type", "application/json")
        .body("{}")
        .await;
    assert_eq!(not_multipart.status(), 415);
    for body in [
        "--B\r\ncontent-disposition: form-data; name=\"a\"\r\n\r\nno end".to_owned(),
        "garbage".to_owned(),
        "--B\r\nno colon here\r\n\r\nx\r\n--B--\r\n".to_owned(),
    ] {
        let r = post(&client, "/uploads", body.clone()).await;
        assert_eq!(r.status(), 400, "{body:?}: {}", r.text());
        assert_eq!(title(&r), "Invalid multipart body");
    }
    // And the client is fine afterwards.
    let ok = post(&client, "/uploads", part("a", "", "1") + "--B--\r\n").await;
    assert_eq!(ok.status(), 200);
}
