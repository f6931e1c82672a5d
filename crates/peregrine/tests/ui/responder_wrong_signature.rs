use peregrine::{App, Request, Response};

struct Things;

#[peregrine::resource]
impl Things {
    // Takes the request by value and forgets the Result.
    async fn on_get(&self, req: Request, resp: &mut Response) {
        let _ = (req, resp);
    }
}

fn main() {
    // Routing the type adds no second error: the macro's sentence is the only one.
    let _app = App::new().add_route("/things", Things);
}
