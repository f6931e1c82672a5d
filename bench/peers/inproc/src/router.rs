//! `inproc router peregrine|matchit 100|1000 all|two-field N`: N lookups in a table of 100 or 1,000
//! templates, with Peregrine's router or matchit, of routes drawn at random (`all`) or of the table's
//! two-field route `/users/{id:int}/members/{login}` (`two-field`), or of the table's route `K` alone
//! (`route:K`, counting from 0 in `route_tables.rs`'s order: in the 100 table, 0–3 are `/`, `/health`,
//! `/search/code` and `/rate_limit`, then eight per noun from 4: the collection, `/{id}`, `/{id}/members`,
//! `/{id}/members/{login}`, `/{id}/events`, `/{id}/settings/{key}`, `/{id}/files/{name}.{ext}` and
//! `/{id}/compare/{base}...{head}`), every path with a random id. The tables
//! and paths are the criterion benchmark's (`crates/peregrine/benches/support/route_tables.rs`).
//! `bench/scripts/router-callgrind.sh` divides callgrind's counts by the lookups.

use std::hint::black_box;

use crate::route_tables;

pub fn run(args: &[String]) -> usize {
    let usage = "usage: inproc router peregrine|matchit 100|1000 all|two-field|route:K N";
    let [router, size, which, n] = args else {
        panic!("{usage}");
    };
    let size: usize = size.parse().expect(usage);
    let n: usize = n.parse().expect(usage);
    let table = route_tables::table(size);
    let only = match which.as_str() {
        "all" => None,
        "two-field" => Some(route_tables::two_field_route(&table)),
        w => Some(
            w.strip_prefix("route:")
                .and_then(|k| k.parse().ok())
                .filter(|&k: &usize| k < table.len())
                .expect(usage),
        ),
    };
    let lookups = route_tables::lookups(&table, route_tables::DISTINCT_PATHS, only);
    let mut found = 0;
    match router.as_str() {
        "peregrine" => {
            let mut r = peregrine::routing::Router::new();
            for (i, route) in table.iter().enumerate() {
                r.add(&route.peregrine, i).unwrap();
            }
            for (path, i) in lookups.iter().cycle().take(n) {
                let m = r.find(black_box(path)).unwrap();
                assert_eq!(*m.value, *i);
                found += black_box(m.get("id")).map_or(0, str::len);
            }
        }
        "matchit" => {
            let mut r = matchit::Router::new();
            for (i, route) in table.iter().enumerate() {
                r.insert(route.matchit.as_str(), i).unwrap();
            }
            for (path, i) in lookups.iter().cycle().take(n) {
                let m = r.at(black_box(path)).unwrap();
                assert_eq!(*m.value, *i);
                found += black_box(m.params.get("id")).map_or(0, str::len);
            }
        }
        _ => panic!("{usage}"),
    }
    found
}
