//! Trail files, as CloudTrail delivers them to a bucket: `{"Records": [...]}` gzip-compressed
//! under `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/` and named
//! `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz`, one file per account and
//! region per delivery, delivered every few minutes and on stop, so that tools reading trail
//! files read rolecall's unchanged.
//!
//! Records are compressed as they come, on a thread of their own, into a file per account
//! and region under `<dir>/.pending/`, flushed after each commit's records; a call that waits
//! for its event (an IAM change, issued credentials) is answered only after that flush, so a
//! `kill -9` loses none of those. A delivery finishes the file, syncs it and renames it into
//! place.
//! Memory stays at the compressor's state whatever the rate, and the trail's writer never
//! waits for a file. Files a crash left pending are salvaged at the next start: every whole
//! record in them is delivered.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use rolecall_store::EventRow;
use time::OffsetDateTime;

/// How long records gather before a delivery.
pub(crate) const DELIVERY_EVERY: Duration = Duration::from_secs(300);
/// A file is delivered early once this much record text went into it.
const DELIVERY_BYTES: usize = 64 * 1024 * 1024;
/// Where files being filled live, under the trail directory.
const PENDING: &str = ".pending";
/// What every record begins with: where a salvaged file is cut.
const RECORD_START: &str = ",{\"eventVersion\":";

/// A commit's records for one call, on their way to a file.
pub(crate) struct Handed {
    /// The call's rows, in the trail (committed, or recorded without waiting).
    pub(crate) rows: Vec<EventRow>,
    /// For a call waiting for its event, handed over only once the event is committed:
    /// told so once the rows are in their file.
    pub(crate) committed: Option<super::Committed>,
}

/// The trail files' thread; dropping the handle without [`TrailFiles::finish`] leaves what
/// is pending for the next start to salvage.
#[derive(Debug)]
pub(crate) struct TrailFiles {
    records: mpsc::Sender<Vec<Handed>>,
    thread: std::thread::JoinHandle<()>,
}

impl TrailFiles {
    /// Starts delivering into `dir`, first salvaging what an earlier run left pending.
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub(crate) fn start(dir: PathBuf) -> std::io::Result<Self> {
        let (records, queue) = mpsc::channel::<Vec<Handed>>();
        let thread = std::thread::Builder::new()
            .name("trail-files".to_owned())
            .spawn(move || Deliveries::new(dir).run(&queue))?;
        Ok(Self { records, thread })
    }

    /// Hands a commit's records to the thread, which tells the waiting calls once their
    /// records are flushed to their files. Should the thread be gone, they are told at once.
    pub(crate) fn add(&self, commit: Vec<Handed>) {
        if commit.is_empty() {
            return;
        }
        // Should the thread be gone, the records come back and are let go of here, which
        // tells their calls (see `Handed`'s `Drop`).
        drop(self.records.send(commit));
    }

    /// Delivers everything handed over, then ends the thread (blocking: call off the
    /// runtime's workers).
    pub(crate) fn finish(self) {
        drop(self.records);
        if self.thread.join().is_err() {
            tracing::error!("the trail files' thread panicked");
        }
    }
}

/// Telling the waiting call happens when its records are let go of: after they are flushed
/// to their file, or at once should the thread be gone or fail (its event is committed
/// either way, and the files are only an export of the trail). Its rows go back with the
/// answer, to be freed on the call's own thread.
impl Drop for Handed {
    fn drop(&mut self) {
        if let Some(done) = self.committed.take() {
            drop(done.send((std::mem::take(&mut self.rows), true)));
        }
    }
}

/// The record's `awsRegion`. The record is written by this module's caller with its keys
/// in CloudTrail's order: the first `"awsRegion":"` is the top-level one (a quote inside a
/// string value is escaped, so the pattern cannot occur there).
fn region_of(record: &str) -> &str {
    const KEY: &str = "\"awsRegion\":\"";
    record
        .find(KEY)
        .map(|at| &record[at + KEY.len()..])
        .and_then(|rest| rest.split_once('"'))
        .map_or("us-east-1", |(region, _)| region)
}

/// A file being filled.
struct Filling {
    gz: GzEncoder<File>,
    path: PathBuf,
    opened: Instant,
    bytes: usize,
}

