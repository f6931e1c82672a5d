//! Byte strings read a word at a time, for the router's walk: loads of four and eight bytes, equality, and
//! the search for a segment's end.

/// The four bytes of `b` from `at`, little-endian (the first byte lowest).
#[inline]
pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

/// The eight bytes of `b` from `at`, little-endian (the first byte lowest).
#[inline]
pub(super) fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Whether two byte strings are equal, comparing words rather than calling `memcmp`.
// PERF: literal segments are short; a `memcmp` call cost more than the comparison (bench/NOTES.md, "Router").
#[inline]
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        // Two loads that overlap in the middle cover every byte.
        4..=8 => u32_at(a, 0) == u32_at(b, 0) && u32_at(a, n - 4) == u32_at(b, n - 4),
        9..=16 => u64_at(a, 0) == u64_at(b, 0) && u64_at(a, n - 8) == u64_at(b, n - 8),
        _ => a == b,
    }
}

/// The index of the first `/` in `path` at or after `start`.
///
/// Eight bytes at a time: a word with a `/` byte, XORed with eight slashes, has a zero byte, and
/// `(x - 0x01…01) & !x & 0x80…80` sets the high bit of its first zero byte (bits above it may be set by the
/// borrow, never bits below, so the lowest set bit is exact). A tail of fewer than eight bytes is read as the
/// path's last eight, the bytes before `start` made non-zero so they neither match nor borrow; a path
/// shorter than eight bytes is scanned a byte at a time.
// PERF: segments are a few words long; a byte loop spent ~5 instructions a byte (bench/NOTES.md, "Router").
#[inline]
pub(super) fn next_slash(path: &[u8], start: usize) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const SLASHES: u64 = u64::from_ne_bytes([b'/'; 8]);
    let first_zero = |x: u64| {
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
    };
    let mut i = start;
    while i + 8 <= path.len() {
        if let Some(at) = first_zero(u64_at(path, i) ^ SLASHES) {
            return Some(i + at);
        }
        i += 8;
    }
    if i >= path.len() {
        return None;
    }
    if path.len() < 8 {
        return path[i..].iter().position(|&b| b == b'/').map(|p| i + p);
    }
    let last = path.len() - 8;
    // `i - last` (1 to 7) bytes of the last word come before `i`.
    let before = (1_u64 << ((i - last) * 8)) - 1;
    first_zero((u64_at(path, last) ^ SLASHES) | before).map(|at| last + at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_slash_finds_the_first_slash_at_every_offset_and_length() {
        // Every placement of up to two slashes in paths of 0 to 24 bytes, from every start.
        for len in 0..24 {
            for a in 0..=len {
                for b in a..=len {
                    // Bytes next to '/' in value, and high bytes, must not be taken for one.
                    let mut bytes: Vec<u8> = (0..len).map(|i| [b'x', b'.', b'0', 0xC3][i % 4]).collect();
                    if a < len {
                        bytes[a] = b'/';
                    }
                    if b < len {
                        bytes[b] = b'/';
                    }
                    for start in 0..=len {
                        let expected = bytes[start..].iter().position(|&c| c == b'/').map(|p| start + p);
                        assert_eq!(next_slash(&bytes, start), expected, "{bytes:?} from {start}");
                    }
                }
            }
        }
    }

    #[test]
    fn same_bytes_compares_every_byte_of_every_length() {
        for n in 0..40 {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_bytes(&a, &a.clone()));
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same_bytes(&a, &b), "{n} bytes, differing at {at}");
            }
            if n > 0 {
                assert!(!same_bytes(&a, &a[..n - 1]), "{n} bytes against one fewer");
            }
        }
    }
}
