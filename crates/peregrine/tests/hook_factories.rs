//! Hook factories: `#[before(expr)]` / `#[after(expr)]` with a call, evaluated once when the resource is
//! routed, mixed with plain hooks in declaration order, reading URI fields, short-circuiting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use peregrine::hooks::max_body;
use peregrine::testing::TestClient;
use peregrine::{App, Hook, HttpError, Request, Response, Result, StatusCode};

static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
static FACTORY_CALLS: AtomicUsize = AtomicUsize::new(0);

fn log(entry: String) {
    LOG.lock().unwrap().push(entry);
}

struct Tag(&'static str);

impl Hook for Tag {
    async fn call(&self, req: &mut Request, _resp: &mut Response) -> Result {
        let id = req.field_str("id").unwrap_or("-").to_owned();
        log(format!("{} id={id}", self.0));
        Ok(())
    }
}

/// A factory that counts its evaluations.
fn tag(name: &'static str) -> Tag {
    FACTORY_CALLS.fetch_add(1, Ordering::SeqCst);
    Tag(name)
}

async fn plain(_req: &mut Request, _resp: &mut Response) -> Result {
    log("plain".to_owned());
    Ok(())
}

struct Gate {
    field: &'static str,
    forbidden: &'static str,
}

impl Hook for Gate {
    async fn call(&self, req: &mut Request, resp: &mut Response) -> Result {
        if req.field_str(self.field) == Some(self.forbidden) {
            resp.set_status(StatusCode::ACCEPTED);
            resp.set_text("answered by the hook");
            resp.complete();
        }
        Ok(())
    }
}

struct Ordered;

#[peregrine::resource]
#[before(tag("block-1"), plain)]
#[after(tag("block-after"))]
impl Ordered {
    #[before(tag("responder-1"), Gate { field: "id", forbidden: "7" })]
    #[after(tag("responder-after"))]
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        log(format!("responder id={}", req.field_str("id").unwrap_or("-")));
        resp.set_text("ok");
        Ok(())
    }

    #[before(max_body(8))]
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let body = req.body_bytes().await?;
        resp.set_text(format!("{} bytes", body.len()));
        Ok(())
    }

    #[before(rejects())]
    async fn on_delete(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        log("delete responder".to_owned());
        Ok(())
    }
}

struct Rejects;

fn rejects() -> Rejects {
    Rejects
}

impl Hook for Rejects {
    async fn call(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Err(HttpError::forbidden().with_title("No deleting").into())
    }
}

/// One test, as the log and the factory counter are statics.
#[tokio::test]
async fn factories_run_once_in_declaration_order_and_may_short_circuit() {
    let app = App::new().add_route("/things/{id}", Ordered);
    // block-1, block-after, responder-1 and responder-after: `tag` was called
    // four times, when the resource was routed.
    assert_eq!(
        FACTORY_CALLS.load(Ordering::SeqCst),
        4,
        "factories run when the resource is routed"
    );
    let client = TestClient::new(app);

    let r = client.simulate_get("/things/3").await;
    assert_eq!(r.status(), StatusCode::OK, "{r:?}");
    assert_eq!(
        *LOG.lock().unwrap(),
        [
            "block-1 id=3",
            "plain",
            "responder-1 id=3",
            "responder id=3",
            "responder-after id=3",
            "block-after id=3",
        ]
    );
    client.simulate_get("/things/4").await;
    assert_eq!(
        FACTORY_CALLS.load(Ordering::SeqCst),
        4,
        "factories are not evaluated per request"
    );

    LOG.lock().unwrap().clear();
    let r = client.simulate_get("/things/7").await;
    assert_eq!(r.status(), StatusCode::ACCEPTED, "{r:?}");
    assert_eq!(r.text(), "answered by the hook");
    assert_eq!(
        *LOG.lock().unwrap(),
        ["block-1 id=7", "plain", "responder-1 id=7"],
        "a completed response skips the responder and every hook after it"
    );

    let r = client.simulate_post("/things/1").body("12345678").send().await;
    assert_eq!(r.text(), "8 bytes", "{r:?}");
    let r = client.simulate_post("/things/1").body("123456789").send().await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{r:?}");

    LOG.lock().unwrap().clear();
    let r = client.simulate_delete("/things/1").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{r:?}");
    assert!(LOG.lock().unwrap().iter().all(|e| e != "delete responder"));
}

#[test]
fn route_tables_name_factories_as_written() {
    let specs = <Ordered as peregrine::Resource>::responders(&Ordered);
    assert_eq!(
        specs[0].before,
        [
            "tag(\"block-1\")",
            "plain",
            "tag(\"responder-1\")",
            "Gate{field:\"id\",forbidden:\"7\"}"
        ]
    );
    assert_eq!(specs[0].after, ["tag(\"responder-after\")", "tag(\"block-after\")"]);
}
