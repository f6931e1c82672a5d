//! Serves the things API: `cargo run --release -p things`, then `curl localhost:8000/things`.
//!
//! Server settings come from `PEREGRINE_*` variables (`PEREGRINE_ADDR`, default 127.0.0.1:8000; the full
//! table is on `peregrine::server::ServerConfig`).

use std::sync::Arc;

use peregrine::server::ServerConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Colour only on a terminal: a log written to a file or a pipe carries no escape codes.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let app = things::app(Arc::new(things::Storage::default()));
    for route in app.routes() {
        tracing::info!("route {route}");
    }
    peregrine::run(app, ServerConfig::from_env()?)?;
    Ok(())
}
