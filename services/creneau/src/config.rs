//! Configuration: flags, then environment (`CRENEAU_*`), then an optional
//! TOML file, then defaults; validated into one typed [`Config`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use contracts::MasterKey;
use eventlog::StoreUrl;
use serde::Deserialize;

/// Where the settings came from before validation: every field optional.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct RawConfig {
    /// Where the event log lives: sqlite://PATH, postgres://USER@HOST:PORT/DB or kurrentdb://HOST:PORT.
    #[arg(long, env = "CRENEAU_STORE", global = true)]
    pub store: Option<String>,
    /// Folder for the embedded store, the master key and other local files.
    #[arg(long, env = "CRENEAU_DATA", global = true)]
    pub data: Option<PathBuf>,
    /// Address the HTTP server listens on.
    #[arg(long, env = "CRENEAU_LISTEN", global = true)]
    pub listen: Option<String>,
    /// File holding the master key (base64); created on first run.
    #[arg(long, env = "CRENEAU_MASTER_KEY_FILE", global = true)]
    pub master_key_file: Option<PathBuf>,
    /// The master key itself, in base64 (takes the place of the file).
    #[arg(
        long = "master-key",
        env = "CRENEAU_MASTER_KEY",
        global = true,
        hide_env_values = true
    )]
    pub master_key: Option<String>,
    /// The address people reach Créneau at, e.g. https://rdv.ville.fr (default: http://LISTEN). With https, cookies are Secure.
    #[arg(long, env = "CRENEAU_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Minutes without activity after which a staff session ends (default 30).
    #[arg(long, env = "CRENEAU_SESSION_IDLE_MINUTES", global = true)]
    pub session_idle_minutes: Option<u32>,
    /// Months without activity after which a resident is erased (default 24).
    #[arg(long, env = "CRENEAU_RETENTION_MONTHS", global = true)]
    pub retention_months: Option<u32>,
    /// Trust X-Forwarded-For: only behind a reverse proxy on this machine.
    #[arg(long, env = "CRENEAU_TRUST_PROXY", global = true)]
    pub trust_proxy: Option<bool>,
    /// The longest an API token lasts, in days (default 90, at most 365); older tokens stop working.
    #[arg(long, env = "CRENEAU_TOKEN_MAX_DAYS", global = true)]
    pub token_max_days: Option<u32>,
    /// A TOML file with any of these settings (flags and environment win).
    #[arg(long, env = "CRENEAU_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Run on a clock that starts at this instant (RFC 3339) instead of the
    /// system's: for tests and demos of another day. Hidden from help.
    #[arg(long, env = "CRENEAU_CLOCK_START", global = true, hide = true)]
    pub clock_start: Option<String>,
}

/// The TOML file's form.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    store: Option<String>,
    data: Option<PathBuf>,
    listen: Option<String>,
    master_key_file: Option<PathBuf>,
    master_key: Option<String>,
    public_url: Option<String>,
    session_idle_minutes: Option<u32>,
    retention_months: Option<u32>,
    trust_proxy: Option<bool>,
    token_max_days: Option<u32>,
    sms: Option<SmsFile>,
    email: Option<EmailFile>,
}

/// The `[email]` table: the SMTP server reminders go through.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailFile {
    host: String,
    port: Option<u16>,
    /// `starttls` (default), `tls` or `none` (a server on this machine only).
    security: Option<String>,
    username: Option<String>,
    password: Option<String>,
    from: String,
    timeout_seconds: Option<u64>,
}

/// The `[sms]` table: the provider and the reminders' settings.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmsFile {
    /// `outbox` (default: a file in the data folder), `webhook`, `brevo`,
    /// `twilio` or `ovh`.
    provider: Option<String>,
    /// The webhook's address, or Brevo's API base (https://api.brevo.com).
    url: Option<String>,
    /// The webhook's shared secret, or Brevo's API key.
    secret: Option<String>,
    /// The secret delivery reports carry in their address.
    report_secret: Option<String>,
    /// Twilio's account SID.
    account: Option<String>,
    /// OVHcloud: the SMS service name, the application key and the
    /// consumer key (the application secret goes in `secret`).
    service: Option<String>,
    application_key: Option<String>,
    consumer_key: Option<String>,
    sender: Option<String>,
    hours_before: Option<u32>,
    second_hours_before: Option<u32>,
    timeout_seconds: Option<u64>,
    #[serde(default)]
    sites: std::collections::HashMap<String, SiteSmsFile>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteSmsFile {
    sender: Option<String>,
    hours_before: Option<u32>,
    second_hours_before: Option<u32>,
}

