//! The route tables the router is measured on, shared by the criterion benchmark (`benches/router.rs`) and
//! the instruction counts (`bench/peers/inproc`, `inproc router ...`): a REST-shaped API of 100 templates,
//! and one of 1,000 (the same API under ten prefixes, with its own four plain routes each). Each template
//! comes with its nearest matchit equivalent (matchit has no converters and one field per segment: `{id}`
//! for `{id:int}`, `{file}` for `{name}.{ext}`), and lookup paths get randomised ids, so that no run
//! repeats one path and a cache keyed by path would not help.

// Each user takes what it needs: the criterion benchmark never asks for the two-field route alone.
#![allow(dead_code)]

/// How many distinct lookup paths a run cycles through: more than a cache of recent paths would keep, few
/// enough to build at once.
pub(crate) const DISTINCT_PATHS: usize = 4096;

/// One template in Peregrine's syntax and in matchit's, and a path that matches it with `{ID}` where a
/// random id goes.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) peregrine: String,
    pub(crate) matchit: String,
    pub(crate) sample: String,
}

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

const PREFIXES: [&str; 10] = [
    "/api",
    "/admin",
    "/internal",
    "/partners",
    "/v2",
    "/beta",
    "/legacy",
    "/mobile",
    "/billing",
    "/search",
];

/// The 100-template API under `prefix` ("" for the root): 4 plain routes, then 8 per noun.
fn api(prefix: &str) -> Vec<Route> {
    let plain = |path: &str| Route {
        peregrine: format!("{prefix}{path}"),
        matchit: format!("{prefix}{path}"),
        sample: format!("{prefix}{path}"),
    };
    let mut t: Vec<Route> = ["/", "/health", "/search/code", "/rate_limit"]
        .iter()
        .map(|p| {
            plain(if prefix.is_empty() {
                p
            } else if *p == "/" {
                "/index"
            } else {
                p
            })
        })
        .collect();
    for n in NOUNS {
        let row = |ours: &str, theirs: &str, sample: &str| Route {
            peregrine: format!("{prefix}/{n}{ours}"),
            matchit: format!("{prefix}/{n}{theirs}"),
            sample: format!("{prefix}/{n}{sample}"),
        };
        t.extend([
            row("", "", ""),
            row("/{id:int}", "/{id}", "/{ID}"),
            row("/{id:int}/members", "/{id}/members", "/{ID}/members"),
            row(
                "/{id:int}/members/{login}",
                "/{id}/members/{login}",
                "/{ID}/members/octocat",
            ),
            row("/{id:int}/events", "/{id}/events", "/{ID}/events"),
            row(
                "/{id:int}/settings/{key}",
                "/{id}/settings/{key}",
                "/{ID}/settings/theme",
            ),
            row(
                "/{id:int}/files/{name}.{ext}",
                "/{id}/files/{file}",
                "/{ID}/files/report.pdf",
            ),
            row(
                "/{id:int}/compare/{base}...{head}",
                "/{id}/compare/{range}",
                "/{ID}/compare/main...dev",
            ),
        ]);
    }
    t
}

/// The table of `size` templates: 100 (the API at the root) or 1,000 (the API under ten prefixes).
///
/// # Panics
/// For any other size.
pub(crate) fn table(size: usize) -> Vec<Route> {
    let t: Vec<Route> = match size {
        100 => api(""),
        1000 => PREFIXES.iter().flat_map(|p| api(p)).collect(),
        _ => panic!("route tables come in 100 and 1000 templates, not {size}"),
    };
    assert_eq!(t.len(), size);
    t
}

/// The template of the table's first two-field route (`/users/{id:int}/members/{login}`, under the last
/// prefix in the 1,000 table, so that the lookup passes every other prefix's literal).
pub(crate) fn two_field_route(table: &[Route]) -> usize {
    table
        .iter()
        .rposition(|r| r.peregrine.ends_with("/users/{id:int}/members/{login}"))
        .expect("every table has a two-field route")
}

/// `count` lookups: (path, index of the route it matches), ids drawn from a fixed-seed generator. With
/// `only`, every lookup is for that route (with a new id each time); without, routes are drawn at random.
pub(crate) fn lookups(table: &[Route], count: usize, only: Option<usize>) -> Vec<(String, usize)> {
    // xorshift64*: a fixed sequence, no dependency.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    (0..count)
        .map(|_| {
            let i = only.unwrap_or_else(|| (next() % table.len() as u64) as usize);
            let id = 1 + next() % 99_999_999;
            (table[i].sample.replace("{ID}", &id.to_string()), i)
        })
        .collect()
}
