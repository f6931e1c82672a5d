//! Content negotiation over the `Accept` header (RFC 9110 §12.5.1).

/// The quality the client gives `media_type` (`type/subtype`, no parameters): the `q` of the most specific
/// range that matches it, or `None` when no range does. An absent or empty header accepts everything.
pub(crate) fn quality(accept: &str, media_type: &str) -> Option<f32> {
    // What most clients send, and what an absent header means.
    if accept == "*/*" {
        return Some(1.0);
    }
    let (want_type, want_sub) = split_type(media_type)?;
    let mut best: Option<(u8, f32)> = None;
    let mut any_range = false;
    for range in accept.split(',') {
        let mut pieces = range.split(';');
        let Some((r_type, r_sub)) = pieces.next().and_then(split_type) else {
            continue;
        };
        any_range = true;
        let specificity = if r_type == "*" && r_sub == "*" {
            1
        } else if r_type.eq_ignore_ascii_case(want_type) && r_sub == "*" {
            2
        } else if r_type.eq_ignore_ascii_case(want_type) && r_sub.eq_ignore_ascii_case(want_sub) {
            3
        } else {
            continue;
        };
        let q = weight(pieces);
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, q));
        }
    }
    if !any_range {
        return Some(1.0);
    }
    best.map(|(_, q)| q)
}

/// The weight (`q`, RFC 9110 §12.4.2) among an element's parameters: 1 when absent or unreadable, clamped to
/// 0..=1. Shared by `Accept` and `Accept-Encoding`.
pub(crate) fn weight<'a>(params: impl Iterator<Item = &'a str>) -> f32 {
    params
        .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
        .find_map(|v| v.trim().parse::<f32>().ok())
        .unwrap_or(1.0)
        .clamp(0.0, 1.0)
}

fn split_type(text: &str) -> Option<(&str, &str)> {
    let (t, s) = text.trim().split_once('/')?;
    let (t, s) = (t.trim(), s.trim());
    (!t.is_empty() && !s.is_empty()).then_some((t, s))
}

/// Whether the client accepts `media_type` at all (quality above zero).
pub(crate) fn accepts(accept: &str, media_type: &str) -> bool {
    quality(accept, media_type).is_some_and(|q| q > 0.0)
}

/// The offer the client likes best; ties go to the earlier offer (the server's preference order).
pub(crate) fn prefers<'a>(accept: &str, offers: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(&'a str, f32)> = None;
    for offer in offers {
        if let Some(q) = quality(accept, offer) {
            if q > 0.0 && best.is_none_or(|(_, bq)| q > bq) {
                best = Some((offer, q));
            }
        }
    }
    best.map(|(o, _)| o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_specific_range_decides() {
        let h = "text/*;q=0.3, text/html;q=0.7, text/html;level=1, */*;q=0.5";
        assert_eq!(quality(h, "text/html"), Some(0.7));
        assert_eq!(quality(h, "text/plain"), Some(0.3));
        assert_eq!(quality(h, "image/png"), Some(0.5));
    }

    #[test]
    fn zero_means_not_acceptable() {
        assert!(!accepts("application/json;q=0, */*", "application/json"));
        assert!(accepts("application/json;q=0, */*", "text/plain"));
        assert!(!accepts("application/xml", "application/json"));
        assert!(accepts("", "application/json"));
    }

    #[test]
    fn prefers_breaks_ties_by_offer_order() {
        let offers = ["application/json", "application/problem+json", "application/xml"];
        assert_eq!(prefers("*/*", &offers), Some("application/json"));
        assert_eq!(
            prefers("application/problem+json, application/json;q=0.9", &offers),
            Some("application/problem+json")
        );
        assert_eq!(prefers("application/xml", &offers), Some("application/xml"));
        assert_eq!(prefers("image/png", &offers), None);
    }
}
