//! botocore's check of an endpoint URL before it makes a client (`utils.is_valid_endpoint_url`
//! and `is_valid_ipv6_endpoint_url`): a scheme, and a host that is a DNS name of labels of 1 to
//! 63 letters, digits and hyphens, or a bracketed IPv6 address. The regional endpoint made
//! from an empty region (`AWS_REGION=""`), `https://sts..amazonaws.com`, fails it.

/// Whether botocore would make a client for `url`.
pub(crate) fn is_valid(url: &str) -> bool {
    if url.contains(['\t', '\r', '\n']) {
        return false;
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(bracketed) = host_port.strip_prefix('[') {
        let Some((address, _)) = bracketed.split_once(']') else {
            return false;
        };
        let address = address.split_once('%').map_or(address, |(a, _)| a);
        return address.parse::<std::net::Ipv6Addr>().is_ok();
    }
    let host = host_port.split(':').next().unwrap_or_default();
    if host.is_empty() || host.len() > 255 {
        return false;
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    host.split('.').all(|label| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn hosts_are_checked_as_botocore_checks_them() {
        for good in [
            "https://sts.us-east-1.amazonaws.com",
            "https://iam.amazonaws.com/",
            "http://127.0.0.1:4566",
            "http://localhost:8080/path?x=1",
            "http://[::1]:4566/",
            "https://sts.amazonaws.com.",
        ] {
            assert!(is_valid(good), "{good}");
        }
        for bad in [
            "https://sts..amazonaws.com",
            "https://.amazonaws.com",
            "sts.amazonaws.com",
            "http://",
            "http://-host-",
            "http://under_score",
            "http://[::zz]/",
            "http://host\n",
            "",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
