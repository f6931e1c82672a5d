use peregrine::{Request, Response};

struct Things;

#[peregrine::resource]
impl Things {
    // Takes the request by value and forgets the Result.
    async fn on_get(&self, req: Request, resp: &mut Response) {
        let _ = (req, resp);
    }
}

fn main() {}
