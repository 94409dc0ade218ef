//! What staff may see of residents, and the record of what they saw.
//!
//! A resident belongs to the sites that serve them: where they have or had
//! an appointment, or whose staff registered them. Front-desk staff see
//! the residents of the sites where they hold a front-desk role; a grant
//! for every site (an administrator's, say) sees every resident. A phone
//! number typed whole finds its residents whatever their sites: it is what
//! a resident gives at the desk to be booked. A name finds only residents
//! of the reader's sites.
//!
//! Every read of a resident's personal data (a search, a record, an
//! export, a list with names and numbers) is a `ResidentRecordsRead` event
//! in the reader's `residentreads-<staff id>` stream, so that the audit of
//! a resident says who saw them and why. The same reader reading the same
//! residents for the same purpose within [`QUIET`] is recorded once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use api::{FRONT_DESK, Principal, Scope};
use contracts::proto::residents::v1 as rev;
use contracts::{PhoneNumber, ResidentId};
use eventlog::{ExpectedVersion, StreamName};
use uuid::Uuid;

use crate::directory::ResidentView;
use crate::error::IdentityError;
use crate::service::Identity;

pub use rev::ReadPurpose;

/// The category of the streams that record reads, one per staff member.
pub const READS: &str = "residentreads";

/// A repeated read within this long is not recorded again.
pub const QUIET: Duration = Duration::from_secs(10 * 60);

/// The most residents one search answers.
pub const SEARCH_LIMIT: usize = 20;

/// A resident as staff see them (the port's type: reception's search
/// answers it through `contracts::ports::ResidentSearch`).
pub use contracts::ports::FoundResident as ResidentSeen;

fn seen(r: &ResidentView, duplicates: Vec<ResidentId>) -> ResidentSeen {
    ResidentSeen {
        id: r.id,
        name: r.name.clone(),
        phone: r.phone.clone(),
        possible_duplicates: duplicates,
    }
}

/// The sites whose residents `who` may see.
pub fn scope_of(who: &Principal) -> Scope {
    who.scope(FRONT_DESK)
}

impl Identity {
    /// Reception's search, as `who` may search: by phone, everyone
    /// registered with it; by name (each word the beginning of a word of
    /// the name, at least two letters in all), residents of `who`'s sites.
    /// Recorded in the audit.
    pub async fn find_residents(
        &self,
        who: &Principal,
        correlation: Uuid,
        query: &str,
    ) -> Result<Vec<ResidentSeen>, IdentityError> {
        let letters = query.chars().filter(|c| c.is_alphanumeric()).count();
        if letters < 2 {
            return Err(IdentityError::Invalid(messages::say!(
                crate::MESSAGES,
                "type-at-least-two-letters"
            )));
        }
        let scope = scope_of(who);
        let found: Vec<ResidentSeen> = {
            let d = self.directory().await?;
            d.search_residents(query, &scope, SEARCH_LIMIT)
                .into_iter()
                .map(|r| {
                    let duplicates = d
                        .possible_duplicates(r.id)
                        .into_iter()
                        .filter(|o| d.visible(*o, &scope))
                        .collect();
                    seen(r, duplicates)
                })
                .collect()
        };
        self.record_reads(
            who,
            correlation,
            ReadPurpose::Search,
            found.iter().map(|r| r.id),
        )
        .await?;
        Ok(found)
    }

    /// The residents of `ids` that `who` may see, by id, recorded in the
    /// audit with `purpose`; the others are left out (an erased resident
    /// reads with an empty name).
    pub async fn residents_for(
        &self,
        who: &Principal,
        correlation: Uuid,
        purpose: ReadPurpose,
        ids: impl IntoIterator<Item = ResidentId>,
    ) -> Result<BTreeMap<ResidentId, ResidentSeen>, IdentityError> {
        let scope = scope_of(who);
        let shown: BTreeMap<ResidentId, ResidentSeen> = {
            let d = self.directory().await?;
            ids.into_iter()
                .filter(|id| d.visible(*id, &scope))
                .filter_map(|id| d.resident(id).map(|r| (id, seen(r, Vec::new()))))
                .collect()
        };
        self.record_reads(who, correlation, purpose, shown.keys().copied())
            .await?;
        Ok(shown)
    }

    /// Whether `who` may see resident `id`, or the 404 a stranger gets
    /// (the same whether the resident exists elsewhere or not at all).
    pub async fn check_visible(
        &self,
        who: &Principal,
        id: ResidentId,
    ) -> Result<(), IdentityError> {
        let visible = self.directory().await?.visible(id, &scope_of(who));
        if visible {
            Ok(())
        } else {
            Err(IdentityError::NotFound(messages::say!(
                crate::MESSAGES,
                "there-is-no-resident-at",
                id = id
            )))
        }
    }

    /// Records that `who` read the personal data of `ids` for `purpose`,
    /// unless the same read was recorded within [`QUIET`].
    pub async fn record_reads(
        &self,
        who: &Principal,
        correlation: Uuid,
        purpose: ReadPurpose,
        ids: impl IntoIterator<Item = ResidentId>,
    ) -> Result<(), IdentityError> {
        let ids: BTreeSet<ResidentId> = ids.into_iter().collect();
        if ids.is_empty() {
            return Ok(());
        }
        let resident_ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let key = format!(
            "{}|{}|{}",
            who.staff_id,
            purpose.as_str_name(),
            resident_ids.join(",")
        );
        if self.inner.reads_recorded.hit(&key).await.is_err() {
            return Ok(());
        }
        let e = who
            .acting(api::CorrelationId(correlation), api::Now(self.now()))
            .event(&rev::ResidentRecordsRead {
                resident_ids,
                purpose: purpose.into(),
            })?;
        let stream = StreamName::of(READS, who.staff_id.0)?;
        self.inner
            .store
            .append(&stream, ExpectedVersion::Any, vec![e])
            .await?;
        Ok(())
    }

    /// The residents registered with `phone` under `name`, if any: see
    /// [`crate::Directory::resident_named`].
    pub async fn resident_named(
        &self,
        phone: &PhoneNumber,
        name: &str,
    ) -> Result<Option<ResidentId>, IdentityError> {
        Ok(self.directory().await?.resident_named(phone.as_str(), name))
    }
}
