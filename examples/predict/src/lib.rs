//! Model serving as the deep-learning articles did it: an image in, a convolutional network, an answer out
//! — with the model off the async workers, batched, and refusing work it cannot take in time.
//!
//! The model (`model/cnn.onnx`, trained by `model/make_cnn.py` on scikit-learn's handwritten digits) takes
//! a 16×16 gray image; it is run by [tract](https://github.com/sonos/tract), a pure-Rust ONNX runtime, so
//! the example builds with cargo alone. The Falcon peer in `bench/peers/falcon` serves the same file with
//! onnxruntime.
//!
//! ```text
//! POST /predict  Content-Type: application/json  {"image": "<base64 PNG or JPEG>"}
//!            or  Content-Type: multipart/form-data, the image in a file part named "image"
//! 200            {"label": 7, "confidence": 0.998, "probabilities": [...10 values]}
//! ```
//!
//! Any size and colour of PNG or JPEG is taken: transparency is laid on white, the image turned gray and
//! resized to 16×16 (dark ink on light paper, as the digits are written). Errors: **400** for base64 that
//! does not decode, a body without `image`, or data that is not a PNG or JPEG; **413** past the body limit
//! (2 MiB by default), past 16 megapixels or 8,192 pixels a side; **415** for any other content type;
//! **503** with `Retry-After`
//! when the inference queue is full or a request waited past its deadline ([`pool`]).
//!
//! `GET /metrics` gives Peregrine's request metrics and `predict_batch_size`, a histogram of images per
//! model run; `GET /health` answers whatever the model is doing.

use base64::Engine;
use peregrine::metrics::Metrics;
use peregrine::server::Liveness;
use peregrine::{header, App, HttpError, Request, Response, Result};
use serde::Deserialize;

pub mod image_input;
pub mod model;
pub mod pool;

pub use image_input::{preprocess, ImageError, ImageLimits};
pub use model::{Classifier, Model, ModelError, Pixels, Prediction, CLASSES, EMBEDDED_MODEL, INPUT_SIZE};
pub use pool::{InferError, InferencePool, PoolConfig};

/// Largest request body, unless the app is built with another: 2 MiB.
pub const DEFAULT_MAX_BODY: usize = 2 * 1024 * 1024;

/// The JSON body `POST /predict` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictRequest {
    /// The image, base64 (standard alphabet, padding optional; a `data:image/...;base64,` prefix is
    /// allowed).
    pub image: String,
}

/// The `/predict` resource.
#[derive(Debug)]
pub struct Predict {
    pool: InferencePool,
}

impl Predict {
    /// Answers with `pool`.
    pub fn new(pool: InferencePool) -> Self {
        Predict { pool }
    }

    /// The image's bytes, from a JSON body or a multipart one.
    async fn image(req: &mut Request) -> Result<Vec<u8>> {
        let essence = req
            .content_type()
            .map(|t| t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
        match essence.as_deref() {
            Some("application/json") => {
                let body: PredictRequest = req.media().await?;
                let text = body.image.trim();
                let text = match text.split_once(";base64,") {
                    Some((prefix, data)) if prefix.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:")) => data,
                    _ => text,
                };
                // Line-wrapped base64 (what `base64` prints without -w0) is taken too.
                let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(compact.trim_end_matches('='))
                    .map_err(|_| invalid_image("`image` is not base64 (the standard alphabet)."))
            }
            Some("multipart/form-data") => {
                let mut parts = req.multipart()?;
                while let Some(mut part) = parts.next_part().await? {
                    if part.name() == Some("image") {
                        return Ok(part.bytes().await?.to_vec());
                    }
                }
                Err(invalid_image("The form has no part named `image`."))
            }
            _ => Err(HttpError::unsupported_media_type()
                .with_description(
                    "Send application/json ({\"image\": \"<base64>\"}) or multipart/form-data with an `image` part.",
                )
                .into()),
        }
    }
}

fn invalid_image(why: &str) -> peregrine::Error {
    HttpError::bad_request()
        .with_title("Invalid image")
        .with_description(why.to_owned())
        .into()
}

fn overloaded(why: &str) -> peregrine::Error {
    HttpError::service_unavailable()
        .with_title("Model busy")
        .with_description(why.to_owned())
        .with_header(header::RETRY_AFTER, "1")
        .into()
}

#[peregrine::resource]
impl Predict {
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let image = Self::image(req).await?;
        let prediction = match self.pool.classify(image).await {
            Ok(prediction) => prediction,
            Err(InferError::Busy) => return Err(overloaded("Every inference slot is taken; try again shortly.")),
            Err(InferError::TooLate) => {
                return Err(overloaded(
                    "The request waited too long for the model; try again shortly.",
                ))
            }
            Err(InferError::Image(ImageError::NotAnImage(why))) => {
                return Err(invalid_image(&format!("Not a readable PNG or JPEG ({why}).")))
            }
            Err(InferError::Image(ImageError::TooLarge(why))) => {
                return Err(HttpError::content_too_large()
                    .with_title("Image too large")
                    .with_description(why)
                    .into())
            }
            Err(InferError::Model(e)) => return Err(peregrine::Error::new(e)),
            Err(InferError::Stopped) => return Err(overloaded("The model is not running.")),
        };
        resp.set_media(&prediction)
    }
}

/// The app: `POST /predict` on `pool`, `GET /health`, and `GET /metrics` with the pool's batch sizes.
pub fn app(pool: InferencePool) -> App {
    let metrics = Metrics::new();
    metrics.register("predict_batch_size", "Images per model run", pool.batch_sizes());
    App::new()
        .req_options(|o| o.max_body_size = DEFAULT_MAX_BODY)
        .add_route("/predict", Predict::new(pool))
        .add_route("/health", Liveness)
        .add_route("/metrics", metrics.clone())
        .metrics(metrics)
}
