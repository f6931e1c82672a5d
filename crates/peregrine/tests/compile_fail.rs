//! Pins the compiler messages for the two likeliest mistakes, so they stay sentences a newcomer can act on.

#[test]
fn readable_mistakes() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
