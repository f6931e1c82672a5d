//! Spare header maps, one per thread, so a steady stream of requests allocates no header maps.
//!
//! A `HeaderMap` allocates on its first insert (two allocations: its index and its entries). hyper already
//! hands each response's map, emptied, to the next request it parses on the connection; [`give_back`] closes
//! the circle: when the pipeline is done with a request, the request's map is emptied and kept, and the
//! next [`Response::new`](crate::Response::new) on the same thread starts from it. Only maps of ordinary
//! size are kept, so one request with a hundred headers does not leave a large map behind.

use std::cell::Cell;

use http::HeaderMap;

/// The largest map (in entries it can hold without growing) worth keeping.
const MAX_KEPT_CAPACITY: usize = 64;

thread_local! {
    static SPARE: Cell<Option<HeaderMap>> = const { Cell::new(None) };
}

/// An empty map: the thread's spare if it has one, else a new (unallocated) one.
pub(crate) fn take() -> HeaderMap {
    SPARE.with(Cell::take).unwrap_or_default()
}

/// Takes `map`'s allocation, emptied, as the thread's spare (unless it has none or has grown large), and
/// leaves `map` empty.
// PERF: by reference: a map that never allocated (a tower caller's request) is neither moved nor dropped.
#[inline]
pub(crate) fn give_back(map: &mut HeaderMap) {
    // `len` counts every value: a map holding one name many times has grown without its capacity showing it.
    if map.capacity() == 0 || map.capacity() > MAX_KEPT_CAPACITY || map.len() > MAX_KEPT_CAPACITY {
        return;
    }
    keep(map);
}

/// [`give_back`] once the map is worth keeping.
fn keep(map: &mut HeaderMap) {
    let mut map = std::mem::take(map);
    map.clear();
    SPARE.with(|spare| spare.set(Some(map)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{CONTENT_TYPE, HOST};
    use http::HeaderValue;

    #[test]
    fn a_given_back_map_comes_back_empty_with_its_room() {
        let _ = take();
        let mut map = HeaderMap::new();
        map.insert(HOST, HeaderValue::from_static("example.com"));
        let capacity = map.capacity();
        give_back(&mut map);
        assert_eq!(map.capacity(), 0, "the allocation moved to the spare");
        let again = take();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), capacity);
        assert_eq!(take().capacity(), 0, "the spare is handed out once");
    }

    #[test]
    fn large_and_unallocated_maps_are_not_kept() {
        let _ = take();
        let mut big = HeaderMap::with_capacity(MAX_KEPT_CAPACITY * 2);
        big.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        give_back(&mut big);
        assert_eq!(take().capacity(), 0);
        give_back(&mut HeaderMap::new());
        assert_eq!(take().capacity(), 0);
        let mut repeated = HeaderMap::new();
        for _ in 0..=MAX_KEPT_CAPACITY {
            repeated.append(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        }
        assert!(
            repeated.capacity() <= MAX_KEPT_CAPACITY,
            "one name: the capacity stays small"
        );
        give_back(&mut repeated);
        assert_eq!(take().capacity(), 0, "a map of many values is not kept");
    }
}
