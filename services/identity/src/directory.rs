//! The identity read model, folded in memory from the log: staff accounts
//! with their grants, sessions and API tokens, residents, and manage links.
//! It only folds events (replaying one twice changes nothing) and catches
//! up before every use, so that another process's writes count here as
//! soon as they are committed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use api::{Grant, Scope};
use chrono::{DateTime, Utc};
use contracts::proto::appointments::v1 as aev;
use contracts::proto::identity::v1 as ev;
use contracts::proto::residents::v1 as rev;
use contracts::{AppointmentId, ResidentId, Role, Sealed, SiteId, StaffId, Vault, decode_event};
use eventlog::{EventStore, Filter, Freshness, Position, RecordedEvent};
use uuid::Uuid;

use crate::error::IdentityError;

/// How many events one catch-up read asks for.
const BATCH: usize = 1000;

#[derive(Debug, Clone)]
pub struct SessionView {
    pub opened_at: DateTime<Utc>,
    pub open: bool,
}

#[derive(Debug, Clone)]
pub struct TokenView {
    pub token_id: Uuid,
    pub label: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub struct StaffView {
    pub id: StaffId,
    pub email: String,
    pub display_name: String,
    pub grants: BTreeSet<Grant>,
    pub password_hash: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub sessions: HashMap<Uuid, SessionView>,
    pub tokens: BTreeMap<Uuid, TokenView>,
    /// Version of the last event of the account's stream.
    pub version: u64,
}

#[derive(Debug, Clone)]
pub struct ResidentView {
    pub id: ResidentId,
    pub registered_at: DateTime<Utc>,
    pub erased: bool,
    pub version: u64,
    /// First and last name as given, and in search form (lower case,
    /// accents folded); emptied on erasure.
    pub name: String,
    pub search_name: String,
    /// E.164; emptied on erasure.
    pub phone: String,
    /// Merged into this resident: hidden from searches.
    pub merged_into: Option<ResidentId>,
    /// Residents merged into this one: their sites count as this one's.
    pub merged_from: BTreeSet<ResidentId>,
    /// The sites that serve them: where they had an appointment, or whose
    /// staff registered them. Staff see residents of their sites only.
    pub sites: BTreeSet<SiteId>,
}

/// The words of a name in search form, sorted: "Diallo Amina" and
/// "amina DIALLO" are the same name.
pub fn name_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = search_form(name)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    words.sort();
    words
}

/// Lower case, accents and apostrophes folded: "Éloïse N'Diaye" and
/// "eloise ndiaye" meet.
pub fn search_form(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' | 'ì' => "i",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ç' => "c",
            'ñ' => "n",
            'ÿ' | 'ý' => "y",
            'œ' => "oe",
            'æ' => "ae",
            '\'' | '’' | '-' | '.' => "",
            c if c.is_whitespace() => " ",
            c => {
                out.push(c);
                continue;
            }
        };
        out.push_str(folded);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Clone)]
pub struct LinkView {
    pub appointment_id: AppointmentId,
    pub resident_id: ResidentId,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

#[derive(Debug, Default)]
pub struct Directory {
    position: Position,
    freshness: Freshness,
    staff: HashMap<StaffId, StaffView>,
    by_email: HashMap<String, StaffId>,
    sessions: HashMap<Uuid, StaffId>,
    tokens: HashMap<[u8; 32], (StaffId, Uuid)>,
    residents: HashMap<ResidentId, ResidentView>,
    /// E.164 phone → residents registered with it (oldest first), erased
    /// ones left out: what booking and reception look residents up by.
    by_phone: HashMap<String, Vec<ResidentId>>,
    links: HashMap<[u8; 32], LinkView>,
}

/// The form emails are compared in.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn parse_time(text: &str, position: Position) -> Result<DateTime<Utc>, IdentityError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| IdentityError::Internal(format!("event at {position}: time {text:?}: {e}")))
}

fn parse_id<T: std::str::FromStr>(text: &str, position: Position) -> Result<T, IdentityError> {
    text.parse().map_err(|_| {
        IdentityError::Internal(format!("event at {position}: id {text:?} is not a UUID"))
    })
}

