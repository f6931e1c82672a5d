//! Peregrine: `/plaintext`, `/json` (TechEmpower's definitions) and `/wait/{ms:int}` (sleeps, then answers).
//! Server settings from `PEREGRINE_*` (address default 127.0.0.1:8000; `PEREGRINE_PER_CORE=1` for one
//! runtime per core).

use std::time::Duration;

use peregrine::server::ServerConfig;
use peregrine::{App, Request, Response, Result};
use serde::Serialize;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

struct Plaintext;

#[peregrine::resource]
impl Plaintext {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("Hello, World!");
        Ok(())
    }
}

struct Json;

#[peregrine::resource]
impl Json {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_media(&Message {
            message: "Hello, World!",
        })
    }
}

struct Wait;

#[peregrine::resource]
impl Wait {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        let ms: i64 = req.field("ms")?;
        tokio::time::sleep(Duration::from_millis(ms.unsigned_abs())).await;
        resp.set_text("done");
        Ok(())
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let app = App::new()
        .add_route("/plaintext", Plaintext)
        .add_route("/json", Json)
        .add_route("/wait/{ms:int}", Wait);
    println!("serving /plaintext, /json, /wait/{{ms}}");
    peregrine::run(app, ServerConfig::from_env()?)?;
    Ok(())
}
