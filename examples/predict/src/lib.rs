//! Model serving: a handwritten-digit classifier behind `POST /predict`, the model-serving API from the
//! Falcon articles done with Peregrine.
//!
//! The model is an ONNX file (`model/digits.onnx`, made by `model/make_model.py`: a 64 → 64 → 10 perceptron
//! trained by scikit-learn on 8×8 digit images with pixel values 0 to 16). It is run by
//! [tract](https://github.com/sonos/tract), a pure-Rust ONNX runtime, so the example builds with cargo alone;
//! the Falcon peer in `bench/peers/falcon` serves the same file with onnxruntime.
//!
//! ```text
//! POST /predict  {"inputs": [[0, 0, 5, 13, 9, 1, ...64 values], ...]}
//! 200            {"predictions": [{"label": 0, "confidence": 0.998, "probabilities": [...10 values]}]}
//! ```
//!
//! A body that is not JSON gets 400, a request that is not `application/json` 415, and an empty batch, a
//! batch over the limit or a row that does not hold 64 values 422 with the reason in the problem details.
//!
//! Inference runs on the request's task: the model is small (about 4,700 multiply-adds per row), and in
//! `bench/run`'s `predict` scenario a whole one-image request cost about 8 µs of server CPU. A model that
//! takes milliseconds per request belongs in `tokio::task::spawn_blocking`, so it cannot stall the other
//! connections its worker thread serves.

use std::sync::Arc;

use peregrine::{App, Error, HttpError, Request, Response, Result};
use serde::{Deserialize, Serialize};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::dims;

/// Values per input row: the 8×8 pixels of one image.
pub const FEATURES: usize = 64;
/// Classes the model tells apart: the digits 0 to 9.
pub const CLASSES: usize = 10;
/// Most rows one request may send, unless the app is built with another limit.
pub const DEFAULT_MAX_BATCH: usize = 256;
/// The model this example ships, built into the binary.
pub static EMBEDDED_MODEL: &[u8] = include_bytes!("../model/digits.onnx");

/// A loaded, optimized model, ready to run from many tasks at once.
#[derive(Debug)]
pub struct Model {
    plan: Arc<TypedRunnableModel>,
}

/// Why a model could not be loaded or run.
#[derive(Debug)]
pub struct ModelError(String);

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "model: {}", self.0)
    }
}

impl std::error::Error for ModelError {}

impl From<TractError> for ModelError {
    fn from(e: TractError) -> Self {
        ModelError(format!("{e:#}"))
    }
}

impl Model {
    /// The model built into the binary.
    ///
    /// # Panics
    /// Never for the shipped file; a test loads it.
    pub fn embedded() -> Model {
        Model::load(EMBEDDED_MODEL).expect("the embedded model loads")
    }

    /// Loads an ONNX model that takes `[batch, 64]` floats and answers `[batch, 10]` probabilities.
    pub fn load(onnx: &[u8]) -> std::result::Result<Model, ModelError> {
        let model = tract_onnx::onnx().model_for_read(&mut &onnx[..])?;
        let batch = model.sym("batch");
        let plan = model
            .with_input_fact(0, f32::fact(dims!(batch, FEATURES)).into())?
            .with_output_fact(0, f32::fact(dims!(batch, CLASSES)).into())?
            .into_optimized()?
            .into_runnable()?;
        Ok(Model { plan })
    }

    /// Runs `rows` (each [`FEATURES`] values) and returns one prediction per row.
    pub fn predict(&self, rows: &[Vec<f32>]) -> std::result::Result<Vec<Prediction>, ModelError> {
        let mut flat = Vec::with_capacity(rows.len() * FEATURES);
        for row in rows {
            flat.extend_from_slice(row);
        }
        let input = Tensor::from_shape(&[rows.len(), FEATURES], &flat)?;
        let outputs = self.plan.run(tvec!(input.into_tvalue()))?;
        let view = outputs[0].try_as_plain_ram()?;
        let probabilities = view.as_slice::<f32>()?;
        Ok(probabilities
            .chunks_exact(CLASSES)
            .map(Prediction::from_probabilities)
            .collect())
    }
}

/// What the model says about one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The most probable digit.
    pub label: usize,
    /// Its probability.
    pub confidence: f32,
    /// The probability of each digit, 0 to 9.
    pub probabilities: Vec<f32>,
}

impl Prediction {
    fn from_probabilities(probabilities: &[f32]) -> Prediction {
        let (label, confidence) = probabilities
            .iter()
            .copied()
            .enumerate()
            .fold((0, f32::MIN), |best, (i, p)| if p > best.1 { (i, p) } else { best });
        Prediction {
            label,
            confidence,
            probabilities: probabilities.to_vec(),
        }
    }
}

/// The body `POST /predict` takes.
#[derive(Debug, Deserialize)]
pub struct PredictRequest {
    /// One row of [`FEATURES`] pixel values per image.
    pub inputs: Vec<Vec<f32>>,
}

/// The body `POST /predict` answers.
#[derive(Debug, Serialize, Deserialize)]
pub struct PredictResponse {
    /// One per input row, in order.
    pub predictions: Vec<Prediction>,
}

/// The `/predict` resource.
#[derive(Debug)]
pub struct Predict {
    model: Arc<Model>,
    max_batch: usize,
}

impl Predict {
    /// Serves `model`, refusing batches over `max_batch` rows.
    pub fn new(model: Arc<Model>, max_batch: usize) -> Self {
        Predict { model, max_batch }
    }

    fn check(&self, inputs: &[Vec<f32>]) -> Result {
        let invalid = |why: String| {
            Err(HttpError::unprocessable_content()
                .with_title("Invalid inputs")
                .with_description(why)
                .into())
        };
        if inputs.is_empty() {
            return invalid("`inputs` holds no rows".to_owned());
        }
        if inputs.len() > self.max_batch {
            return invalid(format!(
                "{} rows sent; at most {} per request",
                inputs.len(),
                self.max_batch
            ));
        }
        if let Some((i, row)) = inputs.iter().enumerate().find(|(_, row)| row.len() != FEATURES) {
            return invalid(format!(
                "row {i} holds {} values; the model takes {FEATURES}",
                row.len()
            ));
        }
        Ok(())
    }
}

#[peregrine::resource]
impl Predict {
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let body: PredictRequest = req.media().await?;
        self.check(&body.inputs)?;
        let predictions = self.model.predict(&body.inputs).map_err(Error::new)?;
        resp.set_media(&PredictResponse { predictions })
    }
}

/// The app: `POST /predict` on `model`.
pub fn app(model: Arc<Model>, max_batch: usize) -> App {
    App::new().add_route("/predict", Predict::new(model, max_batch))
}
