//! `POST /predict` through the test client: the served network's accuracy on the held-out digits is the one
//! `model/make_cnn.py` measured, images come in as JSON or multipart, in any size, colour and format the
//! example takes, bad input gets its 4xx, and the inference pool refuses, batches and times out as
//! documented.

use std::io::Cursor;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use peregrine::testing::TestClient;
use predict::{app, Classifier, InferencePool, Model, ModelError, Pixels, PoolConfig, Prediction};
use serde_json::{json, Value};

fn holdout() -> Vec<(usize, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/model/holdout");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_str().unwrap();
            let label = name.rsplit('-').next().unwrap().parse().unwrap();
            (label, std::fs::read(path).unwrap())
        })
        .collect()
}

fn client() -> TestClient {
    TestClient::new(app(InferencePool::start(
        Arc::new(Model::embedded()),
        PoolConfig::default(),
    )))
}

fn as_json(image: &[u8]) -> Value {
    json!({ "image": base64::engine::general_purpose::STANDARD.encode(image) })
}

async fn predict(client: &TestClient, image: &[u8]) -> Prediction {
    let r = client.simulate_post("/predict").json(&as_json(image)).await;
    assert_eq!(r.status(), 200, "{}", r.text());
    r.json()
}

#[tokio::test]
async fn the_held_out_accuracy_is_the_one_the_script_measured() {
    let reported: Value = serde_json::from_str(include_str!("../model/holdout.json")).unwrap();
    let reported = reported["accuracy"].as_f64().unwrap();
    let client = client();
    let images = holdout();
    assert_eq!(images.len(), 360);
    let mut right = 0;
    for (label, png) in &images {
        right += usize::from(predict(&client, png).await.label == *label);
    }
    let accuracy = right as f64 / images.len() as f64;
    assert!(
        (accuracy - reported).abs() <= 0.02,
        "served {accuracy:.4}, the script reported {reported}"
    );
}

#[tokio::test]
async fn a_multipart_form_carries_the_image_too() {
    let (label, png) = holdout().swap_remove(0);
    let mut body = b"--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--B\r\n".to_vec();
    body.extend_from_slice(b"Content-Disposition: form-data; name=\"image\"; filename=\"d.png\"\r\n");
    body.extend_from_slice(b"Content-Type: image/png\r\n\r\n");
    body.extend_from_slice(&png);
    body.extend_from_slice(b"\r\n--B--\r\n");
    let r = client()
        .simulate_post("/predict")
        .header("content-type", "multipart/form-data; boundary=B")
        .body(body)
        .await;
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(r.json::<Prediction>().label, label);
}

/// The held-out image at index `i`, confident, decoded.
fn gray(i: usize) -> (usize, image::GrayImage) {
    let (label, png) = holdout().swap_remove(i);
    (label, image::load_from_memory(&png).unwrap().to_luma8())
}

