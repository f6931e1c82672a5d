//! `POST /predict` through the test client: the served model agrees with scikit-learn on held-out images,
//! and bad input gets the 4xx it should.

use std::sync::Arc;

use peregrine::testing::TestClient;
use predict::{app, Model, PredictResponse, CLASSES, FEATURES};
use serde::Deserialize;
use serde_json::{json, Value};

/// A held-out image with what scikit-learn's trained model said about it (`model/samples.json`).
#[derive(Deserialize)]
struct Sample {
    pixels: Vec<f32>,
    probabilities: Vec<f32>,
}

fn samples() -> Vec<Sample> {
    serde_json::from_str(include_str!("../model/samples.json")).expect("samples.json parses")
}

fn client(max_batch: usize) -> TestClient {
    TestClient::new(app(Arc::new(Model::embedded()), max_batch))
}

fn argmax(values: &[f32]) -> usize {
    (0..values.len()).fold(0, |best, i| if values[i] > values[best] { i } else { best })
}

#[tokio::test]
async fn a_batch_gets_the_probabilities_the_trained_model_gives() {
    let samples = samples();
    let inputs: Vec<&[f32]> = samples.iter().map(|s| s.pixels.as_slice()).collect();
    let result = client(256)
        .simulate_post("/predict")
        .json(&json!({ "inputs": inputs }))
        .await;
    assert_eq!(result.status(), 200, "{}", result.text());
    assert_eq!(result.header("content-type"), Some("application/json"));
    let body: PredictResponse = result.json();
    assert_eq!(body.predictions.len(), samples.len());
    for (prediction, sample) in body.predictions.iter().zip(&samples) {
        assert_eq!(prediction.probabilities.len(), CLASSES);
        for (served, expected) in prediction.probabilities.iter().zip(&sample.probabilities) {
            assert!((served - expected).abs() < 1e-4, "{served} vs {expected}");
        }
        assert_eq!(prediction.label, argmax(&sample.probabilities));
        assert_eq!(prediction.confidence, prediction.probabilities[prediction.label]);
    }
}

#[tokio::test]
async fn one_row_gets_one_prediction() {
    let sample = &samples()[3];
    let result = client(256)
        .simulate_post("/predict")
        .json(&json!({ "inputs": [sample.pixels] }))
        .await;
    let body: PredictResponse = result.json();
    assert_eq!(body.predictions.len(), 1);
    assert_eq!(body.predictions[0].label, argmax(&sample.probabilities));
}

async fn problem(client: &TestClient, body: Value) -> (u16, Value) {
    let result = client.simulate_post("/predict").json(&body).await;
    (result.status().as_u16(), result.json())
}

#[tokio::test]
async fn a_row_of_the_wrong_length_is_422_naming_the_row() {
    let good = vec![0.0; FEATURES];
    let (status, body) = problem(&client(256), json!({ "inputs": [good, [1.0, 2.0]] })).await;
    assert_eq!(status, 422);
    assert_eq!(body["title"], "Invalid inputs");
    assert_eq!(body["description"], "row 1 holds 2 values; the model takes 64");
}

#[tokio::test]
async fn an_empty_batch_is_422() {
    let (status, body) = problem(&client(256), json!({ "inputs": [] })).await;
    assert_eq!(status, 422);
    assert_eq!(body["description"], "`inputs` holds no rows");
}

#[tokio::test]
async fn a_batch_over_the_limit_is_422() {
    let rows = vec![vec![0.0; FEATURES]; 3];
    let (status, body) = problem(&client(2), json!({ "inputs": rows })).await;
    assert_eq!(status, 422);
    assert_eq!(body["description"], "3 rows sent; at most 2 per request");
    let rows = vec![vec![0.0; FEATURES]; 2];
    let (status, _) = problem(&client(2), json!({ "inputs": rows })).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bodies_that_are_not_the_request_are_400() {
    let client = client(256);
    for body in [&b"{not json"[..], br#"{"rows": []}"#, br#"{"inputs": [["a"]]}"#] {
        let result = client
            .simulate_post("/predict")
            .header("content-type", "application/json")
            .body(body.to_vec())
            .await;
        assert_eq!(result.status(), 400, "{}", String::from_utf8_lossy(body));
    }
}

#[tokio::test]
async fn other_media_types_are_415_and_other_methods_405() {
    let client = client(256);
    let result = client
        .simulate_post("/predict")
        .header("content-type", "text/csv")
        .body("1,2,3")
        .await;
    assert_eq!(result.status(), 415);
    let result = client.simulate_get("/predict").await;
    assert_eq!(result.status(), 405);
    assert_eq!(result.header("allow"), Some("POST, OPTIONS"));
}

#[test]
fn a_file_that_is_not_a_model_is_an_error() {
    let error = Model::load(b"not an onnx file").expect_err("garbage does not load");
    assert!(error.to_string().starts_with("model: "), "{error}");
}
