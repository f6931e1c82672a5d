//! Routes a REST-shaped table of 100 and of 1,000 templates with Peregrine's compiled router and, in the same
//! run, the same tables in `matchit` (the radix-tree router under axum). Each iteration looks up 4,096 paths
//! with randomised ids (`support/route_tables.rs`); criterion reports the time per lookup.
//!
//! `cargo bench -p peregrine --bench router`
//!
//! matchit has no converters and no multi-field segments, so its table uses the nearest equivalent: `{id}`
//! for `{id:int}`, and `{file}` where a template has `{name}.{ext}`. Peregrine still runs its converters.
//! Instruction counts of the same lookups: `bench/scripts/router-callgrind.sh`.

#![allow(missing_docs)]

#[path = "support/route_tables.rs"]
mod route_tables;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use peregrine::routing::Router;

fn bench(c: &mut Criterion) {
    for size in [100, 1000] {
        let table = route_tables::table(size);
        let mut peregrine_router = Router::new();
        let mut matchit_router = matchit::Router::new();
        for (i, route) in table.iter().enumerate() {
            peregrine_router.add(&route.peregrine, i).unwrap();
            matchit_router.insert(route.matchit.as_str(), i).unwrap();
        }
        let lookups = route_tables::lookups(&table, route_tables::DISTINCT_PATHS, None);
        for (path, i) in &lookups {
            assert_eq!(*peregrine_router.find(path).unwrap().value, *i, "{path}");
            assert_eq!(*matchit_router.at(path).unwrap().value, *i, "{path}");
        }

        let mut group = c.benchmark_group(format!("route {size} templates"));
        group.throughput(Throughput::Elements(lookups.len() as u64));
        group.bench_function("peregrine", |b| {
            b.iter(|| {
                for (path, _) in &lookups {
                    let m = peregrine_router.find(black_box(path)).unwrap();
                    black_box(m.value);
                    black_box(m.get("id"));
                }
            })
        });
        group.bench_function("matchit", |b| {
            b.iter(|| {
                for (path, _) in &lookups {
                    let m = matchit_router.at(black_box(path)).unwrap();
                    black_box(m.value);
                    black_box(m.params.get("id"));
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