fn encode(image: &image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn larger_colour_transparent_and_jpeg_images_are_read_as_the_digit() {
    let client = client();
    let (label, small) = gray(1);
    assert_eq!(
        predict(&client, &encode(&small.clone().into(), image::ImageFormat::Png))
            .await
            .label,
        label
    );
    // 64x64, RGBA: the paper transparent, the ink opaque dark blue.
    let big = image::imageops::resize(&small, 64, 64, image::imageops::FilterType::Nearest);
    let rgba = image::RgbaImage::from_fn(64, 64, |x, y| {
        let ink = 255 - big.get_pixel(x, y).0[0];
        image::Rgba([0, 0, 60, ink])
    });
    let prediction = predict(&client, &encode(&rgba.into(), image::ImageFormat::Png)).await;
    assert_eq!(prediction.label, label, "{prediction:?}");
    let rgb = image::DynamicImage::ImageLuma8(big).to_rgb8();
    let prediction = predict(&client, &encode(&rgb.into(), image::ImageFormat::Jpeg)).await;
    assert_eq!(prediction.label, label, "{prediction:?}");
}

#[tokio::test]
async fn bad_images_and_bodies_get_their_4xx() {
    let client = client();
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    for (body, status) in [
        (json!({"image": "not base64 at all!"}), 400),
        (json!({"image": b64(b"hello, world")}), 400),
        (json!({"image": b64(gif)}), 400),
        (json!({"image": b64(b"\x89PNG\r\n\x1a\n broken")}), 400),
        (json!({"picture": b64(gif)}), 400),
        (json!({"image": 7}), 400),
    ] {
        let r = client.simulate_post("/predict").json(&body).await;
        assert_eq!(r.status(), status, "{body}: {}", r.text());
    }
    let r = client
        .simulate_post("/predict")
        .header("content-type", "text/plain")
        .body("x")
        .await;
    assert_eq!(r.status(), 415, "{}", r.text());
    let huge = "A".repeat(3 * 1024 * 1024);
    let r = client.simulate_post("/predict").json(&json!({ "image": huge })).await;
    assert_eq!(r.status(), 413, "over the 2 MiB body limit");
    // 5,000 x 5,000 white pixels: small on the wire, 25 megapixels decoded.
    let bomb = encode(
        &image::GrayImage::from_pixel(5000, 5000, image::Luma([255])).into(),
        image::ImageFormat::Png,
    );
    assert!(bomb.len() < 2 * 1024 * 1024 / 2, "{} bytes", bomb.len());
    let r = client.simulate_post("/predict").json(&as_json(&bomb)).await;
    assert_eq!(r.status(), 413, "{}", r.text());
    // 16,000,000 x 1: within the pixel count, but resizing it would take gigabytes.
    let strip = encode(
        &image::GrayImage::from_pixel(16_000_000, 1, image::Luma([0])).into(),
        image::ImageFormat::Png,
    );
    let r = client.simulate_post("/predict").json(&as_json(&strip)).await;
    assert_eq!(r.status(), 413, "{}", r.text());
    // A broken PNG gets a short reason, not the decoder's internals.
    let (_, mut png) = holdout().swap_remove(0);
    png[20] ^= 0xff; // inside IHDR: its CRC no longer matches
    let r = client.simulate_post("/predict").json(&as_json(&png)).await;
    assert_eq!(r.status(), 400, "{}", r.text());
    assert!(
        !r.text().contains("ChunkType") && !r.text().contains('\n'),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn line_wrapped_base64_and_data_urls_are_read() {
    let (label, png) = holdout().swap_remove(0);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
    let wrapped: Vec<String> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let client = client();
    for image in [wrapped.join("\n"), format!("DATA:image/png;base64,{b64}")] {
        let r = client.simulate_post("/predict").json(&json!({ "image": image })).await;
        assert_eq!(r.status(), 200, "{}", r.text());
        assert_eq!(r.json::<Prediction>().label, label);
    }
}

/// Runs the real model, but the first call waits until the test opens the gate; says when a call starts.
struct Gated {
    model: Model,
    entered: Mutex<mpsc::Sender<usize>>,
    gate: Mutex<Option<mpsc::Receiver<()>>>,
    panic_once: Mutex<bool>,
}

fn gated(panic_once: bool) -> (Arc<Gated>, mpsc::Receiver<usize>, mpsc::Sender<()>) {
    let (entered, entered_rx) = mpsc::channel();
    let (open, gate) = mpsc::channel();
    let classifier = Gated {
        model: Model::embedded(),
        entered: Mutex::new(entered),
        gate: Mutex::new(Some(gate)),
        panic_once: Mutex::new(panic_once),
    };
    (Arc::new(classifier), entered_rx, open)
}

impl Classifier for Gated {
    fn classify(&self, batch: &[Pixels]) -> Result<Vec<Prediction>, ModelError> {
        let _ = self.entered.lock().unwrap().send(batch.len());
        if let Some(gate) = self.gate.lock().unwrap().take() {
            let _ = gate.recv();
        }
        if std::mem::take(&mut *self.panic_once.lock().unwrap()) {
            panic!("a model bug");
        }
        self.model.classify(batch)
    }
}

/// Waits (off the runtime's thread) for the classifier to say a call started; returns its batch size.
async fn started(entered: &Arc<Mutex<mpsc::Receiver<usize>>>) -> usize {
    let entered = entered.clone();
    tokio::task::spawn_blocking(move || entered.lock().unwrap().recv_timeout(Duration::from_secs(10)).unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_model_leaves_other_routes_answering_and_a_full_queue_is_503() {
    let (classifier, entered, open) = gated(false);
    let entered = Arc::new(Mutex::new(entered));
    let config = PoolConfig {
        queue: 1,
        ..PoolConfig::default()
    };
    let client = TestClient::new(app(InferencePool::start(classifier, config)));
    let (label, png) = holdout().swap_remove(0);
    let first = tokio::spawn({
        let (client, body) = (client.clone(), as_json(&png));
        async move { client.simulate_post("/predict").json(&body).await }
    });
    assert_eq!(started(&entered).await, 1, "the first request is in the model");
    // The model is held: other routes answer.
    let health = client.simulate_get("/health").await;
    assert_eq!(health.status(), 200, "{}", health.text());
    // One request waits in the queue (its client gives up; the slot stays taken) ...
    let waiting = tokio::time::timeout(
        Duration::from_millis(200),
        client.simulate_post("/predict").json(&as_json(&png)),
    )
    .await;
    assert!(waiting.is_err(), "the second request waits in the queue");
    // ... so the next one is refused at once.
    let refused = client.simulate_post("/predict").json(&as_json(&png)).await;
    assert_eq!(refused.status(), 503, "{}", refused.text());
    assert_eq!(refused.header("retry-after"), Some("1"));
    open.send(()).unwrap();
    let first = first.await.unwrap();
    assert_eq!(first.status(), 200, "{}", first.text());
    assert_eq!(first.json::<Prediction>().label, label);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_requests_run_as_one_batch_with_the_answers_of_single_runs() {
    let (classifier, entered, open) = gated(false);
    let entered = Arc::new(Mutex::new(entered));
    let client = TestClient::new(app(InferencePool::start(classifier, PoolConfig::default())));
    let images: Vec<(usize, Vec<u8>)> = holdout().into_iter().take(9).collect();
    let mut requests = Vec::new();
    for (i, (_, png)) in images.iter().enumerate() {
        let (client, body) = (client.clone(), as_json(png));
        requests.push(tokio::spawn(async move {
            client.simulate_post("/predict").json(&body).await
        }));
        if i == 0 {
            assert_eq!(started(&entered).await, 1);
        }
    }
    // Let the other eight reach the queue while the first holds the model: nine predictions in flight,
    // and this request for the metrics.
    for _ in 0..400 {
        let metrics = client.simulate_get("/metrics").await.text();
        if metrics.contains("peregrine_requests_in_flight 10") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    open.send(()).unwrap();
    assert_eq!(started(&entered).await, 8, "the eight waiting requests ran together");
    let model = Model::embedded();
    for ((_, png), request) in images.iter().zip(requests) {
        let r = request.await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text());
        let batched: Prediction = r.json();
        let alone = model
            .classify(&[predict::preprocess(png, Default::default()).unwrap()])
            .unwrap()
            .remove(0);
        assert_eq!(batched.label, alone.label);
        for (a, b) in batched.probabilities.iter().zip(&alone.probabilities) {
            assert!((a - b).abs() < 1e-5, "{batched:?} vs {alone:?}");
        }
    }
    let metrics = client.simulate_get("/metrics").await.text();
    assert!(metrics.contains("predict_batch_size_count 2"), "{metrics}");
    assert!(metrics.contains("predict_batch_size_bucket{le=\"4.0\"} 1"), "{metrics}");
    assert!(metrics.contains("predict_batch_size_bucket{le=\"8.0\"} 2"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_waited_past_its_deadline_is_503() {
    let (classifier, entered, open) = gated(false);
    let entered = Arc::new(Mutex::new(entered));
    let config = PoolConfig {
        deadline: Duration::from_millis(20),
        ..PoolConfig::default()
    };
    let client = TestClient::new(app(InferencePool::start(classifier, config)));
    let png = holdout().swap_remove(0).1;
    let first = tokio::spawn({
        let (client, body) = (client.clone(), as_json(&png));
        async move { client.simulate_post("/predict").json(&body).await }
    });
    started(&entered).await;
    let late = tokio::spawn({
        let (client, body) = (client.clone(), as_json(&png));
        async move { client.simulate_post("/predict").json(&body).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await; // past the 20 ms deadline, in the queue
    open.send(()).unwrap();
    assert_eq!(first.await.unwrap().status(), 200);
    let late = late.await.unwrap();
    assert_eq!(late.status(), 503, "{}", late.text());
    assert!(late.text().contains("waited too long"), "{}", late.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_model_is_500_and_the_pool_goes_on() {
    let (classifier, _entered, open) = gated(true);
    open.send(()).unwrap();
    let client = TestClient::new(app(InferencePool::start(classifier, PoolConfig::default())));
    let (label, png) = holdout().swap_remove(0);
    let r = client.simulate_post("/predict").json(&as_json(&png)).await;
    assert_eq!(r.status(), 500, "{}", r.text());
    assert!(!r.text().contains("model bug"), "{}", r.text());
    assert_eq!(predict(&client, &png).await.label, label);
}

#[test]
fn a_file_that_is_not_a_model_is_an_error() {
    assert!(Model::load(b"not onnx").is_err());
}