fn hash32(bytes: &[u8], position: Position) -> Result<[u8; 32], IdentityError> {
    bytes.try_into().map_err(|_| {
        IdentityError::Internal(format!(
            "event at {position}: hash of {} bytes",
            bytes.len()
        ))
    })
}

async fn open(vault: &Vault, sealed: Option<&Sealed>) -> Result<String, IdentityError> {
    match sealed {
        Some(s) => Ok(vault.open_sealed(s).await?.to_string()),
        None => Ok(String::new()),
    }
}

fn grant(role: i32, site_id: &str, position: Position) -> Result<Grant, IdentityError> {
    let role = Role::try_from(role)
        .map_err(|_| IdentityError::Internal(format!("event at {position}: role {role}")))?;
    let site = if site_id.is_empty() {
        None
    } else {
        Some(parse_id::<SiteId>(site_id, position)?)
    };
    Ok(Grant { role, site })
}

impl Directory {
    /// Whether the log must be read (see [`Freshness`]).
    pub fn is_stale(&self, committed: u64) -> bool {
        self.freshness.is_due(committed, self.position)
    }

    /// Reads and folds everything committed since the last catch-up.
    pub async fn catch_up(
        &mut self,
        store: &dyn EventStore,
        vault: &Vault,
    ) -> Result<(), IdentityError> {
        self.freshness.reading();
        // Only what the directory folds: staff, residents, and the
        // appointments' and waiting lists' links (not the drop-in queues,
        // the calendar or the reminders, most of a long log).
        let filter = Filter::categories([
            StaffId::CATEGORY,
            ResidentId::CATEGORY,
            contracts::streams::BOOKING,
            contracts::streams::WAITLIST,
        ]);
        loop {
            let events = store.read_all(self.position, BATCH, &filter).await?;
            let Some(last) = events.last().map(|e| e.position) else {
                return Ok(());
            };
            // The registered residents' keys in one read, not one each.
            let owners: Vec<Uuid> = events
                .iter()
                .filter(|e| e.category() == ResidentId::CATEGORY)
                .filter_map(|e| e.stream.split_once('-'))
                .filter_map(|(_, id)| id.parse::<Uuid>().ok())
                .collect();
            vault.prefetch(&owners).await?;
            for e in &events {
                self.fold(e, vault).await?;
            }
            self.position = last;
        }
    }

    pub fn position(&self) -> Position {
        self.position
    }

