//! The convolutional network, loaded with tract and run on a batch of images at once.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::dims;

/// The model's input is one gray image of `INPUT_SIZE` × `INPUT_SIZE` pixels.
pub const INPUT_SIZE: usize = 16;
/// Classes the model tells apart: the digits 0 to 9.
pub const CLASSES: usize = 10;
/// The model this example ships (`model/cnn.onnx`, made by `model/make_cnn.py`), built into the binary.
pub static EMBEDDED_MODEL: &[u8] = include_bytes!("../model/cnn.onnx");

/// One preprocessed image: [`INPUT_SIZE`]² values, row by row, 0.0 for white paper to 1.0 for black ink.
pub type Pixels = Vec<f32>;

/// A loaded, optimized model; runs from any thread.
#[derive(Debug, Clone)]
pub struct Model {
    plan: Arc<TypedRunnableModel>,
}

/// Why a model could not be loaded or run.
#[derive(Debug, Clone)]
pub struct ModelError(String);

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "model: {}", self.0)
    }
}

impl std::error::Error for ModelError {}

impl ModelError {
    /// An error saying `what`.
    pub fn new(what: impl Into<String>) -> Self {
        ModelError(what.into())
    }
}

impl From<TractError> for ModelError {
    fn from(e: TractError) -> Self {
        ModelError(format!("{e:#}"))
    }
}

/// What classifies a batch of images: the [`Model`], or in tests one that waits on a barrier.
pub trait Classifier: Send + Sync + 'static {
    /// One prediction per image, in order.
    ///
    /// # Errors
    /// When the model fails to run.
    fn classify(&self, batch: &[Pixels]) -> Result<Vec<Prediction>, ModelError>;
}

impl Model {
    /// The model built into the binary.
    ///
    /// # Panics
    /// Never for the shipped file; a test loads it.
    pub fn embedded() -> Model {
        Model::load(EMBEDDED_MODEL).expect("the embedded model loads")
    }

    /// Loads an ONNX model that takes `[batch, 1, 16, 16]` floats and answers `[batch, 10]` probabilities.
    ///
    /// # Errors
    /// When the file is not such a model.
    pub fn load(onnx: &[u8]) -> Result<Model, ModelError> {
        let model = tract_onnx::onnx().model_for_read(&mut &onnx[..])?;
        let batch = model.sym("batch");
        let plan = model
            .with_input_fact(0, f32::fact(dims!(batch, 1, INPUT_SIZE, INPUT_SIZE)).into())?
            .with_output_fact(0, f32::fact(dims!(batch, CLASSES)).into())?
            .into_optimized()?
            .into_runnable()?;
        Ok(Model { plan })
    }
}

impl Classifier for Model {
    fn classify(&self, batch: &[Pixels]) -> Result<Vec<Prediction>, ModelError> {
        let mut flat = Vec::with_capacity(batch.len() * INPUT_SIZE * INPUT_SIZE);
        for image in batch {
            flat.extend_from_slice(image);
        }
        let input = Tensor::from_shape(&[batch.len(), 1, INPUT_SIZE, INPUT_SIZE], &flat)?;
        let outputs = self.plan.run(tvec!(input.into_tvalue()))?;
        let view = outputs[0].try_as_plain_ram()?;
        let probabilities = view.as_slice::<f32>()?;
        Ok(probabilities
            .chunks_exact(CLASSES)
            .map(Prediction::from_probabilities)
            .collect())
    }
}

/// What the model says about one image.
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
    /// The prediction for one row of class probabilities.
    pub fn from_probabilities(probabilities: &[f32]) -> Prediction {
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
