//! Opening the store and the vault from the configuration, with the
//! one-line errors a person can act on.

use std::sync::Arc;

use anyhow::Context as _;
use contracts::{MasterKey, Vault, VaultError};
use eventlog::{Clock, EventStore};

use crate::config::{Config, MasterKeySource};

/// The store, the vault and the identity service: what every command that
/// reads or writes personal data or accounts needs.
/// Every service composed with it takes its clock.
pub async fn open_identity(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<(Arc<dyn EventStore>, Vault, identity::Identity)> {
    let (store, vault, identity) = open_identity_unread(config, clock).await?;
    identity
        .refresh()
        .await
        .context("cannot read staff accounts and residents from the event log")?;
    Ok((store, vault, identity))
}

/// [`open_identity`] before identity's directory is read: what `serve`
/// composes, reading it beside the other services' models
/// ([`crate::server::AppState::open_running`]).
pub async fn open_identity_unread(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<(Arc<dyn EventStore>, Vault, identity::Identity)> {
    let store = open_store(config).await?;
    let vault = open_vault(config, &store).await?;
    let identity = identity::Identity::unread(
        Arc::clone(&store),
        vault.clone(),
        config.identity.clone(),
        clock,
    )
    .await
    .context("cannot compose the identity service")?;
    Ok((store, vault, identity))
}

/// The calendar over `store`, its feed links signed with a key derived
/// from the master key.
pub async fn open_calendar(
    store: &Arc<dyn EventStore>,
    vault: &Vault,
) -> anyhow::Result<calendar::Calendar> {
    calendar::Calendar::new(Arc::clone(store), vault.derive_key("calendar feeds v1"))
        .await
        .context("cannot read the calendar from the event log")
}

pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn EventStore>> {
    eventlog::open(&config.store, &config.data_dir)
        .await
        .map_err(anyhow::Error::from)
}

/// The vault, creating the master key file on the first run of a new store.
/// A store that holds sealed data and no key is refused, never given a new
/// key (which would make its personal data unreadable).
pub async fn open_vault(config: &Config, store: &Arc<dyn EventStore>) -> anyhow::Result<Vault> {
    let master = match &config.master_key {
        MasterKeySource::Given(key) => key.clone(),
        MasterKeySource::File(path) => match MasterKey::read_file(path)? {
            Some(key) => key,
            None => {
                if Vault::store_is_sealed(store.as_ref()).await? {
                    return Err(VaultError::MissingMasterKey(path.display().to_string()).into());
                }
                let key = MasterKey::generate()?;
                key.write_new_file(path)?;
                tracing::warn!(path = %path.display(), "created a new master key: back it up, personal data cannot be read without it");
                key
            }
        },
    };
    Vault::open(master, Arc::clone(store))
        .await
        .context("cannot open the vault")
}

/// The vault if the master key is at hand, for commands that only read:
/// they never create a key.
pub async fn existing_vault(config: &Config, store: &Arc<dyn EventStore>) -> Option<Vault> {
    let master = match &config.master_key {
        MasterKeySource::Given(key) => key.clone(),
        MasterKeySource::File(path) => MasterKey::read_file(path).ok().flatten()?,
    };
    if !Vault::store_is_sealed(store.as_ref()).await.ok()? {
        return None;
    }
    Vault::open(master, Arc::clone(store)).await.ok()
}

/// The appointments service over `store`.
pub async fn open_appointments(
    store: &Arc<dyn EventStore>,
    identity: &identity::Identity,
) -> anyhow::Result<appointments::Appointments> {
    appointments::Appointments::new(
        Arc::clone(store),
        Arc::new(identity.clone()),
        identity.vault().clone(),
        appointments::Settings::default(),
        identity.clock(),
    )
    .await
    .context("cannot read appointments from the event log")
}

/// The SMS provider and, when configured, the SMTP server.
pub fn senders(config: &Config) -> anyhow::Result<reminders::Senders> {
    let mail = match &config.sms.email {
        Some(settings) => Some(Arc::new(
            reminders::email::Mailer::new(settings).map_err(anyhow::Error::msg)?,
        )),
        None => None,
    };
    Ok(reminders::Senders {
        sms: sms_provider(config)?,
        mail,
    })
}

/// The SMS provider the configuration names.
pub fn sms_provider(config: &Config) -> anyhow::Result<Arc<dyn reminders::sms::SmsProvider>> {
    use crate::config::SmsProviderConfig;
    use reminders::sms;
    let client = || sms::http_client(config.sms.timeout).map_err(anyhow::Error::msg);
    Ok(match &config.sms.provider {
        SmsProviderConfig::Outbox(path) => Arc::new(sms::Outbox::new(path.clone())),
        SmsProviderConfig::Webhook { url, secret } => {
            Arc::new(sms::Webhook::new(client()?, url, secret))
        }
        SmsProviderConfig::Brevo {
            base,
            api_key,
            report_secret,
        } => Arc::new(sms::Brevo::new(client()?, base, api_key, report_secret)),
        SmsProviderConfig::Twilio {
            base,
            account,
            token,
            report_secret,
        } => Arc::new(sms::Twilio::new(
            client()?,
            base,
            account,
            token,
            report_secret,
            Some(report_address(config, "twilio", report_secret)),
        )),
        SmsProviderConfig::Ovh {
            base,
            service,
            application_key,
            application_secret,
            consumer_key,
            report_secret,
        } => Arc::new(sms::Ovh::new(
            client()?,
            base,
            service,
            application_key,
            application_secret,
            consumer_key,
            report_secret,
            Some(report_address(config, "ovh", report_secret)),
        )),
    })
}

/// Where a provider posts its delivery reports.
fn report_address(config: &Config, provider: &str, secret: &str) -> String {
    format!(
        "{}/api/v1/reminders/reports/{provider}?secret={secret}",
        config.public_url
    )
}
