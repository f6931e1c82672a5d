//! actix-web with its defaults: `/plaintext`, `/json` (TechEmpower's definitions) and `/wait/{ms}` (sleeps,
//! then answers). `ACTIX_ADDR` sets the address (default 127.0.0.1:8004). With `DATABASE_URL` (PostgreSQL) it
//! also serves the users API of `examples/users` (`users.rs`).

mod users;

use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde::Serialize;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

async fn plaintext() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("Hello, World!")
}

async fn json() -> HttpResponse {
    HttpResponse::Ok().json(Message {
        message: "Hello, World!",
    })
}

async fn wait(ms: web::Path<u64>) -> HttpResponse {
    tokio::time::sleep(Duration::from_millis(*ms)).await;
    HttpResponse::Ok().body("done")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("ACTIX_ADDR").unwrap_or_else(|_| "127.0.0.1:8004".to_owned());
    println!("listening on http://{addr}");
    let pool = std::env::var("DATABASE_URL").ok().map(|url| users::pool(&url));
    HttpServer::new(move || {
        let app = App::new()
            .route("/plaintext", web::get().to(plaintext))
            .route("/json", web::get().to(json))
            .route("/wait/{ms}", web::get().to(wait));
        match pool.clone() {
            Some(pool) => app.configure(|cfg| users::routes(cfg, pool)),
            None => app,
        }
    })
    .bind(&addr)?
    .run()
    .await
}