/// Which SMS provider messages go to.
#[derive(Debug, Clone)]
pub enum SmsProviderConfig {
    /// A file of JSON lines: nothing leaves the machine.
    Outbox(PathBuf),
    Webhook {
        url: String,
        secret: String,
    },
    Brevo {
        base: String,
        api_key: String,
        report_secret: String,
    },
    Twilio {
        base: String,
        account: String,
        token: String,
        report_secret: String,
    },
    Ovh {
        base: String,
        service: String,
        application_key: String,
        application_secret: String,
        consumer_key: String,
        report_secret: String,
    },
}

/// The SMS provider and the reminders' settings.
#[derive(Debug, Clone)]
pub struct SmsConfig {
    pub provider: SmsProviderConfig,
    pub timeout: std::time::Duration,
    pub reminders: reminders::Settings,
    /// The SMTP server, when email is configured.
    pub email: Option<reminders::email::MailSettings>,
}

/// Where the master key comes from.
#[derive(Debug, Clone)]
pub enum MasterKeySource {
    /// Given directly (environment, flag or file setting).
    Given(MasterKey),
    /// A key file, created on first run of a new store.
    File(PathBuf),
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub store: StoreUrl,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub master_key: MasterKeySource,
    /// Where people reach Créneau, without a trailing slash.
    pub public_url: String,
    pub identity: identity::Settings,
    pub sms: SmsConfig,
    /// Where the process's clock starts, when not the system's.
    pub clock_start: Option<chrono::DateTime<chrono::Utc>>,
}

impl Config {
    /// The one clock of the process: every service composed reads it.
    pub fn clock(&self) -> std::sync::Arc<dyn eventlog::Clock> {
        match self.clock_start {
            Some(at) => eventlog::RunningClock::new(at),
            None => std::sync::Arc::new(eventlog::SystemClock),
        }
    }

    /// `scheme://host[:port]` of the public address.
    pub fn origin(&self) -> String {
        origin_of(&self.public_url)
    }
}

fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

/// A setting that is wrong, said so that a person can fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("listen address {0:?} is not HOST:PORT with an IP address, e.g. 127.0.0.1:8080")]
    Listen(String),
    #[error("{0}")]
    Store(String),
    #[error("master key: {0}")]
    MasterKey(String),
    #[error("public URL {0:?} must start with http:// or https://, e.g. https://rdv.ville.fr")]
    PublicUrl(String),
    #[error("{0}")]
    Range(String),
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA: &str = "data";

