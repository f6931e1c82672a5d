//! Pins the compiler messages for the two likeliest mistakes, so they stay sentences a newcomer can act on.

// The expected messages list the types that implement `Resource`, which depend on the features built, so
// they are pinned for the all-features build that README's test command runs.
#[cfg(all(feature = "metrics", feature = "http2", feature = "re", feature = "tls"))]
#[test]
fn readable_mistakes() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
