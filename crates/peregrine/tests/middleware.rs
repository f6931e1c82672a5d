//! Middleware order and short-circuits; before/after hooks on resources and responders.

use std::sync::{Arc, Mutex};

use peregrine::testing::TestClient;
use peregrine::{App, HttpError, Middleware, Request, Response, Result, Route};

type Log = Arc<Mutex<Vec<String>>>;

struct Recorder {
    name: &'static str,
    log: Log,
    complete_early: bool,
}

impl Middleware for Recorder {
    async fn process_request(&self, _req: &mut Request, resp: &mut Response) -> Result {
        self.log.lock().unwrap().push(format!("{}:request", self.name));
        if self.complete_early {
            resp.set_text("short-circuited");
            resp.complete();
        }
        Ok(())
    }

    async fn process_resource(&self, req: &mut Request, _resp: &mut Response, route: &Route) -> Result {
        assert_eq!(req.uri_template(), Some(route.template.as_str()));
        let resource = route.resource.rsplit("::").next().unwrap_or("-");
        self.log
            .lock()
            .unwrap()
            .push(format!("{}:resource {} {resource}", self.name, route.template));
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

struct Logged(Log);

#[peregrine::resource]
impl Logged {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        self.0.lock().unwrap().push("responder".into());
        resp.set_text("done");
        Ok(())
    }
}

fn recorder(name: &'static str, log: &Log) -> Recorder {
    Recorder {
        name,
        log: log.clone(),
        complete_early: false,
    }
}

#[tokio::test]
async fn middleware_runs_in_order_and_responses_in_reverse() {
    let log = Log::default();
    let app = App::new()
        .add_middleware(recorder("a", &log))
        .add_middleware(recorder("b", &log))
        .add_route("/x", Logged(log.clone()));
    TestClient::new(app).simulate_get("/x").await;
    assert_eq!(
        *log.lock().unwrap(),
        [
            "a:request",
            "b:request",
            "a:resource /x Logged",
            "b:resource /x Logged",
            "responder",
            "b:response 200 true",
            "a:response 200 true"
        ]
    );
}

#[tokio::test]
async fn process_response_sees_failures_and_unrouted_requests() {
    let log = Log::default();
    let app = App::new()
        .add_middleware(recorder("a", &log))
        .add_route("/x", Logged(log.clone()));
    TestClient::new(app).simulate_get("/missing").await;
    assert_eq!(*log.lock().unwrap(), ["a:request", "a:response 404 false"]);
}

#[tokio::test]
async fn complete_skips_routing_and_responder() {
    let log = Log::default();
    let app = App::new()
        .add_middleware(Recorder {
            name: "gate",
            log: log.clone(),
            complete_early: true,
        })
        .add_middleware(recorder("later", &log))
        .add_route("/x", Logged(log.clone()));
    let r = TestClient::new(app).simulate_get("/x").await;
    assert_eq!(r.text(), "short-circuited");
    assert_eq!(
        *log.lock().unwrap(),
        ["gate:request", "later:response 200 true", "gate:response 200 true"]
    );
}

#[tokio::test]
async fn an_error_in_process_request_becomes_the_response() {
    struct Deny;
    impl Middleware for Deny {
        async fn process_request(&self, _req: &mut Request, _resp: &mut Response) -> Result {
            Err(HttpError::forbidden().into())
        }
    }
    let log = Log::default();
    let app = App::new().add_middleware(Deny).add_route("/x", Logged(log.clone()));
    assert_eq!(TestClient::new(app).simulate_get("/x").await.status(), 403);
    assert!(log.lock().unwrap().is_empty());
}

async fn require_token(req: &mut Request, _resp: &mut Response) -> Result {
    if req.get_header("x-token").as_deref() == Some("s3cret") {
        Ok(())
    } else {
        Err(HttpError::unauthorized().into())
    }
}

async fn mark_before(req: &mut Request, _resp: &mut Response) -> Result {
    req.context_mut().insert(vec!["before".to_owned()]);
    Ok(())
}

async fn add_header(_req: &mut Request, resp: &mut Response) -> Result {
    resp.set_header("x-after", "yes")
}

async fn outer_after(_req: &mut Request, resp: &mut Response) -> Result {
    let seen = resp.get_header("x-after").unwrap_or("no").to_owned();
    resp.set_header("x-outer-saw-after", seen)
}

struct Guarded;

#[peregrine::resource]
#[before(require_token)]
#[after(outer_after)]
impl Guarded {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("secret stuff");
        Ok(())
    }

