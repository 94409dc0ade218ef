//! Residents: registering them (their personal values sealed under their
//! own key), reading their details back, erasing them (crypto-shredding),
//! the right-of-access export, and the retention sweep.

use chrono::{DateTime, Months, Utc};
use contracts::proto::residents::v1 as rev;
use contracts::{PhoneNumber, ResidentId, Sealed, Vault, decode_event};
use eventlog::{Actor, EventStore, ExpectedVersion, Filter, Position, RecordedEvent};
use serde::Serialize;
use serde_json::Value;

use crate::error::IdentityError;
use crate::service::Identity;
use api::{Acting, Principal};
use contracts::ports::{Registration, ResidentsError};
use uuid::Uuid;

pub use contracts::ports::NewResident;

/// A resident's current details, opened. Erased values read `None`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ResidentDetails {
    pub resident_id: ResidentId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub language: String,
    pub sms_consent: bool,
    pub email_consent: bool,
    pub registered_at: DateTime<Utc>,
    pub erased: bool,
}

/// Why a resident is erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureCause {
    /// They asked (right to erasure).
    Request,
    /// No activity for longer than the retention period.
    Retention,
    /// Registered for a booking whose place someone else won in the same
    /// instant: the record holds nothing and is not kept.
    BookingLost,
}

impl ErasureCause {
    fn as_str(self) -> &'static str {
        match self {
            ErasureCause::Request => "request",
            ErasureCause::Retention => "retention",
            ErasureCause::BookingLost => "booking-lost",
        }
    }
}

/// Everything held on one resident.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ResidentExport {
    pub resident_id: ResidentId,
    pub exported_at: DateTime<Utc>,
    pub details: ResidentDetails,
    /// Every event that concerns them, personal values opened.
    pub events: Vec<ExportedEvent>,
}

/// One event of an export.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExportedEvent {
    pub position: u64,
    pub stream: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub correlation_id: uuid::Uuid,
    /// The event's data as recorded, personal values opened.
    pub data: Value,
}

/// What an erasure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Erasure {
    pub resident_id: ResidentId,
    /// False when the resident had been erased already.
    pub newly_erased: bool,
}

fn check_name(what: &str, name: &str) -> Result<String, IdentityError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > 100 || name.chars().any(char::is_control) {
        return Err(IdentityError::Invalid(messages::say!(
            crate::MESSAGES,
            "give-1-to-100-characters",
            what = what
        )));
    }
    Ok(name.to_owned())
}

/// Why staff merged or unmerged two records: 3 to 200 characters.
fn check_reason(reason: &str) -> Result<String, IdentityError> {
    let reason = reason.trim();
    let chars = reason.chars().count();
    if !(3..=200).contains(&chars) || reason.chars().any(char::is_control) {
        return Err(IdentityError::Invalid(messages::say!(
            crate::MESSAGES,
            "say-why-3-to-200"
        )));
    }
    Ok(reason.to_owned())
}

fn check_email(email: &str) -> Result<String, IdentityError> {
    contracts::email::parse_email(email)
        .map_err(|e| IdentityError::Invalid(format!("{e}, or leave it empty")))
}

