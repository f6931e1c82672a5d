//! Routes a 100-template API with Peregrine's compiled router and, in the same run, the same table in
//! `matchit` (the radix-tree router under axum). Each iteration looks up one path per template.
//!
//! `cargo bench -p peregrine --bench router`
//!
//! matchit has no converters and no multi-field segments, so its table uses the nearest equivalent: `{id}`
//! for `{id:int}`, and `{file}` where a template has `{name}.{ext}`. Peregrine still runs its converters.

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use peregrine::routing::Router;

const NOUNS: [&str; 12] = [
    "users",
    "orgs",
    "repos",
    "teams",
    "gists",
    "issues",
    "projects",
    "events",
    "notifications",
    "markets",
    "apps",
    "keys",
];

/// (Peregrine template, matchit template, a path that matches it).
fn table() -> Vec<(String, String, String)> {
    let mut t: Vec<(String, String, String)> = ["/", "/health", "/search/code", "/rate_limit"]
        .iter()
        .map(|s| (s.to_string(), s.to_string(), s.to_string()))
        .collect();
    for (i, n) in NOUNS.iter().enumerate() {
        let id = 1000 + i;
        let rows = [
            (format!("/{n}"), format!("/{n}"), format!("/{n}")),
            (format!("/{n}/{{id:int}}"), format!("/{n}/{{id}}"), format!("/{n}/{id}")),
            (
                format!("/{n}/{{id:int}}/members"),
                format!("/{n}/{{id}}/members"),
                format!("/{n}/{id}/members"),
            ),
            (
                format!("/{n}/{{id:int}}/members/{{login}}"),
                format!("/{n}/{{id}}/members/{{login}}"),
                format!("/{n}/{id}/members/octocat"),
            ),
            (
                format!("/{n}/{{id:int}}/events"),
                format!("/{n}/{{id}}/events"),
                format!("/{n}/{id}/events"),
            ),
            (
                format!("/{n}/{{id:int}}/settings/{{key}}"),
                format!("/{n}/{{id}}/settings/{{key}}"),
                format!("/{n}/{id}/settings/theme"),
            ),
            (
                format!("/{n}/{{id:int}}/files/{{name}}.{{ext}}"),
                format!("/{n}/{{id}}/files/{{file}}"),
                format!("/{n}/{id}/files/report.pdf"),
            ),
            (
                format!("/{n}/{{id:int}}/compare/{{base}}...{{head}}"),
                format!("/{n}/{{id}}/compare/{{range}}"),
                format!("/{n}/{id}/compare/main...dev"),
            ),
        ];
        t.extend(rows);
    }
    assert_eq!(t.len(), 100);
    t
}

fn bench(c: &mut Criterion) {
    let table = table();
    let mut peregrine_router = Router::new();
    let mut matchit_router = matchit::Router::new();
    for (i, (ours, theirs, _)) in table.iter().enumerate() {
        peregrine_router.add(ours, i).unwrap();
        matchit_router.insert(theirs.as_str(), i).unwrap();
    }
    let paths: Vec<&str> = table.iter().map(|(_, _, p)| p.as_str()).collect();
    for (i, p) in paths.iter().enumerate() {
        assert_eq!(*peregrine_router.find(p).unwrap().value, i, "{p}");
        assert_eq!(*matchit_router.at(p).unwrap().value, i, "{p}");
    }

    let mut group = c.benchmark_group("route 100 paths");
    group.bench_function("peregrine", |b| {
        b.iter(|| {
            for p in &paths {
                let m = peregrine_router.find(black_box(p)).unwrap();
                black_box(m.value);
                black_box(m.get("id"));
            }
        })
    });
    group.bench_function("matchit", |b| {
        b.iter(|| {
            for p in &paths {
                let m = matchit_router.at(black_box(p)).unwrap();
                black_box(m.value);
                black_box(m.params.get("id"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
