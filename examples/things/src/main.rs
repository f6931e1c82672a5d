//! Serves the things API: `cargo run --release -p things`, then `curl localhost:8000/things`.
//!
//! `PEREGRINE_ADDR` changes the address (default 127.0.0.1:8000).

use std::sync::Arc;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let addr = std::env::var("PEREGRINE_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let app = things::app(Arc::new(things::Storage::default()));
    for route in app.routes() {
        tracing::info!("route {route}");
    }
    let server = peregrine::Server::bind(&addr).await?;
    tracing::info!("listening on http://{}", server.local_addr()?);
    server.run_until(app, peregrine::server::shutdown_signal()).await
}
