//! The official AWS SigV4 test suite, read from `../shared/reference/sigv4-testsuite`.

use std::path::{Path, PathBuf};

use rolecall_sigv4::{
    CanonicalInput, canonical_request, hex_sha256, parse_authorization, string_to_sign, verify,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn suite_dir() -> Option<PathBuf> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/sigv4-testsuite");
    dir.is_dir().then_some(dir)
}

struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Parses a `.req` file; continuation lines (leading white space) extend the previous header.
fn parse_req(text: &str) -> Option<RawRequest> {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next()?;
    let rest = request_line
        .strip_prefix("GET ")
        .or_else(|| request_line.strip_prefix("POST "))?;
    let method = request_line.split(' ').next()?.to_owned();
    let target = rest.strip_suffix(" HTTP/1.1")?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = headers.last_mut()?;
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else {
            let (name, value) = line.split_once(':')?;
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    Some(RawRequest {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    })
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if path.join(format!("{name}.req")).exists() {
            out.push(path);
        } else {
            out.extend(cases(&path));
        }
    }
    out.sort();
    out
}

#[test]
fn official_vectors_pass() {
    let Some(dir) = suite_dir() else {
        eprintln!(
            "SKIPPED: ../shared/reference/sigv4-testsuite is absent; the official vectors were not run"
        );
        return;
    };
    let mut checked = 0;
    for case in cases(&dir) {
        let name = case.file_name().unwrap().to_str().unwrap().to_owned();
        let read = |ext: &str| std::fs::read_to_string(case.join(format!("{name}.{ext}"))).unwrap();
        let Some(req) = parse_req(&read("req")) else {
            // normalize-path/get-space's request line has a raw space and does not parse as HTTP.
            assert_eq!(name, "get-space", "unparseable request in {name}");
            continue;
        };
        let authz = read("authz");
        let mut headers = req.headers.clone();
        headers.push(("Authorization".into(), authz.trim().to_owned()));
        // Some cases carry the session token only in the expected canonical request.
        let has_token = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-security-token"));
        if let Some(token) = read("creq")
            .lines()
            .find_map(|l| l.strip_prefix("x-amz-security-token:"))
            && !has_token
        {
            headers.push(("X-Amz-Security-Token".into(), token.to_owned()));
        }
        if name == "post-sts-header-after" {
            let creq = read("creq");
            let token = read("sreq")
                .lines()
                .find_map(|l| l.strip_prefix("X-Amz-Security-Token:"))
                .map(str::to_owned);
            assert!(!creq.contains("x-amz-security-token"));
            headers.push(("X-Amz-Security-Token".into(), token.unwrap()));
        }
        let auth = parse_authorization(&headers, &req.query).unwrap().unwrap();
        let input = CanonicalInput {
            method: &req.method,
            path: &req.path,
            query: &req.query,
            headers: &headers,
            body: &req.body,
        };
        let creq = canonical_request(&input, &auth.signed_headers, false, &hex_sha256(&req.body));
        assert_eq!(creq, read("creq"), "canonical request of {name}");
        assert_eq!(
            string_to_sign(&auth.amz_date, &auth.scope(), &creq),
            read("sts"),
            "string to sign of {name}"
        );
        verify(&input, &auth, SECRET).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(verify(&input, &auth, "wrong-secret").is_err());
        checked += 1;
    }
    assert!(checked >= 28, "only {checked} vectors found");
}