/// Whether `e` concerns the resident: their stream, done through their
/// link, or naming them in its payload.
pub fn mentions_resident(e: &RecordedEvent, id: ResidentId) -> bool {
    if e.stream == id.stream().as_str() || e.metadata.actor == Actor::Resident(id.0) {
        return true;
    }
    let needle = id.to_string();
    e.payload
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Every event for which `keep` holds, in log order.
pub(crate) async fn scan(
    store: &dyn EventStore,
    mut keep: impl FnMut(&RecordedEvent) -> bool,
) -> Result<Vec<RecordedEvent>, IdentityError> {
    let mut found = Vec::new();
    let mut after = Position(0);
    loop {
        let page = store.read_all(after, 1000, &Filter::all()).await?;
        let Some(last) = page.last().map(|e| e.position) else {
            return Ok(found);
        };
        found.extend(page.into_iter().filter(|e| keep(e)));
        after = last;
    }
}

async fn open(vault: &Vault, sealed: Option<&Sealed>) -> Result<Option<String>, IdentityError> {
    match sealed {
        Some(s) => Ok(vault.open_sealed(s).await?.as_deref().map(str::to_owned)),
        None => Ok(None),
    }
}

impl Identity {
    /// Registers a resident; every personal value is sealed under their key,
    /// stored in the same commit.
    pub async fn register_resident(
        &self,
        acting: &Acting,
        new: NewResident,
    ) -> Result<ResidentId, IdentityError> {
        let r = self.registration(acting, new).await?;
        let written = self
            .store()
            .append_with(r.append, Vec::new(), vec![r.key])
            .await;
        if written.is_err() {
            self.vault().forget(r.resident.0);
        }
        written?;
        self.refresh().await?;
        Ok(r.resident)
    }

    /// A resident's registration, checked and sealed under a new key, not
    /// written: [`Identity::register_resident`] writes it alone, a booking
    /// in its own commit.
    pub async fn registration(
        &self,
        acting: &Acting,
        new: NewResident,
    ) -> Result<Registration, IdentityError> {
        let first = check_name("first-name", &new.first_name)?;
        // Some people have one name only: the last name may be empty.
        let last = if new.last_name.trim().is_empty() {
            String::new()
        } else {
            check_name("last-name", &new.last_name)?
        };
        let phone =
            PhoneNumber::parse(&new.phone).map_err(|e| IdentityError::Invalid(e.to_string()))?;
        let email = match new
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            Some(e) => Some(check_email(e)?),
            None => None,
        };
        let id = ResidentId::new();
        let vault = self.vault();
        let key = vault.new_key(id.0)?;
        let email = match email {
            Some(e) => Some(vault.seal(id.0, &e).await?),
            None => None,
        };
        let e = acting.event(&rev::ResidentRegistered {
            resident_id: id.to_string(),
            first_name: Some(vault.seal(id.0, &first).await?),
            last_name: Some(vault.seal(id.0, &last).await?),
            phone: Some(vault.seal(id.0, phone.as_str()).await?),
            email,
            language: new.language.into(),
            sms_consent: new.sms_consent,
            email_consent: new.email_consent && new.email.is_some(),
            site_id: new.site.map(|s| s.to_string()).unwrap_or_default(),
        })?;
        Ok(Registration {
            resident: id,
            append: eventlog::AppendRequest {
                stream: id.stream(),
                expected: ExpectedVersion::NoStream,
                events: vec![e],
            },
            key,
        })
    }

    /// The resident's current details, opened.
    pub async fn resident_details(&self, id: ResidentId) -> Result<ResidentDetails, IdentityError> {
        let events = self
            .store()
            .read_stream(&id.stream(), 0, usize::MAX)
            .await?;
        let mut details: Option<ResidentDetails> = None;
        let vault = self.vault();
        for e in &events {
            if let Some(x) = decode_event::<rev::ResidentRegistered>(e)? {
                details = Some(ResidentDetails {
                    resident_id: id,
                    first_name: open(vault, x.first_name.as_ref()).await?,
                    last_name: open(vault, x.last_name.as_ref()).await?,
                    phone: open(vault, x.phone.as_ref()).await?,
                    email: open(vault, x.email.as_ref()).await?,
                    language: x.language().as_str_name().to_owned(),
                    sms_consent: x.sms_consent,
                    email_consent: x.email_consent,
                    registered_at: e.metadata.recorded_at,
                    erased: false,
                });
            } else if let (Some(x), Some(d)) = (
                decode_event::<rev::ResidentDetailsChanged>(e)?,
                details.as_mut(),
            ) {
                d.first_name = open(vault, x.first_name.as_ref()).await?;
                d.last_name = open(vault, x.last_name.as_ref()).await?;
                d.phone = open(vault, x.phone.as_ref()).await?;
                d.email = open(vault, x.email.as_ref()).await?;
                d.language = x.language().as_str_name().to_owned();
                d.sms_consent = x.sms_consent;
                d.email_consent = x.email_consent;
            } else if let (Some(_), Some(d)) =
                (decode_event::<rev::ResidentErased>(e)?, details.as_mut())
            {
                d.erased = true;
            }
        }
        details.ok_or_else(|| {
            IdentityError::NotFound(messages::say!(
                crate::MESSAGES,
                "there-is-no-resident",
                id = id
            ))
        })
    }

    /// Merges `duplicate` into `into` (the same person, registered twice):
    /// `into` stands for both from now on; the duplicate is hidden. Both
    /// must be residents `who` may see, and possible duplicates (the same
    /// phone, a shared name word); `reason` says why (it is audited, and an
    /// administrator may undo the merge).
    pub async fn merge_residents(
        &self,
        who: &Principal,
        correlation: Uuid,
        duplicate: ResidentId,
        into: ResidentId,
        reason: &str,
    ) -> Result<(), IdentityError> {
        if duplicate == into {
            return Err(IdentityError::Invalid(messages::say!(
                crate::MESSAGES,
                "resident-cannot-be-merged-into"
            )));
        }
        let reason = check_reason(reason)?;
        self.check_visible(who, duplicate).await?;
        self.check_visible(who, into).await?;
        let acting = who.acting(api::CorrelationId(correlation), api::Now(self.now()));
        self.retrying(|| async {
            let (dup, keep, alike) = {
                let d = self.directory().await?;
                let found = |id: ResidentId| {
                    d.resident(id)
                        .filter(|r| !r.erased)
                        .cloned()
                        .ok_or_else(|| {
                            IdentityError::NotFound(messages::say!(
                                crate::MESSAGES,
                                "there-is-no-resident",
                                id = id
                            ))
                        })
                };
                (
                    found(duplicate)?,
                    found(into)?,
                    d.possible_duplicates(duplicate).contains(&into),
                )
            };
            if dup.merged_into.is_some() || keep.merged_into.is_some() {
                return Err(IdentityError::Conflict(messages::say!(
                    crate::MESSAGES,
                    "one-of-them-was-merged"
                )));
            }
            if !alike {
                return Err(IdentityError::Refused(messages::say!(
                    crate::MESSAGES,
                    "these-two-are-not-possible"
                )));
            }
            let e = acting.event(&rev::ResidentMerged {
                resident_id: duplicate.to_string(),
                into_resident_id: into.to_string(),
                reason: reason.clone(),
            })?;
            self.append(
                &duplicate.stream(),
                ExpectedVersion::Exact(dup.version),
                vec![e],
            )
            .await
        })
        .await
    }

    /// Undoes a merge (an administrator's command): `id` stands for
    /// themself again, with their own appointments.
    pub async fn unmerge_resident(
        &self,
        acting: &Acting,
        id: ResidentId,
        reason: &str,
    ) -> Result<(), IdentityError> {
        let reason = check_reason(reason)?;
        self.retrying(|| async {
            let r = self
                .directory()
                .await?
                .resident(id)
                .cloned()
                .ok_or_else(|| {
                    IdentityError::NotFound(messages::say!(
                        crate::MESSAGES,
                        "there-is-no-resident",
                        id = id
                    ))
                })?;
            let Some(from) = r.merged_into else {
                return Err(IdentityError::Conflict(messages::say!(
                    crate::MESSAGES,
                    "resident-is-not-merged-into",
                    id = id
                )));
            };
            let e = acting.event(&rev::ResidentUnmerged {
                resident_id: id.to_string(),
                from_resident_id: from.to_string(),
                reason: reason.clone(),
            })?;
            self.append(&id.stream(), ExpectedVersion::Exact(r.version), vec![e])
                .await
        })
        .await
    }

    /// Erases a resident: records `ResidentErased` (the appointments and
    /// reminders services cancel what is ahead of them when they see it),
    /// then deletes their data key, so that no sealed value of theirs can be
    /// read again. Their events stay, so the statistics do not change.
    /// Erasing twice is harmless.
    pub async fn erase_resident(
        &self,
        acting: &Acting,
        id: ResidentId,
        cause: ErasureCause,
    ) -> Result<Erasure, IdentityError> {
        let newly_erased = self
            .retrying(|| async {
                let Some(r) = self.directory().await?.resident(id).cloned() else {
                    return Err(IdentityError::NotFound(messages::say!(
                        crate::MESSAGES,
                        "there-is-no-resident",
                        id = id
                    )));
                };
                if r.erased {
                    return Ok(false);
                }
                let e = acting.event(&rev::ResidentErased {
                    resident_id: id.to_string(),
                    cause: cause.as_str().to_owned(),
                })?;
                self.append(&id.stream(), ExpectedVersion::Exact(r.version), vec![e])
                    .await?;
                Ok(true)
            })
            .await?;
        // After the event: a crash in between leaves the key, and the next
        // retention sweep deletes it.
        self.vault().erase(id.0).await?;
        tracing::info!(resident = %id, cause = cause.as_str(), "resident erased");
        Ok(Erasure {
            resident_id: id,
            newly_erased,
        })
    }

    /// Everything held on one resident, as JSON: their current details and
    /// every event that concerns them, personal values opened.
    pub async fn export_resident(&self, id: ResidentId) -> Result<ResidentExport, IdentityError> {
        let details = self.resident_details(id).await?;
        let events = scan(self.store().as_ref(), |e| mentions_resident(e, id)).await?;
        let mut shown = Vec::with_capacity(events.len());
        for e in events {
            let mut data: Value = serde_json::from_slice(&e.payload).unwrap_or(Value::Null);
            self.vault().reveal_json(&mut data).await;
            shown.push(ExportedEvent {
                position: e.position.0,
                stream: e.stream.to_string(),
                event_type: e.event_type.to_string(),
                recorded_at: e.metadata.recorded_at,
                actor: e.metadata.actor.to_string(),
                correlation_id: e.metadata.correlation_id,
                data,
            });
        }
        Ok(ResidentExport {
            resident_id: id,
            exported_at: self.now(),
            details,
            events: shown,
        })
    }

    /// Erases every resident with no activity (an event in their stream,
    /// through their link, or naming them as `residentId`) since `now` less
    /// the retention period; finishes erasures a crash interrupted. Returns
    /// who was erased now.
    pub async fn retention_sweep(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<ResidentId>, IdentityError> {
        let months = self.settings().retention_months;
        let Some(cutoff) = now.checked_sub_months(Months::new(months)) else {
            return Ok(Vec::new());
        };
        let (mut last_seen, erased): (
            std::collections::HashMap<ResidentId, DateTime<Utc>>,
            Vec<ResidentId>,
        ) = {
            let d = self.directory().await?;
            (
                d.residents()
                    .filter(|r| !r.erased)
                    .map(|r| (r.id, r.registered_at))
                    .collect(),
                d.residents().filter(|r| r.erased).map(|r| r.id).collect(),
            )
        };
        for id in erased {
            self.vault().erase(id.0).await?;
        }
        scan(self.store().as_ref(), |e| {
            let at = e.metadata.recorded_at;
            let mut touch = |id: ResidentId| {
                if let Some(seen) = last_seen.get_mut(&id) {
                    *seen = (*seen).max(at);
                }
            };
            if let Actor::Resident(id) = e.metadata.actor {
                touch(ResidentId(id));
            }
            if e.category() == ResidentId::CATEGORY
                && let Some(id) = e.stream.split_once('-').and_then(|(_, id)| id.parse().ok())
            {
                touch(id);
            }
            if let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(&e.payload)
                && let Some(id) = o
                    .get("residentId")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse().ok())
            {
                touch(id);
            }
            false
        })
        .await?;
        let acting = Acting::system("retention", now);
        let mut erased_now = Vec::new();
        let mut stale: Vec<ResidentId> = last_seen
            .into_iter()
            .filter(|(_, seen)| *seen < cutoff)
            .map(|(id, _)| id)
            .collect();
        stale.sort();
        for id in stale {
            if self
                .erase_resident(&acting, id, ErasureCause::Retention)
                .await?
                .newly_erased
            {
                erased_now.push(id);
            }
        }
        if !erased_now.is_empty() {
            tracing::info!(
                count = erased_now.len(),
                months,
                "retention: erased inactive residents"
            );
        }
        Ok(erased_now)
    }
}

