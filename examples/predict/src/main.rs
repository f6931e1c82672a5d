//! Serves the digits model: `cargo run --release -p predict`, then POST rows of 64 pixel values to
//! `/predict` (see README).
//!
//! - `PREDICT_MODEL`: an ONNX file to serve instead of the built-in `model/digits.onnx` (same shapes).
//! - `PREDICT_MAX_BATCH`: most rows per request (default 256).
//! - `PEREGRINE_ADDR` (default 127.0.0.1:8000) and every other `PEREGRINE_*` server setting.
//! - `GET /health` for liveness probes.

use std::sync::Arc;

use peregrine::server::{Liveness, ServerConfig};
use predict::{app, Model, DEFAULT_MAX_BATCH};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let model = match std::env::var("PREDICT_MODEL") {
        Ok(path) => Model::load(&std::fs::read(&path)?)?,
        Err(_) => Model::embedded(),
    };
    let max_batch = match std::env::var("PREDICT_MAX_BATCH") {
        Ok(n) => n.parse()?,
        Err(_) => DEFAULT_MAX_BATCH,
    };
    let app = app(Arc::new(model), max_batch).add_route("/health", Liveness);
    println!("serving POST /predict (at most {max_batch} rows per request) and GET /health");
    peregrine::run(app, ServerConfig::from_env()?)?;
    Ok(())
}
