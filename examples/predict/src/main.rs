//! Serves the digits model: `cargo run --release -p predict`, then POST an image to `/predict` (see README).
//!
//! - `PREDICT_MODEL`: an ONNX file to serve instead of the built-in `model/cnn.onnx` (same shapes).
//! - `PREDICT_THREADS` (default 1), `PREDICT_QUEUE` (default 1024), `PREDICT_MAX_BATCH` (default 32),
//!   `PREDICT_BATCHING` (`on`, the default, or `off`), `PREDICT_DEADLINE_MS` (default 1000): the inference
//!   pool ([`predict::PoolConfig`]); the deadline bounds the wait for the model, not the whole request.
//!   Whole numbers of at least 1; anything else stops the start with a one-line error.
//! - `PEREGRINE_ADDR` (default 127.0.0.1:8000) and every other `PEREGRINE_*` server setting.
//! - `GET /health` for liveness probes, `GET /metrics` for Prometheus.

use std::sync::Arc;
use std::time::Duration;

use peregrine::server::ServerConfig;
use predict::{app, InferencePool, Model, PoolConfig};

/// The variable `name` as a whole number of at least 1, or `default` when it is unset.
fn env_count(name: &str, default: usize) -> Result<usize, String> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(v) => v
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("{name}={v:?}: expected a whole number of at least 1")),
    }
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("predict: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let model = match std::env::var("PREDICT_MODEL") {
        Ok(path) => {
            let bytes = std::fs::read(&path).map_err(|e| format!("PREDICT_MODEL={path}: {e}"))?;
            Model::load(&bytes).map_err(|e| format!("PREDICT_MODEL={path}: {e}"))?
        }
        Err(_) => Model::embedded(),
    };
    let defaults = PoolConfig::default();
    let config = PoolConfig {
        threads: env_count("PREDICT_THREADS", defaults.threads)?,
        queue: env_count("PREDICT_QUEUE", defaults.queue)?,
        max_batch: env_count("PREDICT_MAX_BATCH", defaults.max_batch)?,
        batching: match std::env::var("PREDICT_BATCHING").as_deref() {
            Err(_) | Ok("on") => true,
            Ok("off") => false,
            Ok(other) => return Err(format!("PREDICT_BATCHING={other:?}: expected on or off").into()),
        },
        deadline: Duration::from_millis(env_count("PREDICT_DEADLINE_MS", 1000)? as u64),
        limits: defaults.limits,
    };
    let server_config = ServerConfig::from_env()?;
    println!(
        "serving POST /predict ({} inference thread(s), queue {}, batching {} up to {}, deadline {} ms), GET /health, GET /metrics",
        config.threads,
        config.queue,
        if config.batching { "on" } else { "off" },
        config.max_batch,
        config.deadline.as_millis()
    );
    let pool = InferencePool::start(Arc::new(model), config);
    peregrine::run(app(pool), server_config)?;
    Ok(())
}
