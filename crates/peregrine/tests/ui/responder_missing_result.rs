use peregrine::{Request, Response};

struct Things;

#[peregrine::resource]
impl Things {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) {
        resp.set_text("forgot the Result");
    }
}

fn main() {}
