//! `POST /upload` with a `multipart/form-data` body: every part is written to `$UPLOAD_DIR/<n>` as it
//! arrives, and the answer lists each part's name and size. Bodies up to 4 GiB, 10 minutes per request.

use std::path::PathBuf;
use std::time::Duration;

use peregrine::server::ServerConfig;
use peregrine::{App, Request, Response, Result};

struct Upload {
    dir: PathBuf,
}

#[peregrine::resource]
impl Upload {
    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        let mut multipart = req.multipart()?;
        let mut saved = Vec::new();
        let mut n = 0;
        while let Some(mut part) = multipart.next_part().await? {
            n += 1;
            let name = part.name().unwrap_or("-").to_owned();
            let size = part.save_to(self.dir.join(n.to_string())).await?;
            saved.push(format!("{name}={size}"));
        }
        resp.set_text(saved.join("\n"));
        Ok(())
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::var("UPLOAD_DIR").unwrap_or_else(|_| "/tmp".into()));
    let app = App::new()
        .add_route("/upload", Upload { dir })
        .route_req_options("/upload", |o| o.max_body_size = 4 << 30)
        .route_timeout("/upload", Duration::from_secs(600));
    peregrine::run(app, ServerConfig::from_env()?)?;
    Ok(())
}