    #[before(mark_before)]
    #[after(add_header)]
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let marks = req.context().get::<Vec<String>>().cloned().unwrap_or_default();
        resp.set_text(marks.join(","));
        Ok(())
    }

    async fn on_put(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Err(HttpError::conflict().into())
    }
}

fn guarded() -> TestClient {
    TestClient::new(App::new().add_route("/g", Guarded))
}

#[test]
fn responder_specs_name_their_hooks_in_running_order() {
    use peregrine::Resource;
    let specs = Guarded.responders();
    let post = specs.iter().find(|s| s.method == "POST").expect("on_post is listed");
    assert_eq!(post.before, ["require_token", "mark_before"]);
    assert_eq!(post.after, ["add_header", "outer_after"]);
    let put = specs.iter().find(|s| s.method == "PUT").expect("on_put is listed");
    assert_eq!((put.before, put.after), (&["require_token"][..], &["outer_after"][..]));
}

#[tokio::test]
async fn a_resource_level_before_hook_guards_every_responder() {
    let c = guarded();
    assert_eq!(c.simulate_get("/g").await.status(), 401);
    assert_eq!(c.simulate_post("/g").await.status(), 401);
    assert_eq!(
        c.simulate_get("/g").header("x-token", "s3cret").await.text(),
        "secret stuff"
    );
}

#[tokio::test]
async fn responder_hooks_run_inside_resource_hooks() {
    let r = guarded().simulate_post("/g").header("x-token", "s3cret").await;
    assert_eq!(r.text(), "before");
    assert_eq!(r.header("x-after"), Some("yes"));
    assert_eq!(r.header("x-outer-saw-after"), Some("yes"));
}

#[tokio::test]
async fn after_hooks_are_skipped_when_the_responder_fails() {
    let r = guarded().simulate_put("/g").header("x-token", "s3cret").await;
    assert_eq!(r.status(), 409);
    assert!(r.header("x-outer-saw-after").is_none());
}

async fn panicking_hook(_req: &mut Request, _resp: &mut Response) -> Result {
    panic!("hook secret");
}

struct HookPanics;

#[peregrine::resource]
impl HookPanics {
    #[before(panicking_hook)]
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("unreachable");
        Ok(())
    }
}

#[tokio::test]
async fn a_panic_in_a_hook_is_a_generic_500() {
    let client = TestClient::new(App::new().add_route("/x", HookPanics));
    let r = client.simulate_get("/x").await;
    assert_eq!(r.status(), 500);
    assert!(!r.text().contains("secret"));
}

#[tokio::test]
async fn a_panic_in_middleware_is_a_generic_500_and_later_requests_are_served() {
    struct PanicsOnFlag;

    impl Middleware for PanicsOnFlag {
        async fn process_request(&self, req: &mut Request, _resp: &mut Response) -> Result {
            if req.get_param("boom").is_some() {
                panic!("middleware secret");
            }
            Ok(())
        }

        async fn process_response(&self, req: &mut Request, _resp: &mut Response, _ok: bool) -> Result {
            if req.get_param("late").is_some() {
                panic!("late secret");
            }
            Ok(())
        }
    }

    let log = Log::default();
    let client = TestClient::new(App::new().add_middleware(PanicsOnFlag).add_route("/x", Logged(log)));
    for query in ["boom=1", "late=1"] {
        let r = client.simulate_get("/x").query_string(query).await;
        assert_eq!(r.status(), 500, "{query}");
        assert!(!r.text().contains("secret"));
    }
    assert_eq!(client.simulate_get("/x").await.status(), 200);
}