/// What the port says for an identity failure: what the caller can act on
/// (a bad value, a refusal, a limit) stays itself; the rest is "try again".
fn port_error(e: IdentityError) -> ResidentsError {
    match e {
        IdentityError::Invalid(m) => ResidentsError::Invalid(m),
        IdentityError::Refused(m) => ResidentsError::Refused(m),
        IdentityError::NotFound(m) => ResidentsError::NotFound(m),
        IdentityError::Conflict(m) => ResidentsError::Conflict(m),
        e @ IdentityError::Concurrent(_) => ResidentsError::Conflict(e.to_string()),
        IdentityError::TooMany {
            message,
            retry_after,
        } => ResidentsError::TooMany {
            message,
            wait: retry_after,
        },
        other => ResidentsError::Unavailable(Box::new(other)),
    }
}

/// The port other services reach residents through (reminders: how to
/// reach one, and booking codes; appointments: who holds a phone, new
/// residents, codes and links), so that none depends on this crate.
#[async_trait::async_trait]
impl contracts::ports::Residents for Identity {
    async fn contact(
        &self,
        resident: ResidentId,
    ) -> Result<Option<contracts::ports::Contact>, ResidentsError> {
        match self.resident_details(resident).await {
            Ok(d) if !d.erased => Ok(Some(contracts::ports::Contact {
                phone: d.phone,
                email: d.email,
                language: d.language,
                sms_consent: d.sms_consent,
                email_consent: d.email_consent,
            })),
            Ok(_) | Err(IdentityError::NotFound(_)) => Ok(None),
            Err(e) => Err(ResidentsError::Unavailable(Box::new(e))),
        }
    }

