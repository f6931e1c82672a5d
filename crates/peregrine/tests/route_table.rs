//! The route table as text: routes with methods and hooks, per-route middleware, sinks, mounted apps and
//! the app-wide middleware order.

use peregrine::{App, Middleware, Request, Response, Result, RouteSet, Sink};

async fn check(_req: &mut Request, _resp: &mut Response) -> Result {
    Ok(())
}

struct Things;

#[peregrine::resource]
#[before(check)]
impl Things {
    async fn on_get(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Ok(())
    }

    #[before(peregrine::hooks::max_body(1024))]
    #[after(check)]
    async fn on_post(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Ok(())
    }
}

struct Audit;
impl Middleware for Audit {}

struct Timing;
impl Middleware for Timing {}

struct Proxy;
impl Sink for Proxy {
    async fn on_request(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Ok(())
    }
}

#[test]
fn the_table_shows_routes_hooks_middleware_sinks_and_mounts() {
    let app = App::new()
        .add_middleware(Timing)
        .add_middleware(Audit)
        .add_route("/things", Things)
        .add_route_middleware(RouteSet::template("/things"), Audit)
        .add_sink(Proxy, "/proxy")
        .mount("/admin", App::new().add_route("/stats", Things));
    let table = app.route_table().to_string();
    let expected = [
        "middleware (process_request in this order, process_response reversed):",
        "  1. route_table::Timing",
        "  2. route_table::Audit",
        "routes:",
        "  /things -> route_table::Things",
        "    GET      before: check",
        "    HEAD     (as GET)",
        "    OPTIONS  (default: Allow)",
        "    POST     before: check, peregrine::hooks::max_body(1024)  after: check",
        "    route middleware: route_table::Audit",
        "sinks and static routes (tried in this order, after the routes):",
        "  /proxy -> route_table::Proxy (sink, every method)",
        "mounted at /admin:",
        "  routes:",
        "    /stats -> route_table::Things",
    ];
    let lines: Vec<&str> = table.lines().collect();
    let mut at = 0;
    for line in expected {
        match lines[at..].iter().position(|l| *l == line) {
            Some(i) => at += i + 1,
            None => panic!("{line:?} missing (or out of order) in:\n{table}"),
        }
    }
}
