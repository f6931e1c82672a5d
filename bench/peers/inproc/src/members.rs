//! `inproc FRAMEWORK members N`: N requests `GET /users/{id}/members/octocat` (a two-field route, random
//! ids) to an app of 101 routes (the router benchmark's 100-template table and `/json`), each answered with
//! the small JSON `{"id":…,"login":"octocat"}`, the body collected:
//!
//! - `peregrine-service`: the app's tower service (`App::into_service`) through `ServiceExt::oneshot`;
//! - `peregrine`: the test client (`TestClient::simulate_get`);
//! - `axum`: axum 0.8's `Router` through `oneshot`, with `Path<(i64, String)>`;
//! - `hand`: a hand-written `http` service: the path split and matched by hand, `serde_json`, no router and
//!   no framework (the floor).
//!
//! `bench/scripts/inproc-callgrind.sh` counts it (endpoint `members`).

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use serde::Serialize;
use tower::ServiceExt;

use crate::route_tables;

#[derive(Serialize)]
struct Member<'a> {
    id: i64,
    login: &'a str,
}

fn paths() -> Vec<String> {
    let table = route_tables::table(100);
    let only = route_tables::two_field_route(&table);
    route_tables::lookups(&table, route_tables::DISTINCT_PATHS, Some(only))
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

pub fn run(framework: &str, n: usize) -> usize {
    let paths = paths();
    let requests = paths.iter().cycle().take(n);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    match framework {
        "peregrine-service" => {
            let service = peregrine_app().into_service();
            runtime.block_on(async {
                let mut bytes = 0;
                for path in requests {
                    let request = http::Request::get(path.as_str()).body(Empty::<Bytes>::new()).unwrap();
                    let response = service.clone().oneshot(request).await.unwrap();
                    assert_eq!(response.status(), 200);
                    bytes += response.into_body().collect().await.unwrap().to_bytes().len();
                }
                bytes
            })
        }
        "peregrine" => {
            let client = peregrine::testing::TestClient::new(peregrine_app());
            runtime.block_on(async {
                let mut bytes = 0;
                for path in requests {
                    let result = client.simulate_get(path).await;
                    assert_eq!(result.status(), 200);
                    bytes += result.content().len();
                }
                bytes
            })
        }
        "axum" => {
            let app = axum_app();
            runtime.block_on(async {
                let mut bytes = 0;
                for path in requests {
                    let request = http::Request::get(path.as_str())
                        .body(axum::body::Body::empty())
                        .unwrap();
                    let response = app.clone().oneshot(request).await.unwrap();
                    assert_eq!(response.status(), 200);
                    bytes += response.into_body().collect().await.unwrap().to_bytes().len();
                }
                bytes
            })
        }
        "hand" => runtime.block_on(async {
            let mut bytes = 0;
            for path in requests {
                let request = http::Request::get(path.as_str()).body(Empty::<Bytes>::new()).unwrap();
                let response = hand(request).await;
                assert_eq!(response.status(), 200);
                bytes += response.into_body().collect().await.unwrap().to_bytes().len();
            }
            bytes
        }),
        _ => panic!("usage: inproc peregrine-service|peregrine|axum|hand members N"),
    }
}

mod peregrine_resources {
    use peregrine::{Request, Response, Result};

    pub struct Member;

    #[peregrine::resource]
    impl Member {
        async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
            let id: i64 = req.field("id")?;
            let login = req.field_str("login").unwrap_or_default();
            resp.set_media(&super::Member { id, login })
        }
    }

    pub struct Other;

    #[peregrine::resource]
    impl Other {
        async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
            resp.set_text("other");
            Ok(())
        }
    }
}

fn peregrine_app() -> peregrine::App {
    use peregrine_resources::{Member, Other};
    let mut app = peregrine::App::new().add_route("/json", Other);
    for route in route_tables::table(100) {
        app = if route.peregrine.ends_with("/members/{login}") {
            app.add_route(&route.peregrine, Member)
        } else {
            app.add_route(&route.peregrine, Other)
        };
    }
    app
}

fn axum_app() -> axum::Router {
    use axum::extract::Path;
    use axum::routing::get;
    #[derive(Serialize)]
    struct OwnedMember {
        id: i64,
        login: String,
    }
    async fn member(Path((id, login)): Path<(i64, String)>) -> axum::Json<OwnedMember> {
        axum::Json(OwnedMember { id, login })
    }
    let mut app = axum::Router::new().route("/json", get(|| async { "other" }));
    for route in route_tables::table(100) {
        app = if route.matchit.ends_with("/members/{login}") {
            app.route(&route.matchit, get(member))
        } else {
            app.route(&route.matchit, get(|| async { "other" }))
        };
    }
    app
}

/// The floor: what answering this one route costs with no router and no framework.
async fn hand(request: http::Request<Empty<Bytes>>) -> http::Response<Full<Bytes>> {
    let mut segments = request.uri().path().split('/').skip(1);
    let found = match (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) {
        (Some("users"), Some(id), Some("members"), Some(login), None) => id.parse::<i64>().ok().map(|id| (id, login)),
        _ => None,
    };
    match found {
        Some((id, login)) => {
            let body = serde_json::to_vec(&Member { id, login }).expect("serialisable");
            http::Response::builder()
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(body)))
                .expect("a valid response")
        }
        None => http::Response::builder()
            .status(404)
            .body(Full::new(Bytes::new()))
            .expect("a valid response"),
    }
}
