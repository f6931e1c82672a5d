//! Resources shared by the integration tests.
#![allow(dead_code)]

pub(crate) mod h2frames;
pub(crate) mod http1;
pub(crate) mod http2;
pub(crate) mod server;
pub(crate) mod stream;

use peregrine::{Request, Response, Result};

/// Answers every method it has with `<METHOD> <template> <fields>` as text.
pub(crate) struct Echo;

#[peregrine::resource]
impl Echo {
    async fn on_get(&self, req: &mut Request, resp: &mut Response) -> Result {
        echo(req, resp)
    }

    async fn on_post(&self, req: &mut Request, resp: &mut Response) -> Result {
        echo(req, resp)
    }
}

fn echo(req: &mut Request, resp: &mut Response) -> Result {
    let fields: Vec<String> = req.fields().map(|(k, v)| format!("{k}={v}")).collect();
    resp.set_text(format!(
        "{} {} {}",
        req.method(),
        req.uri_template().unwrap_or("-"),
        fields.join("&")
    ));
    Ok(())
}

/// Serves only GET, with a fixed body.
pub(crate) struct Hello;

#[peregrine::resource]
impl Hello {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        resp.set_text("hello");
        Ok(())
    }
}
