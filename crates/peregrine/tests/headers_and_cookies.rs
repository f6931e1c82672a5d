//! Request header getters for proxies (Forwarded, access_route, scheme, port) and response cookies with
//! Falcon's defaults. Falcon's `test_headers.py`, `test_access_route.py` and `test_cookies.py` are the
//! reference.

use std::net::SocketAddr;

use peregrine::cookie::{Cookie, SameSite};
use peregrine::testing::TestClient;
use peregrine::{App, Request, Response, Result, TrustedProxies};

struct Where;

#[peregrine::resource]
impl Where {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text(format!(
            "{} {} {} {:?} {:?}",
            req.access_route().join(","),
            req.scheme(),
            req.port(),
            req.referer(),
            req.auth()
        ));
        Ok(())
    }
}

fn peer() -> SocketAddr {
    "10.0.0.2:5000".parse().unwrap()
}

#[tokio::test]
async fn forwarding_headers_count_only_from_trusted_peers() {
    let untrusted = TestClient::new(App::new().add_route("/w", Where));
    let r = untrusted
        .simulate_get("/w")
        .remote_addr(peer())
        .header("host", "api.example")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-proto", "https")
        .await;
    assert_eq!(r.text(), "10.0.0.2 http 80 None None");

    let app = App::new()
        .add_route("/w", Where)
        .req_options(|o| o.trusted_proxies = TrustedProxies::Only(vec![peer().ip()]));
    let trusted = TestClient::new(app);
    let r = trusted
        .simulate_get("/w")
        .remote_addr(peer())
        .header("host", "api.example")
        .header("x-forwarded-for", "203.0.113.9, 198.51.100.7:443")
        .header("x-forwarded-proto", "https")
        .header("referer", "https://app.example/")
        .header("authorization", "Bearer t0k")
        .await;
    assert_eq!(
        r.text(),
        "203.0.113.9,198.51.100.7,10.0.0.2 https 443 Some(\"https://app.example/\") Some(\"Bearer t0k\")"
    );
    // Forwarded wins over X-Forwarded-For; X-Real-IP is the last resort.
    let r = trusted
        .simulate_get("/w")
        .remote_addr(peer())
        .header("host", "api.example:8443")
        .header("forwarded", "for=\"[2001:db8::7]:1\";proto=http")
        .header("x-forwarded-for", "203.0.113.9")
        .await;
    assert!(r.text().starts_with("2001:db8::7,10.0.0.2 http 8443"), "{}", r.text());
    let r = trusted
        .simulate_get("/w")
        .remote_addr(peer())
        .header("x-real-ip", "192.0.2.5")
        .await;
    assert!(r.text().starts_with("192.0.2.5,10.0.0.2 "), "{}", r.text());
    // The proxy's own (last) element decides the scheme, not one the client wrote before it.
    let r = trusted
        .simulate_get("/w")
        .remote_addr(peer())
        .header("forwarded", "for=6.6.6.6;proto=https, for=1.1.1.1;proto=http")
        .await;
    assert!(r.text().contains(" http 80 "), "{}", r.text());
    let r = trusted
        .simulate_get("/w")
        .remote_addr(peer())
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-proto", "http")
        .await;
    assert!(r.text().contains(" http 80 "), "{}", r.text());
    // Odd ports fall back to the scheme's default.
    for host in ["example.com:+443", "example.com:0", "example.com:"] {
        let r = untrusted.simulate_get("/w").header("host", host).await;
        assert!(r.text().contains(" http 80 "), "{host}: {}", r.text());
    }
    // A peer not in the list is not believed.
    let r = trusted
        .simulate_get("/w")
        .remote_addr("10.0.0.3:1".parse().unwrap())
        .header("x-forwarded-for", "203.0.113.9")
        .await;
    assert!(r.text().starts_with("10.0.0.3 http"), "{}", r.text());
}

struct Cookies;

#[peregrine::resource]
impl Cookies {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        match req.get_param("case") {
            Some("bad-name") => resp.set_cookie(Cookie::new("a b", "1")),
            Some("none-insecure") => resp.set_cookie(Cookie::build(("a", "1")).same_site(SameSite::None).secure(false)),
            Some("partitioned-insecure") => resp.set_cookie(Cookie::build(("a", "1")).partitioned(true).secure(false)),
            Some("path-injection") => resp.set_cookie(Cookie::build(("s", "v")).path("/x; Domain=evil.example")),
            Some("domain-injection") => resp.set_cookie(Cookie::build(("s", "v")).domain("a.com; SameSite=None")),
            Some("unset-injection") => resp.unset_cookie("gone", "/; Max-Age=99999"),
            _ => {
                resp.set_cookie(Cookie::build(("session", "a b;c")).max_age(cookie::time::Duration::hours(1)))?;
                resp.set_cookie(Cookie::build(("theme", "dark")).http_only(false).secure(false))?;
                resp.unset_cookie("old", "/")
            }
        }
    }
}

#[tokio::test]
async fn cookies_default_to_secure_and_http_only() {
    let client = TestClient::new(App::new().add_route("/c", Cookies));
    let r = client.simulate_get("/c").await;
    assert_eq!(r.status(), 200, "{}", r.text());
    let lines: Vec<&str> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("session=a%20b%3Bc; HttpOnly; Secure"), "{lines:?}");
    assert!(lines[0].contains("Max-Age=3600"), "{lines:?}");
    assert_eq!(lines[1], "theme=dark");
    let session = r.cookie("session").unwrap();
    assert_eq!(session.secure(), Some(true));
    let old = r.cookie("old").unwrap();
    assert_eq!(old.max_age(), Some(cookie::time::Duration::ZERO));
}

#[tokio::test]
async fn cookies_a_browser_would_drop_are_refused() {
    let client = TestClient::new(App::new().add_route("/c", Cookies));
    for case in [
        "bad-name",
        "none-insecure",
        "partitioned-insecure",
        "path-injection",
        "domain-injection",
        "unset-injection",
    ] {
        let r = client.simulate_get("/c").param("case", case).await;
        assert_eq!(r.status(), 500, "{case}: {}", r.text());
        assert!(r.header("set-cookie").is_none(), "{case}");
    }
}

#[tokio::test]
async fn secure_by_default_can_be_turned_off() {
    let app = App::new()
        .add_route("/c", Cookies)
        .resp_options(|o| o.secure_cookies_by_default = false);
    let r = TestClient::new(app).simulate_get("/c").await;
    let session = r.header("set-cookie").unwrap();
    assert!(
        session.starts_with("session=") && !session.contains("Secure"),
        "{session}"
    );
}
