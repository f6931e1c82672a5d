//! Reading a run of ASCII decimal digits eight bytes at a time, for the `int` converter.
//!
//! A word of eight digits, loaded little-endian (the first digit in the lowest byte), is checked in two
//! masks and combined in three multiplications: pairs of digits, then pairs of pairs, then the two halves.
//! Fewer than eight digits are padded in front with `0`s, which changes nothing.

use super::words::{u32_at, u64_at};

/// Eight `b'0'` bytes.
const ZEROS: u64 = u64::from_ne_bytes([b'0'; 8]);
/// The high half of every byte.
const HIGH_NIBBLES: u64 = u64::from_ne_bytes([0xF0; 8]);
/// Six in every byte: a byte from `0x30` to `0x3F` stays below `0x40` after adding six only when it is a
/// digit (`0x30` to `0x39`).
const SIXES: u64 = u64::from_ne_bytes([0x06; 8]);

/// The value of `digits` when it is 1 to 16 ASCII digits; `None` when it is empty, longer, or holds any
/// other byte. Sixteen digits stay below 10¹⁶, well inside `i64`.
// PERF: ids are the commonest converted field; eight digits a step beat a checked loop (bench/NOTES.md, "Router").
#[inline]
pub(crate) fn up_to_16(digits: &[u8]) -> Option<i64> {
    let n = digits.len();
    if n <= 8 {
        return up_to_8(digits);
    }
    if n > 16 {
        return None;
    }
    let (high, low) = digits.split_at(n - 8);
    Some(up_to_8(high)? * 100_000_000 + eight(u64_at(low, 0))?)
}

/// [`up_to_16`] for 0 to 8 bytes.
#[inline]
fn up_to_8(digits: &[u8]) -> Option<i64> {
    match digits.len() {
        1..=3 => digits.iter().try_fold(0, |value, &b| {
            let d = b.wrapping_sub(b'0');
            (d <= 9).then_some(value * 10 + i64::from(d))
        }),
        4..=8 => eight(padded(digits)),
        _ => None,
    }
}

/// Four to eight bytes as a word, moved to its top and padded below with `0`s (leading zeros of the number).
#[inline]
fn padded(b: &[u8]) -> u64 {
    let n = b.len();
    debug_assert!((4..=8).contains(&n));
    // Two loads that overlap in the middle hold every byte; the overlap has the same bytes in both.
    let low = u64::from(u32_at(b, 0));
    let high = u64::from(u32_at(b, n - 4));
    let packed = low | (high << ((n - 4) * 8));
    let shift = (8 - n) * 8;
    (packed << shift) | ZEROS.checked_shr((n * 8) as u32).unwrap_or(0)
}

/// The value of eight ASCII digits in `w` (the first in the lowest byte), or `None` if a byte is not one.
#[inline]
fn eight(w: u64) -> Option<i64> {
    if w & HIGH_NIBBLES != ZEROS || w.wrapping_add(SIXES) & HIGH_NIBBLES != ZEROS {
        return None;
    }
    let d = w - ZEROS;
    // Each 16-bit lane's low byte becomes 10 × its first digit + its second.
    let pairs = d.wrapping_mul(10).wrapping_add(d >> 8);
    // Lanes 0 and 2 weighted by 10⁶ and 10², lanes 1 and 3 by 10⁴ and 1; the sum lands in the high half.
    const LANES_0_2: u64 = 0x0000_00FF_0000_00FF;
    let a = (pairs & LANES_0_2).wrapping_mul(100 + (1_000_000 << 32));
    let b = ((pairs >> 16) & LANES_0_2).wrapping_mul(1 + (10_000 << 32));
    Some((a.wrapping_add(b) >> 32) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(digits: &[u8]) -> Option<i64> {
        if digits.is_empty() || digits.len() > 16 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    }

    #[test]
    fn every_length_and_position_of_a_bad_byte() {
        for n in 0..=17 {
            let text: Vec<u8> = (0..n).map(|i| b"9081726354"[i % 10]).collect();
            assert_eq!(
                up_to_16(&text),
                reference(&text),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
            for at in 0..n {
                for bad in [b'/', b':', b'-', b' ', b'?', 0x80, 0xFF, 0x00] {
                    let mut t = text.clone();
                    t[at] = bad;
                    assert_eq!(up_to_16(&t), None, "{t:?}");
                }
            }
        }
        assert_eq!(up_to_16(b"0000000000000000"), Some(0));
        assert_eq!(up_to_16(b"9999999999999999"), Some(9_999_999_999_999_999));
        assert_eq!(up_to_16(b"00000001"), Some(1));
        assert_eq!(up_to_16(b"12345678"), Some(12_345_678));
    }

    proptest! {
        #[test]
        fn matches_the_standard_parser(digits in proptest::collection::vec(any::<u8>(), 0..20)) {
            prop_assert_eq!(up_to_16(&digits), reference(&digits));
        }

        #[test]
        fn reads_every_number_up_to_16_digits(value in 0..10_000_000_000_000_000_i64, zeros in 0..4_usize) {
            let text = format!("{}{value}", "0".repeat(zeros));
            let expected = (text.len() <= 16).then_some(value);
            prop_assert_eq!(up_to_16(text.as_bytes()), expected);
        }
    }
}
