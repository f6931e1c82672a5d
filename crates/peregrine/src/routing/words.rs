//! Byte strings read a word at a time, for the router's walk and the request's path: loads of four and
//! eight bytes, equality, and the search for a byte (a segment's end, a percent-escape).

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

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// The high bit of every byte of `word` that equals `byte`, and maybe of bytes above the first such one.
///
/// `word ^ byte…byte` has a zero byte where `word` has `byte`, and `(x - 0x01…01) & !x & 0x80…80` sets the
/// high bit of each zero byte; the borrow may set it on bytes above the first zero too, never below it. So
/// the lowest set bit is exact and no equal byte is missed; a caller that takes the others checks them.
#[inline]
pub(super) fn word_bytes_equal_to(word: u64, byte: u8) -> u64 {
    zero_bytes(word ^ ONES.wrapping_mul(u64::from(byte)))
}

/// The high bit of every zero byte of `x`, and maybe of bytes above the first one (see
/// [`word_bytes_equal_to`]).
#[inline]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The index of the first `byte` in `bytes` at or after `start`.
///
/// Eight bytes at a time, with [`word_bytes_equal_to`]. A tail of fewer than eight bytes is read as the last
/// eight, the bytes before `start` made to differ from `byte` so they neither match nor borrow; fewer than
/// eight bytes in all are scanned one at a time.
// PERF: segments and paths are a few words long, cheaper read by words than by bytes (bench/NOTES.md, "Router").
#[inline]
pub(crate) fn next_byte(bytes: &[u8], start: usize, byte: u8) -> Option<usize> {
    let pattern = ONES.wrapping_mul(u64::from(byte));
    let first = |x: u64| {
        let found = zero_bytes(x);
        (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
    };
    let mut i = start;
    while i + 8 <= bytes.len() {
        if let Some(at) = first(u64_at(bytes, i) ^ pattern) {
            return Some(i + at);
        }
        i += 8;
    }
    if i >= bytes.len() {
        return None;
    }
    if bytes.len() < 8 {
        return bytes[i..].iter().position(|&b| b == byte).map(|p| i + p);
    }
    let last = bytes.len() - 8;
    // `i - last` (1 to 7) bytes of the last word come before `i`: all ones, they neither match nor borrow.
    let before = (1_u64 << ((i - last) * 8)) - 1;
    first((u64_at(bytes, last) ^ pattern) | before).map(|at| last + at)
}

/// The index of the first `/` in `path` at or after `start`.
#[inline]
pub(super) fn next_slash(path: &[u8], start: usize) -> Option<usize> {
    next_byte(path, start, b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_byte_finds_the_first_match_at_every_offset_and_length() {
        // Every placement of up to two wanted bytes in strings of 0 to 24 bytes, from every start.
        for (wanted, others) in [(b'/', [b'x', b'.', b'0', 0xC3]), (b'%', [b'$', b'&', b'a', 0xA5])] {
            for len in 0..24 {
                for a in 0..=len {
                    for b in a..=len {
                        // Bytes next to the wanted one in value, and high bytes, must not be taken for it.
                        let mut bytes: Vec<u8> = (0..len).map(|i| others[i % 4]).collect();
                        if a < len {
                            bytes[a] = wanted;
                        }
                        if b < len {
                            bytes[b] = wanted;
                        }
                        for start in 0..=len {
                            let expected = bytes[start..].iter().position(|&c| c == wanted).map(|p| start + p);
                            assert_eq!(next_byte(&bytes, start, wanted), expected, "{bytes:?} from {start}");
                        }
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