    async fn issue_booking_code(
        &self,
        phone: &PhoneNumber,
        client: &str,
    ) -> Result<contracts::ports::IssuedCode, ResidentsError> {
        Identity::issue_booking_code(self, phone, client)
            .await
            .map_err(|e| match e {
                e @ IdentityError::TooMany { .. } => port_error(e),
                other => ResidentsError::Unavailable(Box::new(other)),
            })
    }

    async fn resident_named(
        &self,
        phone: &PhoneNumber,
        name: &str,
    ) -> Result<Option<ResidentId>, ResidentsError> {
        Identity::resident_named(self, phone, name)
            .await
            .map_err(port_error)
    }

    async fn register(
        &self,
        acting: &Acting,
        resident: NewResident,
    ) -> Result<Registration, ResidentsError> {
        self.registration(acting, resident)
            .await
            .map_err(port_error)
    }

    async fn forget_unbooked(
        &self,
        acting: &Acting,
        resident: ResidentId,
    ) -> Result<(), ResidentsError> {
        self.erase_resident(acting, resident, ErasureCause::BookingLost)
            .await
            .map(|_| ())
            .map_err(port_error)
    }

    async fn check_booking_code(
        &self,
        challenge: &contracts::ports::CodeChallenge,
        phone: &PhoneNumber,
        code: &str,
    ) -> Result<(), ResidentsError> {
        Identity::check_booking_code(self, challenge, phone, code)
            .await
            .map_err(port_error)
    }

    async fn release_booking_code(&self, challenge: &contracts::ports::CodeChallenge) {
        Identity::release_booking_code(self, challenge).await;
    }

    async fn open_link(
        &self,
        token: &str,
        appointment: contracts::AppointmentId,
        client: &str,
    ) -> Result<(), ResidentsError> {
        self.link_for(token, appointment, client)
            .await
            .map(|_| ())
            .map_err(port_error)
    }
}

#[async_trait::async_trait]
impl contracts::ports::ResidentSearch<Principal> for Identity {
    async fn find(
        &self,
        who: &Principal,
        correlation: Uuid,
        query: &str,
    ) -> Result<Vec<contracts::ports::FoundResident>, ResidentsError> {
        self.find_residents(who, correlation, query)
            .await
            .map_err(port_error)
    }
}
