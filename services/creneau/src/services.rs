//! Which services a `serve` process runs (`--services`): a process serves
//! only their routes and runs only their background work, so that the API,
//! the reminders dispatcher and the statistics can run apart, each as many
//! times as wanted, over one PostgreSQL log.

use std::fmt;
use std::str::FromStr;

/// One service of Créneau.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// Staff accounts, sessions, residents; the retention sweep.
    Identity,
    /// Sites and permanence rules.
    Calendar,
    /// Bookings, visits, the drop-in queue; the no-show sweep.
    Appointments,
    /// SMS and email reminders; their dispatch (one process at a time).
    Reminders,
    /// The figures; storing their fold (one process at a time).
    Stats,
    /// The pages for residents and staff.
    Web,
    /// Deliveries to other systems' webhooks (one process at a time).
    Webhooks,
}

impl Service {
    pub const ALL: [Service; 7] = [
        Service::Identity,
        Service::Calendar,
        Service::Appointments,
        Service::Reminders,
        Service::Stats,
        Service::Web,
        Service::Webhooks,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Service::Identity => "identity",
            Service::Calendar => "calendar",
            Service::Appointments => "appointments",
            Service::Reminders => "reminders",
            Service::Stats => "stats",
            Service::Web => "web",
            Service::Webhooks => "webhooks",
        }
    }

    /// The lease of the work that must happen once, for the services that
    /// have some: (lease name, what stops when no process holds it).
    pub fn singleton(self) -> Option<(&'static str, &'static str)> {
        match self {
            Service::Identity => Some((
                crate::admin::RETENTION_WORK,
                "personal data past its retention period is not erased",
            )),
            Service::Appointments => Some((
                crate::admin::NO_SHOWS_WORK,
                "missed appointments are not marked as no-shows",
            )),
            Service::Reminders => Some((reminders::LEASE_WORK, "no SMS or email is sent")),
            Service::Stats => Some((
                crate::server::STATS_WORK,
                "the figures are not stored (each process folds them itself)",
            )),
            Service::Webhooks => Some((webhooks::LEASE_WORK, "nothing is delivered to webhooks")),
            Service::Calendar | Service::Web => None,
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of services, read from `identity,calendar,…` (or `all`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Services(Vec<Service>);

impl Services {
    pub fn all() -> Self {
        Services(Service::ALL.to_vec())
    }

    pub fn runs(&self, s: Service) -> bool {
        self.0.contains(&s)
    }

    pub fn iter(&self) -> impl Iterator<Item = Service> + '_ {
        self.0.iter().copied()
    }

    /// The services with work that must happen once that this set leaves
    /// to other processes.
    pub fn leaves(&self) -> impl Iterator<Item = Service> + '_ {
        Service::ALL
            .into_iter()
            .filter(|s| s.singleton().is_some() && !self.runs(*s))
    }
}

impl Default for Services {
    fn default() -> Self {
        Services::all()
    }
}

impl fmt::Display for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|s| s.name()).collect();
        f.write_str(&names.join(","))
    }
}

/// Why a `--services` list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServicesError {
    #[error("unknown service {0:?}: the services are {names} (or all)", names = names())]
    Unknown(String),
    #[error("no service named: give one or more of {names} (or all)", names = names())]
    Empty,
}

fn names() -> String {
    Service::ALL.map(Service::name).join(", ")
}

impl FromStr for Services {
    type Err = ServicesError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut chosen = Vec::new();
        for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            if word.eq_ignore_ascii_case("all") {
                return Ok(Services::all());
            }
            let s = Service::ALL
                .into_iter()
                .find(|s| s.name().eq_ignore_ascii_case(word))
                .ok_or_else(|| ServicesError::Unknown(word.to_owned()))?;
            if !chosen.contains(&s) {
                chosen.push(s);
            }
        }
        if chosen.is_empty() {
            return Err(ServicesError::Empty);
        }
        chosen.sort();
        Ok(Services(chosen))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_read_in_any_order_and_case_once_each() {
        let s: Services = " Web,reminders,web ,stats".parse().expect("list");
        assert_eq!(s.to_string(), "reminders,stats,web");
        assert!(s.runs(Service::Web) && !s.runs(Service::Identity));
        assert_eq!("all".parse::<Services>(), Ok(Services::all()));
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_list_of_names() {
        let e = "appointments,remiders".parse::<Services>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown service \"remiders\": the services are identity, calendar, appointments, reminders, stats, web, webhooks (or all)"
        );
        assert_eq!(",".parse::<Services>(), Err(ServicesError::Empty));
    }

    #[test]
    fn a_set_says_which_work_that_must_happen_once_it_leaves_to_others() {
        let api: Services = "identity,calendar,appointments,web".parse().expect("list");
        let left: Vec<Service> = api.leaves().collect();
        assert_eq!(
            left,
            vec![Service::Reminders, Service::Stats, Service::Webhooks]
        );
        assert_eq!(Services::all().leaves().count(), 0);
    }
}
