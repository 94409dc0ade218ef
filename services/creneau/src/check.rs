//! `creneau config check`: validates a configuration, or a whole command
//! line, without opening the store or starting anything; and the rules
//! `serve` applies before it starts, shared with it.

use std::fs::File;
use std::io::Write;

use clap::Parser as _;
use eventlog::StoreUrl;

use crate::cli::{Cli, Command};
use crate::config::{Config, MasterKeySource};
use crate::services::Services;

/// Why a configuration cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(
        "with SQLite one process serves the file, so it must run every service (it runs {0}): leave out --services, or use PostgreSQL to run services apart"
    )]
    SplitOnSqlite(Services),
    #[error(
        "another creneau serve is using {0} (SQLite: one server per file; commands such as creneau admin still work): stop it, or use PostgreSQL to run several processes"
    )]
    FileInUse(String),
    #[error("cannot open {path}: {reason}")]
    LockFile { path: String, reason: String },
    #[error("{0}")]
    CommandLine(String),
}

/// What `serve` refuses: services split over a store only one process
/// can serve.
pub fn serve_allowed(config: &Config, services: &Services) -> Result<(), CheckError> {
    if matches!(config.store, StoreUrl::Sqlite(_)) && *services != Services::all() {
        return Err(CheckError::SplitOnSqlite(services.clone()));
    }
    Ok(())
}

/// On SQLite, a lock on `FILE.serve-lock` held for as long as the server
/// runs: a second `serve` on the same file stops at once with a clear
/// message. One-shot commands do not take it. Other stores need none.
pub fn one_server_per_file(config: &Config) -> Result<Option<File>, CheckError> {
    let StoreUrl::Sqlite(path) = &config.store else {
        return Ok(None);
    };
    let mut lock_path = path.clone().into_os_string();
    lock_path.push(".serve-lock");
    let lock_path = std::path::PathBuf::from(lock_path);
    if let Some(parent) = lock_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| CheckError::LockFile {
            path: parent.display().to_string(),
            reason: e.to_string(),
        })?;
    }
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| CheckError::LockFile {
            path: lock_path.display().to_string(),
            reason: e.to_string(),
        })?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(CheckError::FileInUse(path.display().to_string()))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(CheckError::LockFile {
            path: lock_path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

/// `config check [-- LINE]`: validates `config` (the settings this command
/// was given), or the command line `line`, and prints what it would run.
pub fn check(config: Config, line: Vec<String>, out: &mut impl Write) -> anyhow::Result<()> {
    if line.is_empty() {
        describe(&config, None, out)?;
        return Ok(());
    }
    let cli = Cli::try_parse_from(std::iter::once("creneau".to_owned()).chain(line.clone()))
        .map_err(|e| {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("").trim();
            let first = first.strip_prefix("error: ").unwrap_or(first);
            CheckError::CommandLine(format!("creneau {}: {first}", line.join(" ")))
        })?;
    let config = cli.config.validate()?;
    match &cli.command {
        Command::Serve { services, .. } => {
            serve_allowed(&config, services)?;
            describe(&config, Some(services), out)?;
        }
        _ => describe(&config, None, out)?,
    }
    Ok(())
}

fn describe(
    config: &Config,
    services: Option<&Services>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let store = match &config.store {
        StoreUrl::Sqlite(p) => format!("SQLite file {} (one server)", p.display()),
        StoreUrl::Postgres(url) => format!(
            "PostgreSQL {} (several processes)",
            eventlog::postgres::redact(url)
        ),
        StoreUrl::Kurrent(url) => format!("KurrentDB {url}"),
    };
    writeln!(out, "ok")?;
    writeln!(out, "store: {store}")?;
    writeln!(out, "listen: {}", config.listen)?;
    writeln!(out, "public URL: {}", config.public_url)?;
    match &config.master_key {
        MasterKeySource::Given(_) => {
            writeln!(out, "master key: given (flag, environment or file setting)")?
        }
        MasterKeySource::File(p) => writeln!(out, "master key: file {}", p.display())?,
    }
    if let Some(services) = services {
        writeln!(out, "services: {services}")?;
        for left in services.leaves() {
            if let Some((work, stops)) = left.singleton() {
                writeln!(
                    out,
                    "left to another process: {left} (lease-{work}); without one, {stops}"
                )?;
            }
        }
    }
    Ok(())
}