impl RawConfig {
    /// Merges the file under the flags and environment, then validates.
    pub fn validate(self) -> Result<Config, ConfigError> {
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let data_dir = self
            .data
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA));
        let store = match self.store.or(file.store) {
            Some(url) => StoreUrl::parse(&url).map_err(|e| ConfigError::Store(e.to_string()))?,
            None => StoreUrl::Sqlite(data_dir.join("creneau.db")),
        };
        let listen_text = self
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen_text
            .parse()
            .map_err(|_| ConfigError::Listen(listen_text.clone()))?;
        let master_key = match self.master_key.or(file.master_key) {
            Some(text) => MasterKeySource::Given(MasterKey::from_base64(&text).map_err(|e| {
                ConfigError::MasterKey(format!(
                    "{e}: give 32 bytes in base64 (openssl rand -base64 32)"
                ))
            })?),
            None => MasterKeySource::File(
                self.master_key_file
                    .or(file.master_key_file)
                    .unwrap_or_else(|| data_dir.join("master.key")),
            ),
        };
        let public_url = self
            .public_url
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = public_url.trim().trim_end_matches('/').to_owned();
        let https = public_url.starts_with("https://");
        if !https && !public_url.starts_with("http://") || public_url.len() < 10 {
            return Err(ConfigError::PublicUrl(public_url));
        }
        let defaults = identity::Settings::default();
        let idle = self
            .session_idle_minutes
            .or(file.session_idle_minutes)
            .unwrap_or(30);
        if !(1..=24 * 60).contains(&idle) {
            return Err(ConfigError::Range(format!(
                "session_idle_minutes is {idle}: give 1 to 1440 minutes"
            )));
        }
        let retention_months = self
            .retention_months
            .or(file.retention_months)
            .unwrap_or(defaults.retention_months);
        if !(1..=120).contains(&retention_months) {
            return Err(ConfigError::Range(format!(
                "retention_months is {retention_months}: give 1 to 120 months"
            )));
        }
        let token_max_days = self
            .token_max_days
            .or(file.token_max_days)
            .unwrap_or(defaults.token_max_days);
        if !(1..=identity::MAX_TOKEN_DAYS).contains(&token_max_days) {
            return Err(ConfigError::Range(format!(
                "token_max_days is {token_max_days}: give 1 to {} days",
                identity::MAX_TOKEN_DAYS
            )));
        }
        let clock_start = self
            .clock_start
            .as_deref()
            .map(|raw| {
                chrono::DateTime::parse_from_rfc3339(raw.trim())
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .map_err(|e| {
                        ConfigError::Range(format!(
                            "clock_start {raw:?} is not an RFC 3339 instant ({e}), e.g. 2026-12-24T10:00:00+01:00"
                        ))
                    })
            })
            .transpose()?;
        let mut sms = sms_config(file.sms.unwrap_or_default(), &data_dir, &public_url)?;
        sms.email = file.email.map(email_config).transpose()?;
        Ok(Config {
            sms,
            store,
            data_dir,
            listen,
            master_key,
            public_url: public_url.clone(),
            clock_start,
            identity: identity::Settings {
                session_idle: std::time::Duration::from_secs(u64::from(idle) * 60),
                https,
                retention_months,
                trust_proxy: self.trust_proxy.or(file.trust_proxy).unwrap_or(false),
                token_max_days,
                public_url: public_url.clone(),
                ..defaults
            },
        })
    }
}

fn sms_config(f: SmsFile, data_dir: &Path, public_url: &str) -> Result<SmsConfig, ConfigError> {
    let need = |v: Option<String>, what: &str| {
        v.filter(|s| !s.trim().is_empty())
            .ok_or_else(|| ConfigError::Range(format!("[sms] {what} is missing for this provider")))
    };
    let provider = match f.provider.as_deref().unwrap_or("outbox") {
        "outbox" => SmsProviderConfig::Outbox(data_dir.join("sms-outbox.jsonl")),
        "webhook" => SmsProviderConfig::Webhook {
            url: need(f.url, "url")?,
            secret: need(f.secret, "secret")?,
        },
        "brevo" => SmsProviderConfig::Brevo {
            base: f.url.unwrap_or_else(|| "https://api.brevo.com".to_owned()),
            api_key: need(f.secret, "secret (the API key)")?,
            report_secret: need(f.report_secret, "report_secret")?,
        },
        "twilio" => SmsProviderConfig::Twilio {
            base: f.url.unwrap_or_else(|| "https://api.twilio.com".to_owned()),
            account: need(f.account, "account (the account SID)")?,
            token: need(f.secret, "secret (the auth token)")?,
            report_secret: need(f.report_secret, "report_secret")?,
        },
        "ovh" => SmsProviderConfig::Ovh {
            base: f.url.unwrap_or_else(|| "https://eu.api.ovh.com".to_owned()),
            service: need(f.service, "service (the SMS account, sms-xx12345-1)")?,
            application_key: need(f.application_key, "application_key")?,
            application_secret: need(f.secret, "secret (the application secret)")?,
            consumer_key: need(f.consumer_key, "consumer_key")?,
            report_secret: need(f.report_secret, "report_secret")?,
        },
        other => {
            return Err(ConfigError::Range(format!(
                "[sms] provider {other:?} is not known: use outbox, webhook, brevo, twilio or ovh"
            )));
        }
    };
    let hours = |h: Option<u32>, what: &str| match h {
        Some(h) if !(1..=168).contains(&h) => Err(ConfigError::Range(format!(
            "[sms] {what} is {h}: give 1 to 168 hours"
        ))),
        other => Ok(other),
    };
    let sender = |s: Option<String>| match s {
        Some(s) if !reminders::valid_sender(&s) => Err(ConfigError::Range(format!(
            "[sms] sender {s:?}: 1 to 11 letters or digits, no spaces or accents"
        ))),
        other => Ok(other),
    };
    let defaults = reminders::Settings::default();
    let mut sites = std::collections::HashMap::new();
    for (id, site) in f.sites {
        let site_id: contracts::SiteId = id.parse().map_err(|_| {
            ConfigError::Range(format!("[sms.sites] {id:?} is not a site id (a UUID)"))
        })?;
        sites.insert(
            site_id,
            reminders::SiteSettings {
                sender: sender(site.sender)?,
                hours_before: hours(site.hours_before, "hours_before")?,
                second_hours_before: hours(site.second_hours_before, "second_hours_before")?,
            },
        );
    }
    Ok(SmsConfig {
        email: None,
        provider,
        timeout: std::time::Duration::from_secs(f.timeout_seconds.unwrap_or(10).clamp(1, 120)),
        reminders: reminders::Settings {
            public_url: public_url.to_owned(),
            hours_before: hours(f.hours_before, "hours_before")?.unwrap_or(defaults.hours_before),
            second_hours_before: hours(f.second_hours_before, "second_hours_before")?,
            sender: sender(f.sender)?.unwrap_or(defaults.sender.clone()),
            sites,
            ..defaults
        },
    })
}

