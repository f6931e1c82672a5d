//! What a no-op middleware and a no-op hook cost per request: the same GET through the test client on an
//! app with none, with 3 middleware that write every phase and do nothing, with 3 middleware that write no
//! phase, with 2 no-op before hooks on the responder, and with both (the 5 layers of issue 19's goal).
//!
//! `taskset -c 1 cargo bench -p peregrine --bench layers`; per layer = (time with the layers - time without)
//! / layers. Pinned to one core, or the other core's load decides the figures.

#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use peregrine::testing::TestClient;
use peregrine::{App, Middleware, Request, Response, Result, Route};

struct Plain;

#[peregrine::resource]
impl Plain {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("ok");
        Ok(())
    }
}

async fn noop(_req: &mut Request, _resp: &mut Response) -> Result {
    Ok(())
}

struct Hooked;

#[peregrine::resource]
impl Hooked {
    #[before(noop, noop)]
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("ok");
        Ok(())
    }
}

/// Writes every phase; each does nothing.
struct EveryPhase;

impl Middleware for EveryPhase {
    async fn process_request(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Ok(())
    }

    async fn process_resource(&self, _req: &mut Request, _resp: &mut Response, _route: &Route) -> Result {
        Ok(())
    }

    async fn process_response(&self, _req: &mut Request, _resp: &mut Response, _ok: bool) -> Result {
        Ok(())
    }
}

/// Writes no phase.
struct NoPhase;

impl Middleware for NoPhase {}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let apps = [
        ("none", App::new().add_route("/x", Plain)),
        (
            "3 middleware, every phase a no-op",
            App::new()
                .add_middleware(EveryPhase)
                .add_middleware(EveryPhase)
                .add_middleware(EveryPhase)
                .add_route("/x", Plain),
        ),
        (
            "3 middleware writing no phase",
            App::new()
                .add_middleware(NoPhase)
                .add_middleware(NoPhase)
                .add_middleware(NoPhase)
                .add_route("/x", Plain),
        ),
        ("2 no-op before hooks", App::new().add_route("/x", Hooked)),
        (
            "3 every-phase middleware and 2 hooks",
            App::new()
                .add_middleware(EveryPhase)
                .add_middleware(EveryPhase)
                .add_middleware(EveryPhase)
                .add_route("/x", Hooked),
        ),
    ];
    let mut group = c.benchmark_group("layers");
    for (name, app) in apps {
        let client = TestClient::new(app);
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(async { client.simulate_get("/x").await.status() }))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
