use peregrine::{App, Request, Response, Result};

struct Things;

#[peregrine::resource]
impl Things {
    async fn on_fetch(&self, _req: &mut Request, _resp: &mut Response) -> Result {
        Ok(())
    }
}

fn main() {
    let _app = App::new().add_route("/things", Things);
}