/// The thread's state: one file being filled per account and region.
struct Deliveries {
    dir: PathBuf,
    filling: BTreeMap<(String, String), Filling>,
}

impl Deliveries {
    fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            filling: BTreeMap::new(),
        }
    }

    fn run(mut self, queue: &mpsc::Receiver<Vec<Handed>>) {
        self.salvage();
        loop {
            let next_due = self
                .filling
                .values()
                .map(|f| (f.opened + DELIVERY_EVERY).saturating_duration_since(Instant::now()))
                .min();
            let commit = match next_due {
                Some(wait) => match queue.recv_timeout(wait) {
                    Ok(commit) => Some(commit),
                    Err(mpsc::RecvTimeoutError::Timeout) => None,
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                },
                None => match queue.recv() {
                    Ok(commit) => Some(commit),
                    Err(_) => break,
                },
            };
            if let Some(commit) = commit {
                self.append(&commit);
                // Flushed: letting the records go tells their calls.
                drop(commit);
            }
            self.deliver(|f| f.opened.elapsed() >= DELIVERY_EVERY || f.bytes >= DELIVERY_BYTES);
        }
        // A clean stop delivers everything.
        self.deliver(|_| true);
    }

    /// Compresses a commit's records into the files of their accounts and regions, each
    /// flushed at the end, so that what was handed over is in the file even if the process
    /// is killed.
    fn append(&mut self, commit: &[Handed]) {
        let mut touched: Vec<(String, String)> = Vec::new();
        for row in commit.iter().flat_map(|h| &h.rows) {
            let key = (row.account_id.clone(), region_of(&row.record).to_owned());
            if !self.filling.contains_key(&key) {
                match self.open(&key.0, &key.1) {
                    Ok(f) => {
                        self.filling.insert(key.clone(), f);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, account = key.0, region = key.1, "cannot open a trail file; its records are not exported");
                        continue;
                    }
                }
            }
            let Some(f) = self.filling.get_mut(&key) else {
                continue;
            };
            let separator: &[u8] = if f.bytes == 0 { b"" } else { b"," };
            let written =
                f.gz.write_all(separator)
                    .and_then(|()| f.gz.write_all(row.record.as_bytes()));
            match written {
                Ok(()) => f.bytes += separator.len() + row.record.len(),
                Err(e) => {
                    tracing::error!(error = %e, path = %f.path.display(), "cannot write a trail file")
                }
            }
            if !touched.contains(&key) {
                touched.push(key);
            }
        }
        for key in touched {
            if let Some(f) = self.filling.get_mut(&key)
                && let Err(e) = f.gz.flush()
            {
                tracing::error!(error = %e, path = %f.path.display(), "cannot write a trail file");
            }
        }
    }

    /// A new pending file for `account` and `region`, its records' array opened.
    fn open(&self, account: &str, region: &str) -> std::io::Result<Filling> {
        let pending = self.dir.join(PENDING);
        std::fs::create_dir_all(&pending)?;
        let path = pending.join(format!("{account}_{region}_{}.json.gz", unique()));
        let mut gz = GzEncoder::new(File::create_new(&path)?, Compression::default());
        gz.write_all(b"{\"Records\":[")?;
        Ok(Filling {
            gz,
            path,
            opened: Instant::now(),
            bytes: 0,
        })
    }

    /// Delivers the files `due` picks.
    fn deliver(&mut self, due: impl Fn(&Filling) -> bool) {
        let keys: Vec<(String, String)> = self
            .filling
            .iter()
            .filter(|(_, f)| due(f))
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys {
            let Some(f) = self.filling.remove(&key) else {
                continue;
            };
            let path = f.path.clone();
            if let Err(e) = self.close_and_place(f, &key.0, &key.1) {
                tracing::error!(error = %e, path = %path.display(), "cannot deliver a trail file; it stays pending");
            }
        }
    }

    /// Closes the records' array, finishes and syncs the file, and renames it to its
    /// delivered name.
    fn close_and_place(&self, mut f: Filling, account: &str, region: &str) -> std::io::Result<()> {
        f.gz.write_all(b"]}")?;
        let file = f.gz.finish()?;
        file.sync_all()?;
        drop(file);
        self.place(&f.path, account, region)
    }

    /// Renames a finished pending file to its delivered name, durably.
    fn place(&self, pending: &Path, account: &str, region: &str) -> std::io::Result<()> {
        let now = OffsetDateTime::now_utc();
        let path = file_path(&self.dir, account, region, now, &unique());
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent)?;
        std::fs::rename(pending, &path)?;
        File::open(parent)?.sync_all()
    }

    /// Delivers the whole records of every file an earlier run left pending.
    fn salvage(&mut self) {
        let Ok(entries) = std::fs::read_dir(self.dir.join(PENDING)) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            // `<account>_<region>_<unique>.json.gz`: account ids and regions hold no `_`.
            let mut parts = name.splitn(3, '_');
            let (Some(account), Some(region), Some(_)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            match salvage_file(&path) {
                Ok(Some(text)) => {
                    let written = (|| {
                        let tmp = path.with_extension("salvaged");
                        let mut gz = GzEncoder::new(File::create(&tmp)?, Compression::default());
                        gz.write_all(text.as_bytes())?;
                        gz.finish()?.sync_all()?;
                        std::fs::rename(&tmp, &path)?;
                        self.place(&path, account, region)
                    })();
                    match written {
                        Ok(()) => {
                            tracing::info!(path = %path.display(), "delivered a trail file an earlier run left pending")
                        }
                        Err(e) => {
                            tracing::error!(error = %e, path = %path.display(), "cannot deliver a pending trail file")
                        }
                    }
                }
                Ok(None) => {
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) => {
                    tracing::error!(error = %e, path = %path.display(), "cannot read a pending trail file");
                }
            }
        }
    }
}

