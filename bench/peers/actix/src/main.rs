//! actix-web with its defaults: `/plaintext`, `/json` (TechEmpower's definitions) and `/wait/{ms}` (sleeps,
//! then answers). `ACTIX_ADDR` sets the address (default 127.0.0.1:8004).

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
    HttpServer::new(|| {
        App::new()
            .route("/plaintext", web::get().to(plaintext))
            .route("/json", web::get().to(json))
            .route("/wait/{ms}", web::get().to(wait))
    })
    .bind(&addr)?
    .run()
    .await
}
