//! Resources as the pipeline calls them: a responder's future held in place when small, boxed when large,
//! dropped whole when the request times out, and a hand-written `Resource` that only writes `respond`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use peregrine::testing::TestClient;
use peregrine::{App, BoxFuture, Request, Resource, ResponderSpec, Response, Result};

/// Responders whose futures are small (nothing of their own held across an `.await`) and large (a
/// kilobyte held across one).
struct Sizes;

#[peregrine::resource]
impl Sizes {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        let n: i64 = req.field("n")?;
        resp.set_text(format!("small {n}"));
        Ok(())
    }

    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let mut block = [0_u8; 1024];
        block[1023] = u8::try_from(req.field::<i64>("n")?).unwrap_or(0);
        tokio::task::yield_now().await;
        resp.set_text(format!("large {}", block[1023]));
        Ok(())
    }
}

#[tokio::test]
async fn small_and_large_responder_futures_both_answer() {
    let client = TestClient::new(App::new().add_route("/sizes/{n:int}", Sizes));
    let small = client.simulate_get("/sizes/7").await;
    assert_eq!(
        (small.status().as_u16(), small.text()),
        (200, "small 7".to_owned()),
        "{small:?}"
    );
    let large = client.simulate_post("/sizes/9").await;
    assert_eq!(
        (large.status().as_u16(), large.text()),
        (200, "large 9".to_owned()),
        "{large:?}"
    );
}

/// Counts its drops: held across an `.await` that never finishes, it shows whether the responder's future
/// was dropped when the request timed out.
struct Guard(Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

struct Stuck {
    drops: Arc<AtomicUsize>,
}

#[peregrine::resource]
impl Stuck {
    async fn on_get(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        let guard = Guard(self.drops.clone());
        std::future::pending::<()>().await;
        drop(guard);
        Ok(())
    }
}

/// Panics when dropped.
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("a responder's local panicked in its drop");
    }
}

struct StuckThenPanicsOnDrop;

#[peregrine::resource]
impl StuckThenPanicsOnDrop {
    async fn on_get(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        let _local = PanicsOnDrop;
        std::future::pending::<()>().await;
        Ok(())
    }
}

#[tokio::test]
async fn a_panic_while_dropping_a_timed_out_responder_still_answers_504() {
    let app = App::new()
        .add_route("/stuck", StuckThenPanicsOnDrop)
        .add_route("/sizes/{n:int}", Sizes)
        .request_timeout(Some(Duration::from_millis(50)));
    let client = TestClient::new(app);
    let result = client.simulate_get("/stuck").await;
    assert_eq!(result.status().as_u16(), 504, "{result:?}");
    let after = client.simulate_get("/sizes/1").await;
    assert_eq!(after.text(), "small 1", "{after:?}");
}

#[tokio::test]
async fn a_timed_out_responder_future_is_dropped_with_its_locals() {
    let drops = Arc::new(AtomicUsize::new(0));
    let app = App::new()
        .add_route("/stuck", Stuck { drops: drops.clone() })
        .request_timeout(Some(Duration::from_millis(50)));
    let result = TestClient::new(app).simulate_get("/stuck").await;
    assert_eq!(result.status().as_u16(), 504, "{result:?}");
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the responder's local was dropped once"
    );
}

/// A resource written without the macro: `respond` only, as the `Resource` docs describe.
struct ByHand;

impl Resource for ByHand {
    fn responders(&self) -> &'static [ResponderSpec] {
        const SPECS: &[ResponderSpec] = &[ResponderSpec::new("GET", "")];
        SPECS
    }

    fn respond<'a>(&'a self, index: usize, _req: &'a mut Request, resp: &'a mut Response) -> BoxFuture<'a, Result> {
        Box::pin(async move {
            resp.set_text(format!("by hand {index}"));
            Ok(())
        })
    }
}

#[tokio::test]
async fn a_resource_written_by_hand_is_served() {
    let client = TestClient::new(App::new().add_route("/hand", ByHand));
    let result = client.simulate_get("/hand").await;
    assert_eq!(
        (result.status().as_u16(), result.text()),
        (200, "by hand 0".to_owned()),
        "{result:?}"
    );
    let head = client.simulate_head("/hand").await;
    assert_eq!(head.status().as_u16(), 200, "{head:?}");
}

/// Sets a header, so that a direct call shows it ran.
struct Marks;

#[peregrine::resource]
impl Marks {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_header("x-served-by", "marks")
    }
}

/// The macro's `respond` (boxed), called directly as a wrapper resource would, runs the same responder as the
/// pipeline's `respond_unboxed`.
#[tokio::test]
async fn the_macros_respond_serves_outside_the_pipeline() {
    let mut req = peregrine::testing::create_req("GET", "/", &[]);
    let mut resp = Response::new();
    Marks.respond(0, &mut req, &mut resp).await.expect("on_get succeeds");
    assert_eq!(resp.get_header("x-served-by"), Some("marks"));
    let client = TestClient::new(App::new().add_route("/marks", Marks));
    let served = client.simulate_get("/marks").await;
    assert_eq!(served.header("x-served-by"), Some("marks"), "{served:?}");
}
