//! A store from a URL: `sqlite://PATH`, `postgres://…`, `kurrentdb://…`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::StoreError;
use crate::store::EventStore;

/// Where the log lives, parsed from a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `sqlite://data/creneau.db` (relative) or `sqlite:///var/lib/creneau.db`.
    Sqlite(PathBuf),
    /// `postgres://user@host:5432/db` or `postgresql://…`.
    Postgres(String),
    /// `kurrentdb://host:2113?tls=false` or `esdb://…`.
    Kurrent(String),
}

impl StoreUrl {
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let bad = |why: &str| {
            StoreError::InvalidInput(format!(
                "store URL {url:?} {why}: use sqlite://PATH, postgres://USER@HOST:PORT/DB or kurrentdb://HOST:PORT"
            ))
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("has no scheme"))?;
        match scheme {
            "sqlite" if rest.is_empty() => Err(bad("has no path")),
            "sqlite" => Ok(StoreUrl::Sqlite(PathBuf::from(rest))),
            "postgres" | "postgresql" => Ok(StoreUrl::Postgres(url.to_owned())),
            "kurrentdb" | "kurrentdb+discover" | "esdb" | "esdb+discover" => {
                Ok(StoreUrl::Kurrent(url.to_owned()))
            }
            _ => Err(bad("has an unknown scheme")),
        }
    }
}

/// Opens the store at `url`. `data_dir` holds what a backend keeps beside
/// the log (KurrentDB has no tables: its checkpoints and data keys go to a
/// SQLite file there).
pub async fn open(url: &StoreUrl, data_dir: &Path) -> Result<Arc<dyn EventStore>, StoreError> {
    match url {
        StoreUrl::Sqlite(path) => {
            let path = path.clone();
            let store = tokio::task::spawn_blocking(move || crate::sqlite::SqliteStore::open(path))
                .await
                .map_err(|e| StoreError::Open(format!("open task failed: {e}")))??;
            Ok(Arc::new(store))
        }
        StoreUrl::Postgres(url) => Ok(Arc::new(crate::postgres::PostgresStore::open(url).await?)),
        #[cfg(feature = "kurrentdb")]
        StoreUrl::Kurrent(url) => {
            let side = crate::sqlite::SqliteStore::open(data_dir.join("kurrentdb-side.db"))?;
            Ok(Arc::new(
                crate::kurrent::KurrentStore::open(url, side).await?,
            ))
        }
        #[cfg(not(feature = "kurrentdb"))]
        StoreUrl::Kurrent(_) => {
            let _ = data_dir;
            Err(StoreError::Open(
                "this créneau was built without KurrentDB support: rebuild with --features kurrentdb".into(),
            ))
        }
    }
}
