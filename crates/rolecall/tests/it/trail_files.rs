//! `--audit-dir`: the trail also delivered as CloudTrail trail files, named and shaped as
//! CloudTrail delivers them, on a clean stop.

use std::io::Read;

use rolecall_test_support::{Backend, Server};

use crate::bin;
use crate::client_home::ClientHome;

const ACCOUNT: &str = "123456789012";

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn trail_files_are_delivered_as_cloudtrail_names_them() {
    let trail = tempfile::tempdir().unwrap();
    let dir = trail.path().to_str().unwrap().to_owned();
    let mut server = Server::start_with(bin(), Backend::Sqlite, &["--audit-dir", &dir]);
    let admin = server.bootstrap(ACCOUNT, "admin");
    let home = ClientHome::new(&server, &admin, "[default]\nregion = eu-west-1\n");
    home.ok(&["iam", "create-user", "--user-name", "carol"]);
    home.ok(&["sts", "get-caller-identity"]);
    assert!(server.terminate(), "a clean stop");

    let mut found = Vec::new();
    files(trail.path(), &mut found);
    let mut records = Vec::new();
    for path in &found {
        let rel = path
            .strip_prefix(trail.path())
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let parts: Vec<&str> = rel.split('/').collect();
        assert_eq!(
            &parts[..4],
            ["AWSLogs", ACCOUNT, "CloudTrail", parts[3]],
            "{rel}"
        );
        let region = parts[3];
        let name = parts[7];
        assert!(
            name.starts_with(&format!("{ACCOUNT}_CloudTrail_{region}_"))
                && name.ends_with(".json.gz"),
            "{rel}"
        );
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        for r in v["Records"].as_array().unwrap() {
            assert_eq!(r["awsRegion"], region, "{r}");
            records.push(r.clone());
        }
    }
    let names: Vec<&str> = records
        .iter()
        .filter_map(|r| r["eventName"].as_str())
        .collect();
    assert!(names.contains(&"CreateUser"), "{names:?}");
    assert!(names.contains(&"GetCallerIdentity"), "{names:?}");
    // IAM events in us-east-1, STS events in the region the request was signed for.
    for r in &records {
        let expected = if r["eventSource"] == "iam.amazonaws.com" {
            "us-east-1"
        } else {
            "eu-west-1"
        };
        assert_eq!(r["awsRegion"], expected, "{r}");
        assert_eq!(r["eventVersion"], "1.11");
    }
}

/// Every record in the trail files under `dir`.
fn delivered(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let mut found = Vec::new();
    files(&dir.join("AWSLogs"), &mut found);
    let mut records = Vec::new();
    for path in &found {
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        records.extend(v["Records"].as_array().unwrap().iter().cloned());
    }
    records
}

/// A `kill -9` loses no record already handed to the trail files: the next start delivers
/// what the killed run left pending.
#[test]
fn trail_files_survive_kill_9() {
    let trail = tempfile::tempdir().unwrap();
    let dir = trail.path().to_str().unwrap().to_owned();
    let mut server = Server::start_with(bin(), Backend::Sqlite, &["--audit-dir", &dir]);
    let admin = server.bootstrap(ACCOUNT, "admin");
    let home = ClientHome::new(&server, &admin, "[default]\nregion = eu-west-1\n");
    for name in ["dave", "erin", "frank"] {
        home.ok(&["iam", "create-user", "--user-name", name]);
    }
    server.kill_and_restart();
    assert!(server.terminate(), "a clean stop");
    let records = delivered(trail.path());
    let users: Vec<&str> = records
        .iter()
        .filter(|r| r["eventName"] == "CreateUser")
        .filter_map(|r| r["requestParameters"]["userName"].as_str())
        .collect();
    assert_eq!(users, ["dave", "erin", "frank"], "{records:?}");
}