    async fn fold(&mut self, e: &RecordedEvent, vault: &Vault) -> Result<(), IdentityError> {
        let at = e.metadata.recorded_at;
        let p = e.position;
        if e.category() == StaffId::CATEGORY {
            self.fold_staff(e, vault).await?;
        } else if let Some(x) = decode_event::<rev::ResidentRegistered>(e)? {
            let id = parse_id(&x.resident_id, p)?;
            let sites = if x.site_id.is_empty() {
                BTreeSet::new()
            } else {
                BTreeSet::from([parse_id::<SiteId>(&x.site_id, p)?])
            };
            let phone = open(vault, x.phone.as_ref()).await?;
            let name = format!(
                "{} {}",
                open(vault, x.first_name.as_ref()).await?,
                open(vault, x.last_name.as_ref()).await?
            )
            .trim()
            .to_owned();
            self.residents.insert(
                id,
                ResidentView {
                    id,
                    registered_at: at,
                    erased: false,
                    version: e.version,
                    search_name: search_form(&name),
                    name,
                    phone: phone.clone(),
                    merged_into: None,
                    merged_from: BTreeSet::new(),
                    sites,
                },
            );
            self.by_phone.entry(phone).or_default().push(id);
        } else if let Some(x) = decode_event::<rev::ResidentErased>(e)? {
            let id: ResidentId = parse_id(&x.resident_id, p)?;
            vault.forget(id.0);
            if let Some(r) = self.residents.get_mut(&id) {
                r.erased = true;
                r.name.clear();
                r.search_name.clear();
                r.phone.clear();
            }
            for ids in self.by_phone.values_mut() {
                ids.retain(|r| *r != id);
            }
            for link in self.links.values_mut().filter(|l| l.resident_id == id) {
                link.revoked = true;
            }
        } else if let Some(x) = decode_event::<rev::ResidentMerged>(e)? {
            let id: ResidentId = parse_id(&x.resident_id, p)?;
            let into: ResidentId = parse_id(&x.into_resident_id, p)?;
            if let Some(r) = self.residents.get_mut(&id) {
                r.merged_into = Some(into);
            }
            if let Some(r) = self.residents.get_mut(&into) {
                r.merged_from.insert(id);
            }
            for ids in self.by_phone.values_mut() {
                ids.retain(|r| *r != id);
            }
        } else if let Some(x) = decode_event::<rev::ResidentUnmerged>(e)? {
            let id: ResidentId = parse_id(&x.resident_id, p)?;
            let from: ResidentId = parse_id(&x.from_resident_id, p)?;
            if let Some(r) = self.residents.get_mut(&from) {
                r.merged_from.remove(&id);
            }
            if let Some(r) = self.residents.get_mut(&id)
                && r.merged_into.take().is_some()
                && !r.erased
            {
                let (phone, registered) = (r.phone.clone(), r.registered_at);
                let ids = self.by_phone.entry(phone).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
                // Oldest first, as registered.
                let residents = &self.residents;
                ids.sort_by_key(|r| residents.get(r).map_or(registered, |v| v.registered_at));
            }
        } else if let Some(x) = decode_event::<aev::AppointmentBooked>(e)? {
            self.served(&x.resident_id, &x.site_id, p)?;
        } else if let Some(x) = decode_event::<aev::AppointmentMovedIn>(e)? {
            self.served(&x.resident_id, &x.site_id, p)?;
        } else if let Some(x) = decode_event::<aev::WaitlistJoined>(e)? {
            // Waiting for the site: its reception sees them.
            self.served(&x.resident_id, &x.site_id, p)?;
        } else if let Some(x) = decode_event::<ev::ManageLinkIssued>(e)? {
            self.links.insert(
                hash32(&x.token_sha256, p)?,
                LinkView {
                    appointment_id: parse_id(&x.appointment_id, p)?,
                    resident_id: parse_id(&x.resident_id, p)?,
                    expires_at: parse_time(&x.expires_at, p)?,
                    revoked: false,
                },
            );
        } else if let Some(x) = decode_event::<ev::ManageLinkRevoked>(e)?
            && let Some(link) = self.links.get_mut(&hash32(&x.token_sha256, p)?)
        {
            link.revoked = true;
        }
        if e.category() == ResidentId::CATEGORY
            && let Some(r) = e
                .stream
                .split_once('-')
                .and_then(|(_, id)| id.parse::<ResidentId>().ok())
                .and_then(|id| self.residents.get_mut(&id))
        {
            r.version = e.version;
        }
        Ok(())
    }

    /// Site `site` serves resident `resident` (an appointment there).
    fn served(&mut self, resident: &str, site: &str, p: Position) -> Result<(), IdentityError> {
        let resident: ResidentId = parse_id(resident, p)?;
        let site: SiteId = parse_id(site, p)?;
        if let Some(r) = self.residents.get_mut(&resident) {
            r.sites.insert(site);
        }
        Ok(())
    }

