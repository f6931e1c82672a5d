//! Serves the catalogue API: `cargo run --release -p catalogue`, then
//! `curl 'localhost:8000/sections?country=ZA&device=android&app_version=5.2'`.
//!
//! - `DATABASE_URL`: `sqlite://catalogue.db?mode=rwc` by default (a file beside where you run it, created
//!   and filled from the committed fixture if missing); `postgres://user@host/db` for PostgreSQL (the tables
//!   `section` and `title` are created and filled when absent or empty).
//! - `CATALOGUE_CACHE`: `on` (default: reads come from an in-process copy of the tables) or `off` (every
//!   read queries the database).
//! - `CATALOGUE_ADMIN_TOKEN`: the bearer token `PUT /sections/{slug}` needs; unset, writes are refused (403).
//! - `CATALOGUE_POOL_SIZE` (default 16): most database connections.
//! - SIGUSR1 reads the tables again into the copy, after they were changed from outside this process.
//! - `PEREGRINE_ADDR` (default 127.0.0.1:8000) and every other `PEREGRINE_*` server setting.

use std::sync::Arc;

use catalogue::{app, known_from, CacheMode, Catalogue, Db, Fixture, PoolConfig};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("catalogue: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let server_config = peregrine::server::ServerConfig::from_env()?;
    peregrine::server::runtime(&server_config)?.block_on(serve(server_config))
}

async fn serve(server_config: peregrine::server::ServerConfig) -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://catalogue.db?mode=rwc".to_owned());
    let mode = match std::env::var("CATALOGUE_CACHE").as_deref() {
        Err(_) | Ok("on") => CacheMode::On,
        Ok("off") => CacheMode::Off,
        Ok(other) => return Err(format!("CATALOGUE_CACHE={other:?}: expected on or off").into()),
    };
    let max_connections = match std::env::var("CATALOGUE_POOL_SIZE") {
        Err(_) => 16,
        Ok(v) => v
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("CATALOGUE_POOL_SIZE={v:?}: expected a whole number of at least 1"))?,
    };
    let admin_token = std::env::var("CATALOGUE_ADMIN_TOKEN").ok().filter(|t| !t.is_empty());

    let fixture = Fixture::committed();
    let config = PoolConfig {
        max_connections,
        ..PoolConfig::default()
    };
    let db = Db::connect(&url, &config, &fixture).await?;
    let catalogue = Arc::new(Catalogue::open(db, known_from(&fixture), mode).await?);
    reload_on_sigusr1(catalogue.clone())?;

    let app = app(catalogue, admin_token).add_route("/health", peregrine::server::Liveness);
    if peregrine::print_routes_flag(&app) {
        return Ok(());
    }
    let server = peregrine::Server::bind(server_config).await?;
    println!("listening on http://{} (cache {mode:?})", server.local_addr()?);
    server.run_until(app, peregrine::server::shutdown_signal()).await?;
    Ok(())
}

/// Reads the tables again into the copy on each SIGUSR1 (SIGHUP is the server's: it reloads TLS files).
fn reload_on_sigusr1(catalogue: Arc<Catalogue>) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut signals = signal(SignalKind::user_defined1())?;
    tokio::spawn(async move {
        while signals.recv().await.is_some() {
            match catalogue.reload().await {
                Ok(()) => tracing::info!("SIGUSR1: catalogue reloaded"),
                Err(e) => tracing::error!(error = %e, "SIGUSR1: reload failed; the copy is unchanged"),
            }
        }
    });
    Ok(())
}
