//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, and the escapes
//! `${*}`, `${?}`, `${$}`. Substituted text is always literal, so a value can never smuggle a
//! wildcard into a pattern.

use crate::context::Context;
use crate::glob::Tok;

/// Compiles a pattern text with variables resolved from `ctx`. `wildcards` says whether bare
/// `*` and `?` are wildcards (Like operators, resources) or literal (Equals operators).
/// Returns `None` when a variable names a key the request does not have and no default is
/// given: the pattern then matches nothing.
pub(crate) fn substitute(text: &str, ctx: &Context, wildcards: bool) -> Option<Vec<Tok>> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        push_plain(&mut out, &rest[..start], wildcards);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            // An unterminated `${` is literal text.
            push_plain(&mut out, &rest[start..], false);
            return Some(out);
        };
        let inner = &after[..end];
        match inner {
            "*" => out.push(Tok::Lit('*')),
            "?" => out.push(Tok::Lit('?')),
            "$" => out.push(Tok::Lit('$')),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((k, d)) => (k.trim(), parse_default(d.trim())),
                    None => (inner.trim(), None),
                };
                let value = match ctx.single(key) {
                    Some(v) => v.to_owned(),
                    None => default?,
                };
                out.extend(value.chars().map(Tok::Lit));
            }
        }
        rest = &after[end + 1..];
    }
    push_plain(&mut out, rest, wildcards);
    Some(out)
}

fn parse_default(text: &str) -> Option<String> {
    text.strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .map(str::to_owned)
}

fn push_plain(out: &mut Vec<Tok>, text: &str, wildcards: bool) {
    for c in text.chars() {
        out.push(match c {
            '*' if wildcards => Tok::Any,
            '?' if wildcards => Tok::One,
            c => Tok::Lit(c),
        });
    }
}

/// Turns literal tokens back into text (for equality comparisons).
pub(crate) fn to_text(tokens: &[Tok]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Tok::Lit(c) => *c,
            Tok::Any => '*',
            Tok::One => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        let mut c = Context::default();
        c.set("aws:username", "alice");
        c
    }

    #[test]
    fn substitutes_with_defaults_and_escapes() {
        let c = ctx();
        assert_eq!(
            to_text(&substitute("user/${aws:username}", &c, true).unwrap()),
            "user/alice"
        );
        assert_eq!(
            to_text(&substitute("user/${AWS:UserName}", &c, true).unwrap()),
            "user/alice"
        );
        assert!(substitute("role/${aws:PrincipalTag/team}-*", &c, true).is_none());
        assert_eq!(
            to_text(&substitute("role/${aws:PrincipalTag/team, 'shared'}-x", &c, true).unwrap()),
            "role/shared-x"
        );
        let toks = substitute("a${*}b*", &c, true).unwrap();
        assert_eq!(
            toks,
            vec![Tok::Lit('a'), Tok::Lit('*'), Tok::Lit('b'), Tok::Any]
        );
    }
}
