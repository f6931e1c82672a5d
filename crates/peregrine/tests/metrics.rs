//! Prometheus metrics through the test client: counted by method, route template and status.
#![cfg(feature = "metrics")]

mod support;

use peregrine::metrics::Metrics;
use peregrine::testing::TestClient;
use peregrine::App;
use support::Echo;

fn client() -> (TestClient, Metrics) {
    let metrics = Metrics::new();
    let app = App::new()
        .add_route("/items/{id:int}", Echo)
        .add_route("/metrics", metrics.clone())
        .metrics(metrics.clone());
    (TestClient::new(app), metrics)
}

fn line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines().find(|l| l.starts_with(prefix))
}

#[tokio::test]
async fn requests_are_counted_by_method_template_and_status() {
    let (client, metrics) = client();
    for id in [1, 2, 3] {
        assert_eq!(client.simulate_get(&format!("/items/{id}")).await.status(), 200);
    }
    assert_eq!(client.simulate_delete("/items/1").await.status(), 405);
    assert_eq!(client.simulate_get("/nowhere").await.status(), 404);

    let text = metrics.render();
    assert_eq!(
        line(
            &text,
            r#"peregrine_requests_total{method="GET",route="/items/{id:int}",status="200"}"#
        ),
        Some(r#"peregrine_requests_total{method="GET",route="/items/{id:int}",status="200"} 3"#)
    );
    assert!(line(
        &text,
        r#"peregrine_requests_total{method="DELETE",route="/items/{id:int}",status="405"} 1"#
    )
    .is_some());
    assert!(line(
        &text,
        r#"peregrine_requests_total{method="GET",route="-",status="404"} 1"#
    )
    .is_some());
}

#[tokio::test]
async fn latency_is_a_histogram_per_route_and_in_flight_returns_to_zero() {
    let (client, metrics) = client();
    client.simulate_get("/items/7").await;
    let text = metrics.render();
    assert!(line(
        &text,
        r#"peregrine_request_duration_seconds_count{method="GET",route="/items/{id:int}"} 1"#
    )
    .is_some());
    assert!(line(
        &text,
        r#"peregrine_request_duration_seconds_bucket{le="10.0",method="GET",route="/items/{id:int}"} 1"#
    )
    .is_some());
    assert!(line(&text, "peregrine_requests_in_flight 0").is_some(), "{text}");
    assert!(line(&text, "peregrine_requests_shed_total 0").is_some(), "{text}");
}

#[tokio::test]
async fn the_metrics_resource_serves_openmetrics_text() {
    let (client, _) = client();
    client.simulate_get("/items/1").await;
    let result = client.simulate_get("/metrics").await;
    assert_eq!(result.status(), 200);
    assert!(result
        .header("content-type")
        .unwrap()
        .starts_with("application/openmetrics-text"));
    assert!(result.text().contains("# TYPE peregrine_requests counter"));
    assert!(result.text().ends_with("# EOF\n"));
}
