//! Replays the committed fuzzing corpus (`fuzz/corpus/<target>/`) through the same functions the fuzz
//! targets run (`fuzz/targets.rs`), so every input the fuzzer found interesting stays a regression test in
//! `cargo test`. The longer coverage-guided run is `bench/scripts/fuzz.sh`.

#[path = "../fuzz/targets.rs"]
mod targets;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let input = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&input));
        assert!(
            outcome.is_ok(),
            "{target} panicked on {} ({:?})",
            path.display(),
            String::from_utf8_lossy(&input)
        );
        count += 1;
    }
    assert!(count >= 10, "{target}: only {count} corpus inputs in {}", dir.display());
}

#[test]
fn uri_template_corpus() {
    replay("uri_template", targets::uri_template);
}

#[test]
fn router_lookup_corpus() {
    replay("router_lookup", targets::router_lookup);
}

#[test]
fn query_string_corpus() {
    replay("query_string", targets::query_string);
}

#[test]
fn cookies_corpus() {
    replay("cookies", targets::cookies);
}

#[test]
fn header_getters_corpus() {
    replay("header_getters", targets::header_getters);
}

#[test]
fn json_media_corpus() {
    replay("json_media", targets::json_media);
}

#[test]
fn conditional_headers_corpus() {
    replay("conditional_headers", targets::conditional_headers);
}

#[cfg(feature = "multipart")]
#[test]
fn multipart_body_corpus() {
    replay("multipart_body", targets::multipart_body);
}
