//! axum with its defaults (`axum::serve`): `/plaintext`, `/json` (TechEmpower's definitions) and
//! `/wait/{ms}` (sleeps, then answers). `AXUM_ADDR` sets the address (default 127.0.0.1:8003). With
//! `DATABASE_URL` (PostgreSQL) it also serves the users API of `examples/users` (`users.rs`).

mod users;

use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("AXUM_ADDR").unwrap_or_else(|_| "127.0.0.1:8003".to_owned());
    let mut app = Router::new()
        .route("/plaintext", get(|| async { "Hello, World!" }))
        .route(
            "/json",
            get(|| async {
                Json(Message {
                    message: "Hello, World!",
                })
            }),
        )
        .route(
            "/wait/{ms}",
            get(|Path(ms): Path<u64>| async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                "done"
            }),
        );
    if let Ok(url) = std::env::var("DATABASE_URL") {
        app = app.merge(users::routes(&url));
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}");
    axum::serve(listener, app).await
}
