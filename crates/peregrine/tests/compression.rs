//! Response compression through the test client: gzip (and br, zstd with their features) by
//! Accept-Encoding, Vary, weak ETags, and the responses it must leave alone.

use peregrine::testing::{TestClient, TestResult};
use peregrine::{App, Compression, EntityTag, Request, Response, Result};
use tokio::io::AsyncReadExt;

/// `GET /text?n=` answers n bytes of text; `?png` as an image; `?no-transform`; `?encoded` with its own
/// Content-Encoding; `?ranged` offers ranges.
struct Text;

#[peregrine::resource]
impl Text {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        let n = req.get_param_as_int("n")?.unwrap_or(5000) as usize;
        let body: String = (0..n).map(|i| char::from(b'a' + (i % 7) as u8)).collect();
        resp.set_text(body);
        resp.set_etag(&EntityTag::strong("t1"));
        if req.has_param("png") {
            resp.set_header("content-type", "image/png")?;
        }
        if req.has_param("no-transform") {
            resp.set_cache_control("no-transform")?;
        }
        if req.has_param("encoded") {
            resp.set_header("content-encoding", "identity-ish")?;
        }
        if req.has_param("ranged") {
            resp.set_accept_ranges("bytes")?;
        }
        Ok(())
    }
}

fn client() -> TestClient {
    TestClient::new(App::new().add_route("/text", Text).compression(Compression::default()))
}

async fn gunzip(r: &TestResult) -> Vec<u8> {
    let mut out = Vec::new();
    let mut decoder = async_compression::tokio::bufread::GzipDecoder::new(&r.content()[..]);
    decoder.read_to_end(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn gzip_when_asked_with_vary_and_a_weak_tag() {
    let r = client()
        .simulate_get("/text")
        .header("accept-encoding", "gzip, deflate")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    assert_eq!(r.header("etag"), Some("W/\"t1\""));
    assert!(r.content().len() < 5000, "{} bytes", r.content().len());
    let plain = gunzip(&r).await;
    assert_eq!(plain.len(), 5000);
    assert!(plain.starts_with(b"abcdefga"));
}

#[tokio::test]
async fn without_accept_encoding_the_body_is_sent_as_is_but_varies() {
    let c = client();
    for accept in [None, Some("identity"), Some("gzip;q=0"), Some("compress")] {
        let mut s = c.simulate_get("/text");
        if let Some(a) = accept {
            s = s.header("accept-encoding", a);
        }
        let r = s.await;
        assert_eq!(r.header("content-encoding"), None, "{accept:?}");
        assert_eq!(r.content().len(), 5000, "{accept:?}");
        assert_eq!(r.header("vary"), Some("Accept-Encoding"), "{accept:?}");
        assert_eq!(r.header("etag"), Some("\"t1\""), "{accept:?}");
    }
}

#[tokio::test]
async fn what_must_not_be_compressed_is_not() {
    let c = client();
    for query in ["n=100", "png", "no-transform", "encoded"] {
        let r = c
            .simulate_get(&format!("/text?{query}"))
            .header("accept-encoding", "gzip")
            .await;
        assert_ne!(r.header("content-encoding"), Some("gzip"), "{query}");
    }
    let not_modified = c
        .simulate_get("/text")
        .header("accept-encoding", "gzip")
        .header("if-none-match", "W/\"t1\"")
        .await;
    assert_eq!(not_modified.status(), 304);
}

#[tokio::test]
async fn compression_is_off_unless_turned_on() {
    let r = TestClient::new(App::new().add_route("/text", Text))
        .simulate_get("/text")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("vary"), None);
}

#[cfg(feature = "brotli")]
#[tokio::test]
async fn brotli_is_preferred_when_equal() {
    let r = client()
        .simulate_get("/text")
        .header("accept-encoding", "gzip, br")
        .await;
    assert_eq!(r.header("content-encoding"), Some("br"));
    let mut out = Vec::new();
    let mut decoder = async_compression::tokio::bufread::BrotliDecoder::new(&r.content()[..]);
    decoder.read_to_end(&mut out).await.unwrap();
    assert_eq!(out.len(), 5000);
    let r = client()
        .simulate_get("/text")
        .header("accept-encoding", "gzip, br;q=0.5")
        .await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
}

#[cfg(feature = "zstd")]
#[tokio::test]
async fn zstd_round_trips() {
    let r = client().simulate_get("/text").header("accept-encoding", "zstd").await;
    assert_eq!(r.header("content-encoding"), Some("zstd"));
    let mut out = Vec::new();
    let mut decoder = async_compression::tokio::bufread::ZstdDecoder::new(&r.content()[..]);
    decoder.read_to_end(&mut out).await.unwrap();
    assert_eq!(out.len(), 5000);
}

#[tokio::test]
async fn a_304_and_a_range_agree_with_the_encoded_200() {
    let c = client();
    // The 304 carries what the encoded 200 would: the weak tag and Vary.
    let r = c
        .simulate_get("/text")
        .header("accept-encoding", "gzip")
        .header("if-none-match", "W/\"t1\"")
        .await;
    assert_eq!(r.status(), 304);
    assert_eq!(r.header("etag"), Some("W/\"t1\""));
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    // A body that will be encoded is not ranged: the whole encoded 200.
    let r = c
        .simulate_get("/text?ranged")
        .header("accept-encoding", "gzip")
        .header("range", "bytes=0-9")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&r).await.len(), 5000);
    // Without an encoding the range applies, and the 206 says it varied.
    let r = c.simulate_get("/text?ranged").header("range", "bytes=0-9").await;
    assert_eq!(r.status(), 206);
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
}

#[tokio::test]
async fn head_gets_the_headers_of_its_get() {
    let r = client().simulate_head("/text").header("accept-encoding", "gzip").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    assert!(r.content().is_empty());
}
