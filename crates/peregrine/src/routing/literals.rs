//! A node's literal children, found by the path's bytes where the segment starts.

use super::words::{same_bytes, word_bytes_equal_to};

/// Literal children. Texts are unique within a node and hold no `/`, so at most one matches where a segment
/// starts: the one the path continues with, followed by a `/` or the path's end. A match needs neither the
/// segment's end nor its length beforehand.
pub(super) struct Literals<N> {
    /// The first byte of each text (`/` for the empty text, which a segment that is empty starts with), eight
    /// to a word; unused bytes are 0 and never reach a comparison.
    firsts: Vec<u64>,
    nodes: Vec<(Box<str>, N)>,
}

impl<N> Default for Literals<N> {
    fn default() -> Self {
        Literals {
            firsts: Vec::new(),
            nodes: Vec::new(),
        }
    }
}

/// The byte a segment starting at `at` is looked up by: its first, or `/` when it is empty.
#[inline]
fn first_byte(path: &[u8], at: usize) -> u8 {
    path.get(at).copied().unwrap_or(b'/')
}

impl<N> Literals<N> {
    /// The child whose text `path` holds from `start` up to the next `/` or the end, and where that text ends.
    // PERF: no segment end to find and no call on every literal segment of the walk (bench/NOTES.md, "Router").
    #[inline(always)]
    pub(super) fn match_at(&self, path: &[u8], start: usize) -> Option<(&N, usize)> {
        let rest = path.get(start..)?;
        let first = first_byte(path, start);
        for (w, &word) in self.firsts.iter().enumerate() {
            let mut candidates = word_bytes_equal_to(word, first);
            while candidates != 0 {
                let i = w * 8 + (candidates.trailing_zeros() / 8) as usize;
                candidates &= candidates - 1;
                // A candidate past the last child is padding: there are no more.
                let (text, node) = self.nodes.get(i)?;
                let text = text.as_bytes();
                if let Some(head) = rest.get(..text.len()) {
                    if same_bytes(head, text) && rest.get(text.len()).is_none_or(|&b| b == b'/') {
                        return Some((node, start + text.len()));
                    }
                }
            }
        }
        None
    }

    /// The index of the child for `text`, added if it is new.
    pub(super) fn index_or_add(&mut self, text: &str) -> usize
    where
        N: Default,
    {
        match self.nodes.iter().position(|(t, _)| &**t == text) {
            Some(i) => i,
            None => {
                let i = self.nodes.len();
                if i.is_multiple_of(8) {
                    self.firsts.push(0);
                }
                let first = u64::from(first_byte(text.as_bytes(), 0));
                self.firsts[i / 8] |= first << (8 * (i % 8));
                self.nodes.push((text.into(), N::default()));
                i
            }
        }
    }

    /// The child at `index`, as [`Literals::index_or_add`] gave it.
    pub(super) fn child_mut(&mut self, index: usize) -> &mut N {
        &mut self.nodes[index].1
    }

    pub(super) fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The child for exactly `text`, if there is one.
    #[cfg(test)]
    pub(super) fn child(&self, text: &str) -> Option<&N> {
        self.nodes.iter().find(|(t, _)| &**t == text).map(|(_, n)| n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn literals(texts: &[&str]) -> Literals<usize> {
        let mut l = Literals::default();
        for (i, t) in texts.iter().enumerate() {
            let at = l.index_or_add(t);
            *l.child_mut(at) = i;
        }
        l
    }

    #[test]
    fn a_segment_matches_only_a_whole_text() {
        let l = literals(&["users", "user", "", "u", "usersx", "orgs"]);
        let at = |p: &str, s| l.match_at(p.as_bytes(), s).map(|(n, e)| (*n, e));
        assert_eq!(at("/users", 1), Some((0, 6)));
        assert_eq!(at("/users/7", 1), Some((0, 6)));
        assert_eq!(at("/user/7", 1), Some((1, 5)));
        assert_eq!(at("/u", 1), Some((3, 2)));
        assert_eq!(at("/", 1), Some((2, 1)));
        assert_eq!(at("//x", 1), Some((2, 1)));
        assert_eq!(at("/usersxy", 1), None);
        assert_eq!(at("/us", 1), None);
        assert_eq!(at("/orgs", 1), Some((5, 5)));
        assert_eq!(at("/orgs", 9), None);
    }

    proptest! {
        /// Against the plain rule, with texts sharing first bytes across more than one word of them.
        #[test]
        fn match_at_agrees_with_splitting_at_the_slash(
            texts in proptest::collection::vec("[abc]{0,4}", 0..24),
            path in "[abc/]{0,12}",
            start in 0_usize..13,
        ) {
            let mut unique: Vec<&str> = Vec::new();
            for t in &texts {
                if !unique.contains(&t.as_str()) {
                    unique.push(t);
                }
            }
            let l = literals(&unique);
            let expected = path.get(start..).map(|rest| rest.split('/').next().unwrap_or(""))
                .and_then(|segment| unique.iter().position(|t| *t == segment).map(|i| (i, start + segment.len())));
            prop_assert_eq!(l.match_at(path.as_bytes(), start).map(|(n, e)| (*n, e)), expected);
        }
    }
}
