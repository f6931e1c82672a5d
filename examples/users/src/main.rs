//! Serves the users API: `cargo run --release -p users`, then `curl localhost:8000/users/`.
//!
//! - `DATABASE_URL`: `sqlite://users.db?mode=rwc` by default (a file beside where you run it, created if
//!   missing); `postgres://user@host/db` for PostgreSQL.
//! - `PEREGRINE_ADDR`: where to listen (default 127.0.0.1:8000), and every other `PEREGRINE_*` server
//!   setting (limits, timeouts; see `peregrine::server::ServerConfig`).
//! - `GET /health` (liveness) and `GET /ready` (readiness: 503 once shutdown has begun) for probes.
//! - `USERS_POOL_SIZE` (default 16) and `USERS_ACQUIRE_TIMEOUT_MS` (default 2000), whole numbers of at least
//!   1 (anything else stops the start with an error): the pool; a request that waits longer than the timeout
//!   for a connection gets 503.
//! - Errors at start (a database that cannot be reached, a bad setting) print one line, with their causes, on
//!   stderr, and the exit status is 1. The log goes to stdout.
//! - Admission: this API admits up to 4,096 requests at once (`PEREGRINE_MAX_CONCURRENT_REQUESTS` overrides
//!   it; the framework's default is 1,024). Its requests spend their time waiting for a pooled connection,
//!   and a waiting request costs about a kilobyte, so a burst of a few thousand clients waits for the pool
//!   rather than being refused at the door; the pool's acquire timeout is what sheds load (503) when the
//!   database cannot keep up.
//! - `--seed N`: add N random users and exit. On a first start with an empty table, 20 are added.

use std::sync::Arc;
use std::time::Duration;

use peregrine::server::{Liveness, Readiness, ServerConfig};
use users::{app, Db, PoolConfig};

/// The variable `name` as a whole number of at least 1 that fits `T`, or `default` when it is unset.
fn env_count<T: std::str::FromStr + PartialOrd + From<u8>>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(v) => v
            .parse()
            .ok()
            .filter(|n| *n >= T::from(1))
            .ok_or_else(|| format!("{name}={v:?}: expected a whole number of at least 1")),
    }
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The error and its causes, one line: "error connecting to server: Connection refused (os error 111)".
            eprintln!("users: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // The server's runtime (every core, tuned for many busy connections), built from the same settings.
    let mut server_config = ServerConfig::from_env()?;
    if std::env::var_os("PEREGRINE_MAX_CONCURRENT_REQUESTS").is_none() {
        server_config = server_config.max_concurrent_requests(4096);
    }
    peregrine::server::runtime(&server_config)?.block_on(serve(server_config))
}

async fn serve(server_config: ServerConfig) -> Result<(), Box<dyn std::error::Error>> {
    // Colour only on a terminal: a log written to a file or a pipe carries no escape codes.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let print_routes = args.iter().any(|a| a == "--print-routes");
    let url = match std::env::var("DATABASE_URL") {
        // Printing the routes needs an app, not the data: an empty database in memory builds one.
        _ if print_routes => "sqlite::memory:".to_owned(),
        Ok(url) => url,
        Err(_) => "sqlite://users.db?mode=rwc".to_owned(),
    };
    let config = PoolConfig {
        max_connections: env_count("USERS_POOL_SIZE", 16)?,
        acquire_timeout: Duration::from_millis(env_count("USERS_ACQUIRE_TIMEOUT_MS", 2000)?),
    };
    let db = Db::connect(&url, &config).await?;
    let readiness = Readiness::new();
    let db = Arc::new(db);
    let app = app(db.clone())
        .add_route("/health", Liveness)
        .add_route("/ready", readiness.clone());
    if peregrine::print_routes_flag(&app) {
        return Ok(());
    }

    if let [flag, n] = args.as_slice() {
        if flag == "--seed" {
            let n = n
                .parse()
                .map_err(|_| format!("--seed {n:?}: expected a number of users"))?;
            let added = db.seed(n).await?;
            println!("added {added} users");
            return Ok(());
        }
    }
    if !args.is_empty() {
        return Err("usage: users [--seed N | --print-routes]".into());
    }
    if db.count().await? == 0 {
        db.seed(20).await?;
    }

    let server = peregrine::Server::bind(server_config.readiness(readiness.clone())).await?;
    println!(
        "listening on http://{} ({:?} at {})",
        server.local_addr()?,
        db.backend(),
        redact(&url)
    );
    server.run_until(app, peregrine::server::shutdown_signal()).await?;
    Ok(())
}

/// The URL without its password, whether given as `user:password@` or as a `password=` parameter.
fn redact(url: &str) -> String {
    let mut url = match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    };
    if let Some(at) = url.find("password=") {
        let end = url[at..].find('&').map_or(url.len(), |i| at + i);
        url.replace_range(at + "password=".len()..end, "***");
    }
    url
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_hidden_in_either_place() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact("postgres://u@h/db?password=secret&x=1"),
            "postgres://u@h/db?password=***&x=1"
        );
        assert_eq!(
            redact("postgres://h/db?password=secret"),
            "postgres://h/db?password=***"
        );
        assert_eq!(redact("sqlite://users.db?mode=rwc"), "sqlite://users.db?mode=rwc");
    }
}
