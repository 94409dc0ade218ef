//! No provider: each message is a JSON line in a file (the demo, a test
//! install: nothing leaves the machine).
//!
//! Writing a line and its `fsync` run on tokio's blocking threads, never
//! on the async ones. A look-up (did an attempt with this reference reach
//! the outbox?) reads an index of references, caught up with what was
//! appended to the file since it last looked, by this process or another
//! one writing the same file: it costs the new lines, not the whole file.

use std::collections::HashMap;
use std::io::{BufRead as _, Seek as _, SeekFrom, Write as _};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Lookup, Report, ReportError, SendError, Sms, SmsProvider};

/// Messages written to a file, one JSON line each, instead of sent.
pub struct Outbox {
    path: PathBuf,
    /// A std mutex: held on a blocking thread, for a write or a catch-up
    /// of the index, never across an await.
    index: Arc<Mutex<Index>>,
}

/// The references seen in the file, and how far it was read.
#[derive(Default)]
struct Index {
    read_to: u64,
    by_reference: HashMap<String, String>,
}

impl Index {
    /// Reads what was appended since the last time, whoever wrote it.
    fn catch_up(&mut self, path: &PathBuf) -> std::io::Result<()> {
        let mut file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        file.seek(SeekFrom::Start(self.read_to))?;
        let mut reader = std::io::BufReader::new(file);
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line)?;
            // A line still being written (no newline yet) waits for the
            // next catch-up.
            if n == 0 || !line.ends_with('\n') {
                return Ok(());
            }
            self.read_to += n as u64;
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && let (Some(reference), Some(id)) = (v["reference"].as_str(), v["id"].as_str())
            {
                self.by_reference
                    .insert(reference.to_owned(), id.to_owned());
            }
        }
    }
}

impl Outbox {
    pub fn new(path: PathBuf) -> Self {
        Outbox {
            path,
            index: Arc::new(Mutex::new(Index::default())),
        }
    }

    /// The lines written so far (for tests and the demo).
    pub fn lines(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Runs `work` on the index, on a blocking thread.
    async fn with_index<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Index, &PathBuf) -> std::io::Result<T> + Send + 'static,
    ) -> Result<T, SendError> {
        let index = Arc::clone(&self.index);
        let path = self.path.clone();
        let shown = self.path.display().to_string();
        tokio::task::spawn_blocking(move || {
            let mut index = index
                .lock()
                .map_err(|_| std::io::Error::other("the outbox index was poisoned"))?;
            work(&mut index, &path)
        })
        .await
        .map_err(|e| SendError::transient(format!("the outbox task failed: {e}")))?
        .map_err(|e| SendError::transient(format!("cannot use {shown}: {e}")))
    }
}

#[async_trait]
impl SmsProvider for Outbox {
    fn name(&self) -> &'static str {
        "outbox"
    }

    async fn send(&self, sms: &Sms) -> Result<String, SendError> {
        let id = uuid::Uuid::now_v7().to_string();
        let line = json!({
            "id": id, "to": sms.to, "sender": sms.sender, "reference": sms.reference,
            "text": sms.text, "segments": crate::gsm::cost(&sms.text).segments,
            "at": sms.at.to_rfc3339(),
        });
        let reference = sms.reference.clone();
        let written = id.clone();
        self.with_index(move |index, path| {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            file.write_all(format!("{line}\n").as_bytes())?;
            file.sync_data()?;
            index.by_reference.insert(reference, written);
            Ok(())
        })
        .await?;
        Ok(id)
    }

    async fn lookup(&self, sms: &Sms) -> Result<Lookup, SendError> {
        let reference = sms.reference.clone();
        self.with_index(move |index, path| {
            if !index.by_reference.contains_key(&reference) {
                index.catch_up(path)?;
            }
            Ok(index
                .by_reference
                .get(&reference)
                .cloned()
                .map_or(Lookup::NotFound, Lookup::Found))
        })
        .await
    }

    fn report(
        &self,
        _: &[u8],
        _: Option<&str>,
        _: Option<&str>,
        _: DateTime<Utc>,
    ) -> Result<Vec<Report>, ReportError> {
        Err(ReportError::Malformed(
            "the outbox takes no delivery reports".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sms(reference: &str) -> Sms {
        Sms {
            to: "+33612345678".into(),
            text: "Bonjour".into(),
            sender: "Mairie".into(),
            reference: reference.into(),
            at: DateTime::from_timestamp(1_796_900_000, 0).expect("time"),
        }
    }

    #[tokio::test]
    async fn a_look_up_finds_what_this_or_another_writer_sent() {
        let dir = std::env::temp_dir().join(format!("outbox-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("sms.jsonl");
        let mine = Outbox::new(path.clone());
        let other = Outbox::new(path.clone());
        let id = mine.send(&sms("r.1")).await.expect("sent");
        assert_eq!(
            mine.lookup(&sms("r.1")).await,
            Ok(Lookup::Found(id.clone()))
        );
        assert_eq!(
            other.lookup(&sms("r.1")).await,
            Ok(Lookup::Found(id)),
            "another process writing the same file finds it"
        );
        let later = other.send(&sms("r.2")).await.expect("sent");
        assert_eq!(mine.lookup(&sms("r.2")).await, Ok(Lookup::Found(later)));
        assert_eq!(mine.lookup(&sms("r.3")).await, Ok(Lookup::NotFound));
        // A line cut short by a crash is not read as a message.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(br#"{"id":"x","reference":"r.4""#))
            .expect("half a line");
        assert_eq!(mine.lookup(&sms("r.4")).await, Ok(Lookup::NotFound));
        assert_eq!(mine.lines().len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