    async fn fold_staff(&mut self, e: &RecordedEvent, vault: &Vault) -> Result<(), IdentityError> {
        let at = e.metadata.recorded_at;
        let p = e.position;
        if let Some(x) = decode_event::<ev::StaffAccountCreated>(e)? {
            let id: StaffId = parse_id(&x.staff_id, p)?;
            let email = normalize_email(&open(vault, x.email.as_ref()).await?);
            self.by_email.insert(email.clone(), id);
            self.staff.insert(
                id,
                StaffView {
                    id,
                    email,
                    display_name: open(vault, x.display_name.as_ref()).await?,
                    grants: BTreeSet::new(),
                    password_hash: None,
                    disabled: false,
                    created_at: at,
                    sessions: HashMap::new(),
                    tokens: BTreeMap::new(),
                    version: e.version,
                },
            );
            return Ok(());
        }
        let Some(id) = e
            .stream
            .split_once('-')
            .and_then(|(_, id)| id.parse::<StaffId>().ok())
        else {
            return Ok(());
        };
        let Some(staff) = self.staff.get_mut(&id) else {
            return Ok(());
        };
        staff.version = e.version;
        if let Some(x) = decode_event::<ev::StaffRoleGranted>(e)? {
            staff.grants.insert(grant(x.role, &x.site_id, p)?);
        } else if let Some(x) = decode_event::<ev::StaffRoleRevoked>(e)? {
            staff.grants.remove(&grant(x.role, &x.site_id, p)?);
        } else if let Some(x) = decode_event::<ev::StaffPasswordSet>(e)? {
            // A new password ends every session and every API token: what
            // was made with the old one goes with it.
            staff.password_hash = Some(open(vault, x.password_hash.as_ref()).await?);
            for s in staff.sessions.values_mut() {
                s.open = false;
            }
            for t in staff.tokens.values_mut() {
                t.revoked = true;
            }
        } else if decode_event::<ev::StaffDisabled>(e)?.is_some() {
            staff.disabled = true;
            for s in staff.sessions.values_mut() {
                s.open = false;
            }
            for t in staff.tokens.values_mut() {
                t.revoked = true;
            }
        } else if decode_event::<ev::StaffEnabled>(e)?.is_some() {
            staff.disabled = false;
        } else if let Some(x) = decode_event::<ev::StaffSignedIn>(e)? {
            let session: Uuid = parse_id(&x.session_id, p)?;
            staff.sessions.insert(
                session,
                SessionView {
                    opened_at: at,
                    open: !staff.disabled,
                },
            );
            self.sessions.insert(session, id);
        } else if let Some(x) = decode_event::<ev::StaffSignedOut>(e)? {
            if let Some(s) = staff.sessions.get_mut(&parse_id(&x.session_id, p)?) {
                s.open = false;
            }
        } else if let Some(x) = decode_event::<ev::ApiTokenIssued>(e)? {
            let token_id: Uuid = parse_id(&x.token_id, p)?;
            staff.tokens.insert(
                token_id,
                TokenView {
                    token_id,
                    label: x.label,
                    issued_at: at,
                    expires_at: parse_time(&x.expires_at, p)?,
                    revoked: false,
                },
            );
            self.tokens
                .insert(hash32(&x.token_sha256, p)?, (id, token_id));
        } else if let Some(x) = decode_event::<ev::ApiTokenRevoked>(e)?
            && let Some(t) = staff.tokens.get_mut(&parse_id(&x.token_id, p)?)
        {
            t.revoked = true;
        }
        Ok(())
    }

    pub fn staff(&self, id: StaffId) -> Option<&StaffView> {
        self.staff.get(&id)
    }

    pub fn staff_by_email(&self, email: &str) -> Option<&StaffView> {
        self.by_email
            .get(&normalize_email(email))
            .and_then(|id| self.staff.get(id))
    }

    /// Every account, oldest first.
    pub fn all_staff(&self) -> Vec<&StaffView> {
        let mut all: Vec<&StaffView> = self.staff.values().collect();
        all.sort_by_key(|s| s.id);
        all
    }

    pub fn session(&self, session: Uuid) -> Option<(&StaffView, &SessionView)> {
        let staff = self.staff.get(self.sessions.get(&session)?)?;
        Some((staff, staff.sessions.get(&session)?))
    }

    pub fn token(&self, hash: &[u8; 32]) -> Option<(&StaffView, &TokenView)> {
        let (staff, token) = self.tokens.get(hash)?;
        let staff = self.staff.get(staff)?;
        Some((staff, staff.tokens.get(token)?))
    }

    pub fn resident(&self, id: ResidentId) -> Option<&ResidentView> {
        self.residents.get(&id)
    }

    pub fn residents(&self) -> impl Iterator<Item = &ResidentView> {
        self.residents.values()
    }

