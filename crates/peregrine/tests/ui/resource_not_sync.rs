use std::cell::Cell;

use peregrine::{Request, Response, Result};

struct Counter {
    hits: Cell<u64>,
}

#[peregrine::resource]
impl Counter {
    async fn on_get(&self, _req: &mut Request, resp: &mut Response) -> Result {
        self.hits.set(self.hits.get() + 1);
        resp.set_text(self.hits.get().to_string());
        Ok(())
    }
}

fn main() {}
