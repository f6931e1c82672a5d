//! What a build without an optional feature does when a setting asks for it: refuses to start, naming the
//! feature (run by `cargo test -p peregrine`, with the default features).

#[cfg(not(feature = "http2"))]
#[tokio::test]
async fn http2_without_its_feature_refuses_to_start() {
    use peregrine::server::{BindAddr, Server, ServerConfig};
    use peregrine::App;
    let config = ServerConfig::new()
        .bind(BindAddr::Tcp("127.0.0.1:0".parse().unwrap()))
        .http2(true);
    let server = Server::bind(config).await.unwrap();
    let e = server.run_until(App::new(), async {}).await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
    assert!(e.to_string().contains("`http2` feature"), "{e}");
}

/// A resource for the routes the tests try to add.
#[cfg(any(not(feature = "dates"), not(feature = "re")))]
struct Slug;

#[cfg(any(not(feature = "dates"), not(feature = "re")))]
#[peregrine::resource]
impl Slug {
    async fn on_get(&self, _req: &mut peregrine::Request, _resp: &mut peregrine::Response) -> peregrine::Result {
        Ok(())
    }
}

#[cfg(not(feature = "dates"))]
#[test]
fn a_dt_field_without_its_feature_is_refused_naming_it() {
    let mut app = peregrine::App::new();
    let e = app.try_add_route("/days/{d:dt(\"%Y-%m-%d\")}", Slug).unwrap_err();
    assert!(e.to_string().contains("`dates` cargo feature"), "{e}");
}

#[cfg(not(feature = "re"))]
#[test]
fn a_re_field_without_its_feature_is_refused_naming_it() {
    let mut app = peregrine::App::new();
    let e = app.try_add_route("/posts/{slug:re(\"[a-z]+\")}", Slug).unwrap_err();
    assert!(e.to_string().contains("`re` cargo feature"), "{e}");
}
