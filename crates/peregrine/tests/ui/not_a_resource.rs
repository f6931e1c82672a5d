struct Forgotten;

impl Forgotten {
    #[allow(dead_code)]
    async fn on_get(&self, _req: &mut peregrine::Request, _resp: &mut peregrine::Response) -> peregrine::Result {
        Ok(())
    }
}

fn main() {
    let _ = peregrine::App::new().add_route("/x", Forgotten);
}
