//! Wildcard matching as IAM does it: `*` is any run of characters (including `/`), `?` exactly
//! one, everything else literal. ARNs are matched segment by segment.

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A literal character.
    Lit(char),
    /// `*`.
    Any,
    /// `?`.
    One,
}

/// Compiles a pattern text where `*` and `?` are wildcards.
pub(crate) fn compile(pattern: &str) -> Vec<Tok> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Tok::Any,
            '?' => Tok::One,
            c => Tok::Lit(c),
        })
        .collect()
}

/// Matches compiled tokens against `text` (the whole of it).
pub(crate) fn tokens_match(pattern: &[Tok], text: &str) -> bool {
    if text.is_ascii() {
        match_units(pattern, text.as_bytes(), |b| char::from(*b))
    } else {
        let chars: Vec<char> = text.chars().collect();
        match_units(pattern, &chars, |c| *c)
    }
}

/// The classic wildcard algorithm with one backtrack point, over compiled tokens.
fn match_units<T>(pattern: &[Tok], text: &[T], to_char: impl Fn(&T) -> char) -> bool {
    match_pattern_units(pattern, |t| *t, text, to_char)
}

/// Whole-string wildcard match, case-sensitive.
#[must_use]
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return pattern == text;
    }
    if pattern.is_ascii() && text.is_ascii() {
        // The hot path: no allocation.
        let tok = |b: &u8| match b {
            b'*' => Tok::Any,
            b'?' => Tok::One,
            b => Tok::Lit(char::from(*b)),
        };
        return match_pattern_units(pattern.as_bytes(), tok, text.as_bytes(), |b| char::from(*b));
    }
    tokens_match(&compile(pattern), text)
}

/// Like [`match_units`], for a pattern whose units are turned into tokens on the fly.
fn match_pattern_units<P, T>(
    pattern: &[P],
    tok: impl Fn(&P) -> Tok,
    text: &[T],
    to_char: impl Fn(&T) -> char,
) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p).map(&tok) {
            Some(Tok::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Lit(c)) if c == to_char(&text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|u| tok(u) == Tok::Any)
}

/// Splits an ARN into its six segments; `None` when it has fewer.
pub(crate) fn arn_segments(text: &str) -> Option<[&str; 6]> {
    let mut it = text.splitn(6, ':');
    Some([
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ])
}

/// IAM resource matching: `*` matches everything; otherwise the six ARN segments are matched
/// one by one, case-sensitively, with `*` free to span `/` inside a segment.
#[must_use]
pub fn arn_matches(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match (arn_segments(pattern), arn_segments(arn)) {
        (Some(p), Some(a)) => p.iter().zip(a.iter()).all(|(p, a)| glob_matches(p, a)),
        (None, None) => glob_matches(pattern, arn),
        // A pattern with too few segments never passes validation; fail closed regardless.
        _ => false,
    }
}

/// Segment-wise ARN match over compiled tokens (used after variable substitution).
pub(crate) fn arn_tokens_match(pattern: &[Tok], arn: &str) -> bool {
    if pattern == [Tok::Any] {
        return true;
    }
    let Some(segments) = arn_segments(arn) else {
        return false;
    };
    let mut parts: Vec<&[Tok]> = Vec::with_capacity(6);
    let mut start = 0;
    for (i, tok) in pattern.iter().enumerate() {
        if parts.len() < 5 && *tok == Tok::Lit(':') {
            parts.push(&pattern[start..i]);
            start = i + 1;
        }
    }
    parts.push(&pattern[start..]);
    if parts.len() != 6 {
        return false;
    }
    parts
        .iter()
        .zip(segments.iter())
        .all(|(p, s)| tokens_match(p, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(glob_matches("iam:list*", "iam:listusers"));
        assert!(glob_matches("iam:?etuser", "iam:getuser"));
        assert!(!glob_matches("iam:?etuser", "iam:gettuser"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "axxbyyc"));
        assert!(!glob_matches("a*b*c", "axxbyy"));
        assert!(glob_matches("ሴ?", "ሴሴ"));
    }

    #[test]
    fn arn_segments_match_independently() {
        assert!(arn_matches(
            "arn:aws:iam::111:role/*",
            "arn:aws:iam::111:role/team/x/deploy"
        ));
        assert!(arn_matches(
            "arn:aws:iam::*:user/?lice",
            "arn:aws:iam::111:user/alice"
        ));
        assert!(arn_matches(
            "arn:aws:iam::111:user/*",
            "arn:aws:iam::111:user/"
        ));
        assert!(!arn_matches(
            "arn:aws:iam::111:user/Alice",
            "arn:aws:iam::111:user/alice"
        ));
        // A `*` in one segment never eats the colon into the next.
        assert!(!arn_matches("arn:aws:iam::*", "arn:aws:iam::111:user/x"));
        assert!(arn_matches("arn:aws:iam::*:*", "arn:aws:iam::111:user/x"));
    }
}