fn email_config(f: EmailFile) -> Result<reminders::email::MailSettings, ConfigError> {
    use reminders::email::Security;
    let security = match f.security.as_deref().unwrap_or("starttls") {
        "starttls" => Security::StartTls,
        "tls" => Security::Tls,
        "none" => Security::Plain,
        other => {
            return Err(ConfigError::Range(format!(
                "[email] security {other:?}: use starttls, tls or none"
            )));
        }
    };
    if !reminders::email::valid_address(&f.from) {
        return Err(ConfigError::Range(format!(
            "[email] from {:?} is not an address: write it as \"Créneau <rdv@ville.fr>\"",
            f.from
        )));
    }
    Ok(reminders::email::MailSettings {
        port: f.port.unwrap_or(match security {
            Security::Tls => 465,
            Security::StartTls => 587,
            Security::Plain => 25,
        }),
        host: f.host,
        security,
        username: f.username,
        password: f.password,
        from: f.from,
        timeout: std::time::Duration::from_secs(f.timeout_seconds.unwrap_or(10).clamp(1, 120)),
    })
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let fail = |reason: String| ConfigError::File {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    toml::from_str(&text).map_err(|e| fail(e.message().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_the_embedded_store_in_the_data_folder() {
        let c = RawConfig::default().validate().expect("valid");
        assert_eq!(c.store, StoreUrl::Sqlite(PathBuf::from("data/creneau.db")));
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert!(
            matches!(c.master_key, MasterKeySource::File(p) if p == Path::new("data/master.key"))
        );
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir =
            std::env::temp_dir().join(format!("creneau-config-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("creneau.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\nstore = \"postgres://postgres@db/creneau\"\n",
        )
        .expect("write");
        let raw = RawConfig {
            config: Some(path.clone()),
            listen: Some("127.0.0.1:7000".into()),
            ..RawConfig::default()
        };
        let c = raw.validate().expect("valid");
        assert_eq!(c.listen.to_string(), "127.0.0.1:7000");
        assert_eq!(
            c.store,
            StoreUrl::Postgres("postgres://postgres@db/creneau".into())
        );
        std::fs::write(&path, "lisen = \"x\"\n").expect("write");
        let err = RawConfig {
            config: Some(path),
            ..RawConfig::default()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("unknown field") && err.contains("lisen"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_public_url_decides_secure_cookies_and_the_origin() {
        let c = RawConfig {
            public_url: Some("https://rdv.ville.fr/creneau/".into()),
            ..RawConfig::default()
        }
        .validate()
        .expect("valid");
        assert!(c.identity.https);
        assert_eq!(c.public_url, "https://rdv.ville.fr/creneau");
        assert_eq!(c.origin(), "https://rdv.ville.fr");
        let c = RawConfig::default().validate().expect("valid");
        assert!(!c.identity.https);
        assert_eq!(c.origin(), "http://127.0.0.1:8080");
        let err = RawConfig {
            public_url: Some("rdv.ville.fr".into()),
            ..RawConfig::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("https://"), "{err}");
        let err = RawConfig {
            retention_months: Some(0),
            ..RawConfig::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("1 to 120"), "{err}");
    }

    fn with_file(text: &str) -> Result<Config, ConfigError> {
        let dir =
            std::env::temp_dir().join(format!("creneau-config-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("creneau.toml");
        std::fs::write(&path, text).expect("write");
        let c = RawConfig {
            config: Some(path),
            ..RawConfig::default()
        }
        .validate();
        let _ = std::fs::remove_dir_all(&dir);
        c
    }

    #[test]
    fn sms_settings_come_from_the_file_and_bad_ones_say_what_to_write() {
        let c = with_file("").expect("valid");
        assert!(matches!(c.sms.provider, SmsProviderConfig::Outbox(_)));
        assert_eq!(c.sms.reminders.hours_before, 48);
        let site = contracts::SiteId::new();
        let c = with_file(&format!(
            "[sms]\nprovider = \"brevo\"\nsecret = \"k\"\nreport_secret = \"r\"\nsender = \"MairieLyon8\"\nsecond_hours_before = 3\n[sms.sites.\"{site}\"]\nsender = \"EspaceNum\"\nhours_before = 24\n"
        ))
        .expect("valid");
        assert!(matches!(c.sms.provider, SmsProviderConfig::Brevo { .. }));
        assert_eq!(c.sms.reminders.second_hours_before, Some(3));
        assert_eq!(c.sms.reminders.sites[&site].hours_before, Some(24));
        for (text, says) in [
            (
                "[sms]\nprovider = \"pigeon\"\n",
                "outbox, webhook, brevo, twilio or ovh",
            ),
            ("[sms]\nprovider = \"ovh\"\nsecret = \"s\"\n", "service"),
            ("[sms]\nprovider = \"webhook\"\n", "url"),
            ("[sms]\nsender = \"Mairie de Lyon\"\n", "11 letters"),
            ("[sms]\nhours_before = 0\n", "1 to 168"),
            ("[sms.sites.\"nope\"]\nsender = \"A\"\n", "site id"),
        ] {
            let err = with_file(text).expect_err(text);
            assert!(err.to_string().contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn email_settings_default_their_port_and_check_the_sender() {
        assert!(with_file("").expect("valid").sms.email.is_none());
        let c = with_file("[email]\nhost = \"smtp.ville.fr\"\nfrom = \"Créneau <rdv@ville.fr>\"\n")
            .expect("valid");
        assert_eq!(c.sms.email.as_ref().map(|e| e.port), Some(587));
        let err =
            with_file("[email]\nhost = \"h\"\nfrom = \"rdv at ville\"\n").expect_err("bad from");
        assert!(err.to_string().contains("is not an address"), "{err}");
        let err = with_file("[email]\nhost = \"h\"\nfrom = \"a@b.fr\"\nsecurity = \"ssl\"\n")
            .expect_err("bad");
        assert!(err.to_string().contains("starttls, tls or none"), "{err}");
    }

    #[test]
    fn the_example_file_is_valid() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/creneau.toml"),
        )
        .expect("deploy/creneau.toml");
        with_file(&text).expect("valid");
    }

    #[test]
    fn bad_values_say_what_to_write_instead() {
        let err = RawConfig {
            listen: Some("localhost".into()),
            ..RawConfig::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("127.0.0.1:8080"), "{err}");
        let err = RawConfig {
            store: Some("mysql://x".into()),
            ..RawConfig::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("sqlite://"), "{err}");
        let err = RawConfig {
            master_key: Some("short".into()),
            ..RawConfig::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("base64"), "{err}");
    }
}