    /// The sites that serve a resident: their own, and those of the
    /// residents merged into them.
    pub fn sites_of(&self, id: ResidentId) -> BTreeSet<SiteId> {
        let mut sites = BTreeSet::new();
        let mut todo = vec![id];
        let mut seen = BTreeSet::new();
        while let Some(r) = todo.pop() {
            if !seen.insert(r) {
                continue;
            }
            if let Some(v) = self.residents.get(&r) {
                sites.extend(v.sites.iter().copied());
                todo.extend(v.merged_from.iter().copied());
            }
        }
        sites
    }

    /// Whether staff serving `scope` may see the resident: one of their
    /// sites serves them.
    pub fn visible(&self, id: ResidentId, scope: &Scope) -> bool {
        *scope == Scope::Everywhere || scope.meets(self.sites_of(id).iter())
    }

    /// Residents found by `query`, as staff serving `scope` may find them:
    /// by phone number (in any form people write it), every resident
    /// registered with it, whatever their sites (the phone is what a
    /// resident gives at the desk or on the phone, to be booked); by name,
    /// those of `scope`'s sites whose name has a word beginning with each
    /// word of `query`. At most `limit`, merged and erased ones left out.
    pub fn search_residents(&self, query: &str, scope: &Scope, limit: usize) -> Vec<&ResidentView> {
        if let Ok(phone) = contracts::PhoneNumber::parse(query) {
            return self
                .residents_by_phone(phone.as_str())
                .iter()
                .filter_map(|id| self.residents.get(id))
                .take(limit)
                .collect();
        }
        let words: Vec<String> = search_form(query)
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<&ResidentView> = self
            .residents
            .values()
            .filter(|r| {
                !r.erased
                    && r.merged_into.is_none()
                    && words
                        .iter()
                        .all(|w| r.search_name.split(' ').any(|n| n.starts_with(w.as_str())))
                    && self.visible(r.id, scope)
            })
            .collect();
        found.sort_by(|a, b| a.search_name.cmp(&b.search_name).then(a.id.cmp(&b.id)));
        found.truncate(limit);
        found
    }

    /// Other residents who may be the same person: the same phone number
    /// and a name that shares a word.
    pub fn possible_duplicates(&self, id: ResidentId) -> Vec<ResidentId> {
        let Some(r) = self.residents.get(&id).filter(|r| !r.erased) else {
            return Vec::new();
        };
        let words: Vec<&str> = r.search_name.split(' ').filter(|w| w.len() > 1).collect();
        self.residents_by_phone(&r.phone)
            .iter()
            .filter(|other| **other != id)
            .filter_map(|other| self.residents.get(other))
            .filter(|o| o.search_name.split(' ').any(|w| words.contains(&w)))
            .map(|o| o.id)
            .collect()
    }

    /// The resident registered with `phone` (E.164) under `name` (the same
    /// words, in any order, case and accents aside), if there is one: who a
    /// booking with that phone and name is for. A booking under another
    /// name is another person (families share a phone), never attached to
    /// the resident the phone belongs to.
    pub fn resident_named(&self, phone: &str, name: &str) -> Option<ResidentId> {
        let wanted = name_words(name);
        self.residents_by_phone(phone)
            .iter()
            .rev()
            .copied()
            .find(|id| {
                self.residents
                    .get(id)
                    .is_some_and(|r| name_words(&r.name) == wanted)
            })
    }

    /// Residents registered with this phone number (E.164), oldest first.
    pub fn residents_by_phone(&self, phone: &str) -> &[ResidentId] {
        self.by_phone.get(phone).map_or(&[], Vec::as_slice)
    }

    pub fn link(&self, hash: &[u8; 32]) -> Option<&LinkView> {
        self.links.get(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_meet_whatever_their_accents_case_and_apostrophes() {
        assert_eq!(search_form("Éloïse N'Diaye"), "eloise ndiaye");
        assert_eq!(
            search_form("  FRANÇOIS   Lœuvre-Dupont "),
            "francois loeuvredupont"
        );
        assert_eq!(search_form("Zoé"), search_form("zoe"));
    }
}
