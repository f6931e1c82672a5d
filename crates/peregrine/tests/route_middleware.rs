//! Per-route middleware: which routes it runs on, and where it runs among the app-wide phases.

use std::sync::{Arc, Mutex};

use peregrine::testing::TestClient;
use peregrine::{App, HttpError, Middleware, Request, Response, Result, Route, RouteSet, StatusCode};

type Log = Arc<Mutex<Vec<String>>>;

#[derive(Clone, Copy, PartialEq)]
enum Act {
    Pass,
    CompleteInRequest,
    FailInResource,
}

struct Recorder {
    name: &'static str,
    log: Log,
    act: Act,
}

impl Middleware for Recorder {
    async fn process_request(&self, req: &mut Request, resp: &mut Response) -> Result {
        let template = req.uri_template().unwrap_or("-").to_owned();
        self.log
            .lock()
            .unwrap()
            .push(format!("{}:request {template}", self.name));
        if self.act == Act::CompleteInRequest {
            resp.set_status(StatusCode::ACCEPTED);
            resp.set_text("completed by middleware");
            resp.complete();
        }
        Ok(())
    }

    async fn process_resource(&self, req: &mut Request, _resp: &mut Response, route: &Route) -> Result {
        let id = req.field_str("id").unwrap_or("-").to_owned();
        self.log
            .lock()
            .unwrap()
            .push(format!("{}:resource {} id={id}", self.name, route.template));
        if self.act == Act::FailInResource {
            return Err(HttpError::forbidden().with_title("Refused by middleware").into());
        }
        Ok(())
    }

    async fn process_response(&self, _req: &mut Request, resp: &mut Response, ok: bool) -> Result {
        self.log
            .lock()
            .unwrap()
            .push(format!("{}:response {} {ok}", self.name, resp.status().as_u16()));
        Ok(())
    }
}

fn rec(name: &'static str, log: &Log) -> Recorder {
    Recorder {
        name,
        log: log.clone(),
        act: Act::Pass,
    }
}

struct Logged(Log);

#[peregrine::resource]
impl Logged {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        self.0.lock().unwrap().push("responder".into());
        resp.set_text("done");
        Ok(())
    }
}

fn app(log: &Log) -> App {
    App::new()
        .add_route("/health", Logged(log.clone()))
        .add_route("/users/{id}", Logged(log.clone()))
        .add_route("/admin/{id}", Logged(log.clone()))
        .add_route("/administrators", Logged(log.clone()))
}

fn taken(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[tokio::test]
async fn route_middleware_runs_inside_the_app_wide_middleware() {
    let log = Log::default();
    let app = app(&log)
        .add_route_middleware(RouteSet::template("/users/{id}"), rec("r", &log))
        .add_middleware(rec("a", &log))
        .add_route_middleware(RouteSet::prefix("/users"), rec("s", &log))
        .add_middleware(rec("b", &log));
    let client = TestClient::new(app);
    let r = client.simulate_get("/users/7").await;
    assert_eq!(r.text(), "done", "{r:?}");
    assert_eq!(
        taken(&log),
        [
            "a:request -",
            "b:request -",
            "a:resource /users/{id} id=7",
            "b:resource /users/{id} id=7",
            "r:request /users/{id}",
            "s:request /users/{id}",
            "r:resource /users/{id} id=7",
            "s:resource /users/{id} id=7",
            "responder",
            "s:response 200 true",
            "r:response 200 true",
            "b:response 200 true",
            "a:response 200 true",
        ]
    );
}

#[tokio::test]
async fn sets_choose_the_routes() {
    let log = Log::default();
    let app = app(&log)
        .add_route_middleware(RouteSet::all().except(["/health"]), rec("auth", &log))
        .add_route_middleware(RouteSet::prefix("/admin"), rec("audit", &log));
    let client = TestClient::new(app);

    client.simulate_get("/health").await;
    assert_eq!(taken(&log), ["responder"]);

    client.simulate_get("/administrators").await;
    let got = taken(&log);
    assert!(got.contains(&"auth:request /administrators".to_owned()), "{got:?}");
    assert!(
        !got.iter().any(|e| e.starts_with("audit")),
        "a prefix ends at a segment: {got:?}"
    );

    client.simulate_get("/admin/1").await;
    let got = taken(&log);
    assert_eq!(got.iter().filter(|e| e.starts_with("audit")).count(), 3, "{got:?}");

    let r = client.simulate_get("/nowhere").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(taken(&log), Vec::<String>::new(), "no route, no per-route middleware");
}

#[tokio::test]
async fn a_completed_response_skips_the_rest_but_every_response_phase_runs() {
    let log = Log::default();
    let app = app(&log)
        .add_middleware(rec("a", &log))
        .add_route_middleware(
            RouteSet::template("/users/{id}"),
            Recorder {
                name: "gate",
                log: log.clone(),
                act: Act::CompleteInRequest,
            },
        )
        .add_route_middleware(RouteSet::template("/users/{id}"), rec("later", &log));
    let r = TestClient::new(app).simulate_get("/users/1").await;
    assert_eq!(r.status(), StatusCode::ACCEPTED, "{r:?}");
    assert_eq!(r.text(), "completed by middleware");
    assert_eq!(
        taken(&log),
        [
            "a:request -",
            "a:resource /users/{id} id=1",
            "gate:request /users/{id}",
            "later:response 202 true",
            "gate:response 202 true",
            "a:response 202 true",
        ]
    );
}

#[tokio::test]
async fn an_error_in_a_route_phase_becomes_the_response() {
    let log = Log::default();
    let app = app(&log).add_middleware(rec("a", &log)).add_route_middleware(
        RouteSet::prefix("/admin"),
        Recorder {
            name: "deny",
            log: log.clone(),
            act: Act::FailInResource,
        },
    );
    let r = TestClient::new(app).simulate_get("/admin/3").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{r:?}");
    assert!(r.text().contains("Refused by middleware"), "{r:?}");
    assert_eq!(
        taken(&log),
        [
            "a:request -",
            "a:resource /admin/{id} id=3",
            "deny:request /admin/{id}",
            "deny:resource /admin/{id} id=3",
            "deny:response 403 false",
            "a:response 403 false",
        ]
    );
}

#[test]
fn routes_list_their_own_middleware() {
    let log = Log::default();
    let app = app(&log).add_route_middleware(RouteSet::prefix("/admin"), rec("audit", &log));
    let routes = app.routes();
    let admin = routes.iter().find(|r| r.template == "/admin/{id}").unwrap();
    assert_eq!(admin.middleware.len(), 1);
    assert!(admin.middleware[0].ends_with("Recorder"), "{:?}", admin.middleware);
    assert!(routes
        .iter()
        .find(|r| r.template == "/health")
        .unwrap()
        .middleware
        .is_empty());
}

#[test]
#[should_panic(expected = "no route, sink or mount has the template '/helth'")]
fn a_misspelt_template_stops_the_app_from_starting() {
    let log = Log::default();
    let app = app(&log).add_route_middleware(RouteSet::all().except(["/helth"]), rec("auth", &log));
    let _ = TestClient::new(app);
}
