//! App versions as clients send them (`5.2`, `5.10.1`): compared numerically part by part, so `5.10` is
//! later than `5.2`, and missing parts count as 0 (`5.2` equals `5.2.0`).

use std::fmt;
use std::str::FromStr;

/// Most parts a version may have (each 0 to 9,999).
const MAX_PARTS: usize = 4;

/// An app version of 1 to 4 parts, each 0 to 9,999. Equates and orders as the version it
/// names: `5.2 == 5.2.0 < 5.10`.
#[derive(Debug, Clone, Copy)]
pub struct AppVersion {
    /// The parts padded with zeros to [`MAX_PARTS`]: compared as arrays, they order as the versions.
    parts: [u16; MAX_PARTS],
    /// How many parts were written, so that the version prints as it was given (`5.2`, not `5.2.0.0`).
    written: u8,
}

/// Why a version could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidVersion;

impl fmt::Display for InvalidVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "An app version is 1 to {MAX_PARTS} numbers of up to 4 digits separated by dots, such as 5.2 or 5.10.1."
        )
    }
}

impl std::error::Error for InvalidVersion {}

impl FromStr for AppVersion {
    type Err = InvalidVersion;

    fn from_str(text: &str) -> Result<Self, InvalidVersion> {
        let mut parts = [0u16; MAX_PARTS];
        let mut written = 0;
        for piece in text.split('.') {
            // Digits only: no sign, no spaces, no empty part ("5..2", "5."), at most 4 digits.
            if written == MAX_PARTS || piece.is_empty() || piece.len() > 4 || !piece.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(InvalidVersion);
            }
            parts[written] = piece.parse().map_err(|_| InvalidVersion)?;
            written += 1;
        }
        Ok(AppVersion {
            parts,
            written: written as u8,
        })
    }
}

impl AppVersion {
    /// The version as one integer that orders the same way (each part is a base-10,000 digit), for
    /// comparing in SQL: `5.2` is 5,000,200,000,000.
    pub fn key(&self) -> i64 {
        self.parts
            .iter()
            .fold(0i64, |key, part| key * 10_000 + i64::from(*part))
    }
}

impl PartialEq for AppVersion {
    fn eq(&self, other: &Self) -> bool {
        self.parts == other.parts
    }
}

impl Eq for AppVersion {}

impl PartialOrd for AppVersion {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AppVersion {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.parts.cmp(&other.parts)
    }
}

impl fmt::Display for AppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts[..usize::from(self.written)].iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(text: &str) -> AppVersion {
        text.parse().unwrap()
    }

    #[test]
    fn parts_compare_as_numbers() {
        assert!(v("5.10") > v("5.2"));
        assert!(v("5.2") < v("5.10"));
        assert_eq!(v("5.2"), v("5.2.0"));
        assert!(v("6") > v("5.9999.9999.9999"));
        assert!(v("10.0").key() > v("9.9999").key());
        assert_eq!(v("5.2").key(), 5_0000_0000_0000 + 2_0000_0000);
    }

    #[test]
    fn malformed_versions_are_refused() {
        for bad in [
            "",
            ".",
            "5.",
            ".5",
            "5..2",
            "5.x",
            "-1",
            "+5",
            " 5",
            "5 ",
            "1.2.3.4.5",
            "10000",
            "5.2a",
            "٥",
        ] {
            assert_eq!(bad.parse::<AppVersion>(), Err(InvalidVersion), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn prints_as_written(parts in proptest::collection::vec(0u16..=9999, 1..=MAX_PARTS)) {
            let text = parts.iter().map(u16::to_string).collect::<Vec<_>>().join(".");
            prop_assert_eq!(v(&text).to_string(), text);
        }

        #[test]
        fn key_orders_as_the_parts(
            a in proptest::collection::vec(0u16..=9999, 1..=MAX_PARTS),
            b in proptest::collection::vec(0u16..=9999, 1..=MAX_PARTS),
        ) {
            let pad = |p: &Vec<u16>| { let mut q = p.clone(); q.resize(MAX_PARTS, 0); q };
            let join = |p: &Vec<u16>| p.iter().map(u16::to_string).collect::<Vec<_>>().join(".");
            let (va, vb) = (v(&join(&a)), v(&join(&b)));
            prop_assert_eq!(va.key().cmp(&vb.key()), pad(&a).cmp(&pad(&b)));
            prop_assert_eq!(va.cmp(&vb), pad(&a).cmp(&pad(&b)));
        }

        #[test]
        fn any_text_parses_or_is_refused(text in "\\PC{0,24}") {
            // Never panics; what parses prints back to an equal version.
            if let Ok(version) = text.parse::<AppVersion>() {
                prop_assert_eq!(v(&version.to_string()), version);
            }
        }
    }
}