/// The whole records of a pending file cut short by a crash, as a complete trail file's
/// text (`None` when it holds none).
fn salvage_file(path: &Path) -> std::io::Result<Option<String>> {
    let mut raw = Vec::new();
    // A stream cut short reads up to where it was flushed, then fails: keep what was read.
    let _ = flate2::read::GzDecoder::new(File::open(path)?).read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    let Some(body) = text.strip_prefix("{\"Records\":[") else {
        return Ok(None);
    };
    let mut end = body.len();
    loop {
        let candidate = format!("{{\"Records\":[{}]}}", &body[..end]);
        let parsed = serde_json::from_str::<serde_json::Value>(&candidate);
        if parsed.is_ok_and(|v| v["Records"].as_array().is_some_and(|a| !a.is_empty())) {
            return Ok(Some(candidate));
        }
        match body[..end].rfind(RECORD_START) {
            Some(at) => end = at,
            None => return Ok(None),
        }
    }
}

/// Sixteen characters that make a file name unique.
fn unique() -> String {
    let mut bytes = [0u8; 12];
    rolecall_arn::random_bytes(&mut bytes);
    data_encoding::BASE32_NOPAD
        .encode(&bytes)
        .chars()
        .take(16)
        .collect()
}

/// The file's path under `dir`, for a delivery at `now`.
pub(crate) fn file_path(
    dir: &Path,
    account: &str,
    region: &str,
    now: OffsetDateTime,
    unique: &str,
) -> PathBuf {
    let now = now.to_offset(time::UtcOffset::UTC);
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_region_is_the_records_own() {
        let record = r#"{"eventVersion":"1.11","userIdentity":{"type":"IAMUser"},"eventTime":"2026-12-01T00:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"eu-west-1","userAgent":"x \"awsRegion\":\"us-west-2\""}"#;
        assert_eq!(region_of(record), "eu-west-1");
        assert_eq!(region_of("{}"), "us-east-1");
    }

    fn record(n: u32) -> String {
        format!(r#"{{"eventVersion":"1.11","eventID":"{n}","awsRegion":"us-east-1"}}"#)
    }

    fn row(n: u32) -> EventRow {
        EventRow {
            event_id: n.to_string(),
            account_id: "111122223333".to_owned(),
            event_time: 0,
            event_name: "GetCallerIdentity".to_owned(),
            event_source: "sts.amazonaws.com".to_owned(),
            read_only: true,
            username: None,
            access_key_id: None,
            resources: Vec::new(),
            record: record(n),
        }
    }

    fn records_in(text: &str) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["eventID"].as_str().unwrap().to_owned())
            .collect()
    }

    /// A gzip stream of `text`, flushed but never finished, as a killed process leaves it.
    fn cut_short(path: &Path, text: &str) {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        gz.flush().unwrap();
        std::fs::write(path, gz.get_ref()).unwrap();
    }

    /// A file cut anywhere (as a crash cuts it, after a flush or in the middle of a record)
    /// yields exactly its whole records.
    #[test]
    fn a_file_cut_short_yields_its_whole_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json.gz");
        let whole = format!("{{\"Records\":[{},{},{}", record(0), record(1), record(2));
        cut_short(&path, &format!("{whole},{}", &record(3)[..20]));
        assert_eq!(
            records_in(&salvage_file(&path).unwrap().unwrap()),
            ["0", "1", "2"]
        );
        cut_short(&path, &whole);
        assert_eq!(
            records_in(&salvage_file(&path).unwrap().unwrap()),
            ["0", "1", "2"]
        );
        // Nothing whole: nothing to deliver.
        cut_short(&path, "{\"Records\":[{\"eventVer");
        assert_eq!(salvage_file(&path).unwrap(), None);
        cut_short(&path, "");
        assert_eq!(salvage_file(&path).unwrap(), None);
    }

    /// Records handed over are delivered on stop, one file per account and region; what a
    /// run left pending is delivered by the next.
    #[test]
    fn records_are_delivered_on_stop_and_salvaged_after_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let deliveries = |dir: &Path| {
            let mut out = Vec::new();
            for entry in walk(&dir.join("AWSLogs")) {
                let mut text = String::new();
                flate2::read::GzDecoder::new(File::open(&entry).unwrap())
                    .read_to_string(&mut text)
                    .unwrap();
                out.extend(records_in(&text));
            }
            out.sort();
            out
        };
        let files = TrailFiles::start(dir.path().to_owned()).unwrap();
        let rows: Vec<EventRow> = (0..3).map(row).collect();
        files.add(vec![Handed {
            rows,
            committed: None,
        }]);
        files.finish();
        assert_eq!(deliveries(dir.path()), ["0", "1", "2"]);

        // A crash's leftovers: a pending file flushed but never finished.
        let pending = dir.path().join(PENDING);
        cut_short(
            &pending.join("111122223333_us-east-1_LEFTOVER.json.gz"),
            &format!("{{\"Records\":[{}", record(7)),
        );
        TrailFiles::start(dir.path().to_owned()).unwrap().finish();
        assert_eq!(deliveries(dir.path()), ["0", "1", "2", "7"]);
        assert_eq!(std::fs::read_dir(&pending).unwrap().count(), 0);
    }

    /// A waiting call is told only once its record is in its pending file, where a crash
    /// right after leaves it for the next start to salvage.
    #[test]
    fn a_waiting_call_is_told_once_its_record_is_flushed() {
        let dir = tempfile::tempdir().unwrap();
        let files = TrailFiles::start(dir.path().to_owned()).unwrap();
        let (done, told) = tokio::sync::oneshot::channel();
        files.add(vec![Handed {
            rows: vec![row(5)],
            committed: Some(done),
        }]);
        let (rows, written) = told.blocking_recv().expect("told");
        assert!(written);
        assert_eq!(rows.len(), 1);
        let pending: Vec<PathBuf> = walk(&dir.path().join(PENDING));
        assert_eq!(pending.len(), 1);
        let text = salvage_file(&pending[0]).unwrap().expect("a whole record");
        assert_eq!(records_in(&text), ["5"]);
        files.finish();
    }

    /// A waiting call is never left without an answer: records let go of unflushed (the
    /// thread gone or failing) still tell it, since its event is committed.
    #[test]
    fn records_let_go_of_still_tell_their_call() {
        let (done, told) = tokio::sync::oneshot::channel();
        drop(Handed {
            rows: vec![row(1), row(2)],
            committed: Some(done),
        });
        let (rows, written) = told.blocking_recv().expect("told");
        assert!(written);
        assert_eq!(rows.len(), 2);
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }
}
