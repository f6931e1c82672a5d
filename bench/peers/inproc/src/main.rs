//! In-process cost per request: `inproc FRAMEWORK ENDPOINT N` sends N GET requests for `/plaintext` or
//! `/json` through one framework's in-memory service, with no socket, and collects each body:
//!
//! - `peregrine`: the test client (`TestClient::simulate_get`), the same pipeline the server runs;
//!   `peregrine-mw3` adds 3 middleware that write every phase and do nothing, `peregrine-mw3-unwritten` 3
//!   middleware that write no phase, `peregrine-hooks2` 2 no-op before hooks on each responder (the cost of
//!   a no-op layer, issue 19);
//! - `axum`: `Router` through `tower::ServiceExt::oneshot`;
//! - `actix`: `actix_web::test::call_service` on `test::init_service`.
//!
//! `bench/scripts/inproc-callgrind.sh` runs it under callgrind for two values of N and divides the difference
//! in instructions by the difference in requests, so start-up and set-up cancel out.
//!
//! Two more modes: `inproc FRAMEWORK members N`, a two-field route in a 101-route app answering small JSON
//! (`members.rs`, with Peregrine's tower service and a hand-written floor beside the test client and axum),
//! and `inproc router peregrine|matchit 100|1000 all|two-field|route:K N`, router lookups alone
//! (`router.rs`, counted by `bench/scripts/router-callgrind.sh`). Peregrine is built with its `tower` feature.

use serde::Serialize;

mod members;
#[path = "../../../../crates/peregrine/benches/support/route_tables.rs"]
mod route_tables;
mod router;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

const HELLO: &str = "Hello, World!";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("router") {
        let id_bytes = router::run(&args[2..]);
        println!("router: {id_bytes} id bytes");
        return;
    }
    let usage = "usage: inproc peregrine|peregrine-mw3|peregrine-mw3-unwritten|peregrine-hooks2|axum|actix \
                 plaintext|json N, inproc peregrine-service|peregrine|axum|hand members N, or inproc router \
                 peregrine|matchit 100|1000 all|two-field|route:K N";
    let [_, framework, endpoint, n] = args.as_slice() else {
        panic!("{usage}");
    };
    if endpoint == "members" {
        let n: usize = n.parse().expect(usage);
        let bytes = members::run(framework, n);
        println!("{framework} {endpoint}: {n} requests, {bytes} body bytes");
        return;
    }
    let path = match endpoint.as_str() {
        "plaintext" => "/plaintext",
        "json" => "/json",
        _ => panic!("{usage}"),
    };
    let n: usize = n.parse().expect(usage);
    let bytes = match framework.as_str() {
        "peregrine" => peregrine_run(peregrine_app::plain(), path, n),
        "peregrine-mw3" => peregrine_run(peregrine_app::middleware(true), path, n),
        "peregrine-mw3-unwritten" => peregrine_run(peregrine_app::middleware(false), path, n),
        "peregrine-hooks2" => peregrine_run(peregrine_app::hooked(), path, n),
        "axum" => axum_run(path, n),
        "actix" => actix_run(path, n),
        _ => panic!("{usage}"),
    };
    println!("{framework} {endpoint}: {n} requests, {bytes} body bytes");
}

mod peregrine_app {
    use super::{Message, HELLO};
    use peregrine::{Request, Response, Result};

    pub struct Plaintext;

    #[peregrine::resource]
    impl Plaintext {
        async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
            resp.set_text(HELLO);
            Ok(())
        }
    }

    pub struct Json;

    #[peregrine::resource]
    impl Json {
        async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
            resp.set_media(&Message { message: HELLO })
        }
    }

    async fn noop(_req: &mut Request, _resp: &mut Response) -> Result {
        Ok(())
    }

    pub struct HookedPlaintext;

    #[peregrine::resource]
    impl HookedPlaintext {
        #[before(noop, noop)]
        async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
            resp.set_text(HELLO);
            Ok(())
        }
    }

    pub struct HookedJson;

    #[peregrine::resource]
    impl HookedJson {
        #[before(noop, noop)]
        async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
            resp.set_media(&Message { message: HELLO })
        }
    }

    /// Writes every phase, each doing nothing.
    struct EveryPhase;

    impl peregrine::Middleware for EveryPhase {
        async fn process_request(&self, _req: &mut Request, _resp: &mut Response) -> Result {
            Ok(())
        }

        async fn process_resource(
            &self,
            _req: &mut Request,
            _resp: &mut Response,
            _route: &peregrine::Route,
        ) -> Result {
            Ok(())
        }

        async fn process_response(&self, _req: &mut Request, _resp: &mut Response, _ok: bool) -> Result {
            Ok(())
        }
    }

    /// Writes no phase.
    struct NoPhase;

    impl peregrine::Middleware for NoPhase {}

    pub fn plain() -> peregrine::App {
        peregrine::App::new()
            .add_route("/plaintext", Plaintext)
            .add_route("/json", Json)
    }

    pub fn middleware(written: bool) -> peregrine::App {
        (0..3).fold(plain(), |app, _| {
            if written {
                app.add_middleware(EveryPhase)
            } else {
                app.add_middleware(NoPhase)
            }
        })
    }

    pub fn hooked() -> peregrine::App {
        peregrine::App::new()
            .add_route("/plaintext", HookedPlaintext)
            .add_route("/json", HookedJson)
    }
}

fn peregrine_run(app: peregrine::App, path: &str, n: usize) -> usize {
    use peregrine::testing::TestClient;
    let client = TestClient::new(app);
    runtime().block_on(async {
        let mut bytes = 0;
        for _ in 0..n {
            let result = client.simulate_get(path).await;
            assert_eq!(result.status(), 200);
            bytes += result.content().len();
        }
        bytes
    })
}

fn axum_run(path: &str, n: usize) -> usize {
    use axum::body::Body;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let app = axum::Router::new()
        .route("/plaintext", get(|| async { HELLO }))
        .route("/json", get(|| async { axum::Json(Message { message: HELLO }) }));
    runtime().block_on(async {
        let mut bytes = 0;
        for _ in 0..n {
            let request = axum::http::Request::get(path).body(Body::empty()).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), 200);
            bytes += response.into_body().collect().await.unwrap().to_bytes().len();
        }
        bytes
    })
}

fn actix_run(path: &str, n: usize) -> usize {
    use actix_web::{test, web, App, HttpResponse};
    async fn plaintext() -> HttpResponse {
        HttpResponse::Ok().content_type("text/plain").body(HELLO)
    }
    async fn json() -> HttpResponse {
        HttpResponse::Ok().json(Message { message: HELLO })
    }
    actix_web::rt::System::new().block_on(async {
        let app = test::init_service(
            App::new()
                .route("/plaintext", web::get().to(plaintext))
                .route("/json", web::get().to(json)),
        )
        .await;
        let mut bytes = 0;
        for _ in 0..n {
            let request = test::TestRequest::get().uri(path).to_request();
            let response = test::call_service(&app, request).await;
            assert_eq!(response.status(), 200);
            bytes += test::read_body(response).await.len();
        }
        bytes
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
}
