//! Trail files, as CloudTrail delivers them to a bucket: `{"Records": [...]}` gzip-compressed
//! under `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/` and named
//! `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz`, one file per account and
//! region per delivery, delivered every few minutes and on stop, so that tools reading trail
//! files read rolecall's unchanged. Files are written whole (a temporary name, then rename).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rolecall_store::EventRow;
use time::OffsetDateTime;

/// How long records gather before a delivery.
pub(crate) const DELIVERY_EVERY: Duration = Duration::from_secs(300);

/// Records waiting for delivery, by account and region.
#[derive(Debug)]
pub(crate) struct TrailFiles {
    dir: PathBuf,
    pending: BTreeMap<(String, String), Vec<String>>,
    since: Instant,
}

impl TrailFiles {
    /// Delivers into `dir`.
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            pending: BTreeMap::new(),
            since: Instant::now(),
        }
    }

    /// Queues the records of `rows` for the next delivery.
    pub(crate) fn add(&mut self, rows: &[EventRow]) {
        for row in rows {
            let region = serde_json::from_str::<serde_json::Value>(&row.record)
                .ok()
                .and_then(|v| v["awsRegion"].as_str().map(str::to_owned))
                .unwrap_or_else(|| "us-east-1".to_owned());
            self.pending
                .entry((row.account_id.clone(), region))
                .or_default()
                .push(row.record.clone());
        }
    }

    /// Whether a delivery is due.
    pub(crate) fn due(&self) -> bool {
        !self.pending.is_empty() && self.since.elapsed() >= DELIVERY_EVERY
    }

    /// Writes one file per account and region with what is queued.
    pub(crate) fn deliver(&mut self, now: OffsetDateTime) {
        for ((account, region), records) in std::mem::take(&mut self.pending) {
            if let Err(e) = write_file(&self.dir, &account, &region, &records, now) {
                tracing::error!(error = %e, account, region, "cannot write a trail file");
            }
        }
        self.since = Instant::now();
    }
}

/// The file's path under `dir`, for a delivery at `now`.
pub(crate) fn file_path(
    dir: &Path,
    account: &str,
    region: &str,
    now: OffsetDateTime,
    unique: &str,
) -> PathBuf {
    let d = now.date();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}Z",
        d.year(),
        u8::from(d.month()),
        d.day(),
        now.hour(),
        now.minute()
    );
    dir.join("AWSLogs")
        .join(account)
        .join("CloudTrail")
        .join(region)
        .join(format!("{:04}", d.year()))
        .join(format!("{:02}", u8::from(d.month())))
        .join(format!("{:02}", d.day()))
        .join(format!(
            "{account}_CloudTrail_{region}_{stamp}_{unique}.json.gz"
        ))
}

fn write_file(
    dir: &Path,
    account: &str,
    region: &str,
    records: &[String],
    now: OffsetDateTime,
) -> std::io::Result<()> {
    let mut unique = [0u8; 12];
    rolecall_arn::random_bytes(&mut unique);
    let unique: String = data_encoding::BASE32_NOPAD
        .encode(&unique)
        .chars()
        .take(16)
        .collect();
    let path = file_path(
        dir,
        account,
        region,
        now.to_offset(time::UtcOffset::UTC),
        &unique,
    );
    let parent = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent)?;
    let mut body = String::from("{\"Records\":[");
    body.push_str(&records.join(","));
    body.push_str("]}");
    let mut tmp = tempfile::NamedTempFile::new_in(parent)?;
    {
        let mut gz =
            flate2::write::GzEncoder::new(tmp.as_file_mut(), flate2::Compression::default());
        gz.write_all(body.as_bytes())?;
        gz.finish()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn named_as_cloudtrail_names_them() {
        let now = time::macros::datetime!(2026-12-01 09:05:33 UTC);
        let p = super::file_path(
            std::path::Path::new("/t"),
            "111122223333",
            "us-east-1",
            now,
            "ABCDEFGHIJKLMNOP",
        );
        assert_eq!(
            p.to_str().unwrap(),
            "/t/AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/01/111122223333_CloudTrail_us-east-1_20261201T0905Z_ABCDEFGHIJKLMNOP.json.gz"
        );
    }
}
