//! Several processes on one PostgreSQL database: what must hold across them
//! holds in the store, not in one process's memory.

use std::sync::Arc;

use contracts::PhoneNumber;
use eventlog::EventStore;

use crate::cli::{
    creneau, http, json_body, postgres_admin_url, run_to_end, start_server_with, stop, temp_dir,
};

/// A scratch database on the tests' PostgreSQL server, and a folder; `None`
/// where no server is reachable (outside CI).
async fn scratch() -> Option<(eventlog::postgres::ScratchDatabase, std::path::PathBuf)> {
    let admin = postgres_admin_url().await?;
    let db = eventlog::postgres::ScratchDatabase::create(&admin)
        .await
        .expect("scratch");
    Some((db, temp_dir()))
}

/// Runs `command admin create` for chef@ville.fr; the password it made.
fn create_admin(mut command: std::process::Command) -> String {
    command.args([
        "admin",
        "create",
        "--email",
        "chef@ville.fr",
        "--name",
        "Camille Chef",
        "--generate-password",
    ]);
    let (code, out) = run_to_end(command);
    assert_eq!(code, 0, "{out}");
    out.lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("the generated password")
        .trim()
        .to_owned()
}

/// Stops the servers it holds when dropped (a test that panics too).
struct Stop(Vec<std::process::Child>);

impl Drop for Stop {
    fn drop(&mut self) {
        for child in self.0.drain(..) {
            stop(child);
        }
    }
}

/// Wrong passwords sent to two servers count together: five in all lock
/// the account for that address on both, where each process alone would
/// have seen three and two.
#[tokio::test]
async fn a_sign_in_lockout_holds_across_two_server_processes() {
    let Some((db, dir)) = scratch().await else {
        return;
    };
    let url = db.url.clone();
    let answers = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let password = create_admin({
                let mut c = creneau(&dir);
                c.args(["--store", &url]);
                c
            });
            let (one, at_one, _) = start_server_with(&dir, &["--store", &url]);
            let (two, at_two, _) = start_server_with(&dir, &["--store", &url]);
            let _stop = Stop(vec![one, two]);
            let wrong = r#"{"email":"chef@ville.fr","password":"not it at all"}"#;
            let mut answers = Vec::new();
            for address in [&at_one, &at_two, &at_one, &at_two, &at_one] {
                answers.push(http(address, "POST", "/api/v1/session", &[], Some(wrong)));
            }
            let right = format!(r#"{{"email":"chef@ville.fr","password":"{password}"}}"#);
            answers.push(http(&at_two, "POST", "/api/v1/session", &[], Some(&right)));
            answers
        }
    })
    .await
    .expect("servers");
    for wrong in &answers[..4] {
        assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    }
    assert!(
        answers[4].starts_with("HTTP/1.1 429"),
        "the fifth wrong password, the second at this process, locks: {}",
        answers[4]
    );
    assert!(
        answers[5].starts_with("HTTP/1.1 429") && answers[5].contains("retry-after"),
        "the other process knows the lock: {}",
        answers[5]
    );
    db.drop_database().await.expect("drop");
    let _ = std::fs::remove_dir_all(dir);
}

/// Two identity services on two connection pools to one database (what
/// two processes are, without the HTTP around them): the tries of a
/// booking code, and its single use, are counted once for both.
#[tokio::test]
async fn booking_code_tries_and_its_single_use_hold_across_two_processes() {
    let Some(admin) = postgres_admin_url().await else {
        return;
    };
    messages::set_default(messages::Language::En);
    let db = eventlog::postgres::ScratchDatabase::create(&admin)
        .await
        .expect("scratch");
    let master = contracts::MasterKey::generate().expect("key");
    let mut services = Vec::new();
    for _ in 0..2 {
        let store: Arc<dyn EventStore> = Arc::new(
            eventlog::postgres::PostgresStore::open(&db.url)
                .await
                .expect("store"),
        );
        let vault = contracts::Vault::open(master.clone(), Arc::clone(&store))
            .await
            .expect("vault");
        services.push(
            identity::Identity::new(
                store,
                vault,
                identity::Settings::default(),
                creneau_tests::test_clock(),
            )
            .await
            .expect("identity"),
        );
    }
    let (one, two) = (&services[0], &services[1]);
    let phone = PhoneNumber::parse("0612345678").expect("phone");

    // Used at one, refused at the other.
    let issued = one
        .issue_booking_code(&phone, "192.0.2.1")
        .await
        .expect("code");
    one.check_booking_code(&issued.challenge, &phone, &issued.code)
        .await
        .expect("the right code");
    let again = two
        .check_booking_code(&issued.challenge, &phone, &issued.code)
        .await;
    assert!(
        matches!(again, Err(identity::IdentityError::Refused(_))),
        "a code books once, whichever process checks it: {again:?}"
    );

    // Five wrong tries, three here and two there, end the challenge.
    let issued = two
        .issue_booking_code(&phone, "192.0.2.1")
        .await
        .expect("code");
    let wrong = if issued.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    for service in [one, two, one, two, one] {
        let tried = service
            .check_booking_code(&issued.challenge, &phone, wrong)
            .await;
        assert!(tried.is_err(), "{tried:?}");
    }
    let right = two
        .check_booking_code(&issued.challenge, &phone, &issued.code)
        .await;
    assert!(
        matches!(right, Err(identity::IdentityError::Refused(_))),
        "five wrong tries in all end the code on both processes: {right:?}"
    );

    // Codes per number: the daily quota is one count for both.
    let mut sent = 2;
    let mut refused = None;
    for (i, service) in [one, two].iter().cycle().take(8).enumerate() {
        match service
            .issue_booking_code(&phone, &format!("198.51.100.{i}"))
            .await
        {
            Ok(_) => sent += 1,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    assert_eq!(
        sent, 3,
        "three codes per number in 15 minutes, across both processes"
    );
    assert!(matches!(
        refused,
        Some(identity::IdentityError::TooMany { .. })
    ));
    drop(services);
    db.drop_database().await.expect("drop");
}

/// What a test needs of two servers on one scratch PostgreSQL database with
/// the demo city: their addresses, and a signed-in administrator.
struct TwoServers {
    _children: Stop,
    at: [String; 2],
    /// Their log lines, as they come.
    logs: [crate::cli::Log; 2],
    cookie: String,
    csrf: String,
}

fn two_servers_with_demo(dir: &std::path::Path, url: &str) -> TwoServers {
    let clock = creneau_tests::test_now().to_rfc3339();
    let with = |args: &[&str]| {
        let mut c = creneau(dir);
        c.env("CRENEAU_CLOCK_START", &clock)
            .args(["--store", url])
            .args(args);
        c
    };
    let (code, out) = run_to_end(with(&["demo"]));
    assert_eq!(code, 0, "{out}");
    let password = create_admin(with(&[]));
    // Both servers start their clocks at the tests' instant.
    let start = |dir: &std::path::Path| {
        let mut c = creneau(dir);
        c.env("CRENEAU_CLOCK_START", &clock);
        crate::cli::start_command(c, &["--store", url], &[])
    };
    let (one, at_one, log_one) = start(dir);
    let (two, at_two, log_two) = start(dir);
    let (cookie, csrf) = crate::cli::sign_in(&at_one, "chef@ville.fr", &password);
    TwoServers {
        _children: Stop(vec![one, two]),
        at: [at_one, at_two],
        logs: [log_one, log_two],
        cookie,
        csrf,
    }
}

fn header_of(answer: &str, name: &str) -> Option<String> {
    answer.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

/// Racers split across two API processes for one time: never more
/// bookings than desks, every loser answered 409 with other times; then a
/// resident books through one process and reads the booking back at once
/// through the other.
#[tokio::test]
async fn a_race_across_two_processes_never_overbooks_and_a_booking_reads_back_through_the_other() {
    let Some((db, dir)) = scratch().await else {
        return;
    };
    let url = db.url.clone();
    tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let s = two_servers_with_demo(&dir, &url);
            let sites = json_body(&http(&s.at[0], "GET", "/api/v1/sites", &[], None));
            // A site that books online without a code, so that a resident
            // can book below.
            let site = sites
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .find(|s| s["confirms_online_bookings_by_sms"] == false)
                })
                .expect("a demo site")["site_id"]
                .as_str()
                .expect("site id")
                .to_owned();
            let free = json_body(&http(
                &s.at[1],
                "GET",
                &format!("/api/v1/availability?site={site}&reason=procedure_caf&days=30"),
                &[],
                None,
            ));
            let free = free.as_array().expect("availability");
            let first = free.first().expect("a free time in the demo city");
            let start = first["start"].as_str().expect("start").to_owned();
            let permanence = first["permanence"].as_str().expect("permanence").to_owned();

            // The race: 24 staff bookings for one time, half through each.
            let racers: Vec<_> = (0..24)
                .map(|i| {
                    let (at, cookie, csrf) = (s.at[i % 2].clone(), s.cookie.clone(), s.csrf.clone());
                    let body = format!(
                        r#"{{"site":"{site}","start":"{start}","reason":"procedure_caf","resident":{{"name":"Racer {i}","phone":"0612{:06}"}}}}"#,
                        i + 1
                    );
                    std::thread::spawn(move || {
                        http(
                            &at,
                            "POST",
                            "/api/v1/appointments",
                            &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
                            Some(&body),
                        )
                    })
                })
                .collect();
            let answers: Vec<String> = racers
                .into_iter()
                .map(|r| r.join().expect("racer"))
                .collect();
            let won = answers.iter().filter(|a| a.starts_with("HTTP/1.1 201")).count();
            for lost in answers.iter().filter(|a| !a.starts_with("HTTP/1.1 201")) {
                assert!(lost.starts_with("HTTP/1.1 409"), "{lost}");
                assert!(
                    json_body(lost)["alternatives"].as_array().is_some_and(|a| !a.is_empty()),
                    "a loser is offered other times: {lost}"
                );
            }
            let desks = json_body(&http(
                &s.at[0],
                "GET",
                &format!("/api/v1/permanences/{permanence}"),
                &[],
                None,
            ))["desks"]
                .as_u64()
                .expect("desks");
            assert!(won >= 1, "someone wins the free place");
            let held = json_body(&http(
                &s.at[1],
                "GET",
                &format!("/api/v1/sites/{site}/permanences/{permanence}/appointments"),
                &[("Cookie", &s.cookie)],
                None,
            ));
            let at_that_time = held
                .as_array()
                .expect("appointments")
                .iter()
                .filter(|a| a["start"] == start.as_str() && a["status"] == "booked")
                .count();
            assert!(
                at_that_time as u64 <= desks,
                "{at_that_time} bookings for {desks} desks ({won} won the race)"
            );
            for at in &s.at {
                let again = json_body(&http(
                    at,
                    "GET",
                    &format!("/api/v1/availability?site={site}&reason=procedure_caf&days=30"),
                    &[],
                    None,
                ));
                assert!(
                    !again
                        .as_array()
                        .expect("availability")
                        .iter()
                        .any(|a| a["start"] == start.as_str()),
                    "neither process offers the full time any more"
                );
            }

            // Read your own writes: book at one, read at the other at once.
            let next = free.get(1).expect("a second free time");
            let body = format!(
                r#"{{"site":"{site}","start":"{}","reason":"procedure_caf","resident":{{"name":"Zoé Benali","phone":"0699887766"}}}}"#,
                next["start"].as_str().expect("start")
            );
            let booked = http(&s.at[0], "POST", "/api/v1/appointments", &[], Some(&body));
            assert!(booked.starts_with("HTTP/1.1 201"), "{booked}");
            let position = header_of(&booked, "x-creneau-position").expect("the write's position");
            let shown = json_body(&booked);
            let token = shown["manage_url"]
                .as_str()
                .and_then(|u| u.rsplit('/').next())
                .expect("manage link")
                .to_owned();
            let id = shown["id"].as_str().expect("id");
            let read = http(
                &s.at[1],
                "GET",
                &format!("/api/v1/appointments/{id}"),
                &[
                    ("Authorization", &format!("Bearer {token}")),
                    ("X-Creneau-After", &position),
                ],
                None,
            );
            assert!(read.starts_with("HTTP/1.1 200"), "{read}");
            assert_eq!(json_body(&read)["reference"], shown["reference"]);
        }
    })
    .await
    .expect("servers");
    db.drop_database().await.expect("drop");
    let _ = std::fs::remove_dir_all(dir);
}

/// On SQLite one server owns the file: a second `serve` stops at once and
/// says why, a split `--services` list is refused before anything opens,
/// and one-shot commands still work beside the server.
#[test]
fn a_second_server_on_one_sqlite_file_is_refused_and_commands_still_work() {
    let dir = temp_dir();
    let run = |args: &[&str]| {
        run_to_end({
            let mut c = creneau(&dir);
            c.args(args);
            c
        })
    };
    let (first, _, _) = start_server_with(&dir, &[]);
    let _stop = Stop(vec![first]);
    let (code, out) = run(&["--listen", "127.0.0.1:0", "serve"]);
    assert_ne!(code, 0);
    assert!(
        out.contains("another creneau serve is using data/creneau.db")
            && out.contains("use PostgreSQL"),
        "{out}"
    );
    assert_eq!(out.trim().lines().count(), 1, "one line: {out}");
    let (code, out) = run(&["serve", "--services", "reminders"]);
    assert_ne!(code, 0);
    assert!(
        out.contains("with SQLite one process serves the file"),
        "{out}"
    );
    let (code, out) = run(&["serve", "--services", "identity,remiders"]);
    assert_ne!(code, 0);
    assert!(
        out.contains("unknown service \"remiders\": the services are identity, calendar, appointments, reminders, stats, web"),
        "{out}"
    );
    let (code, out) = run(&["events", "stats"]);
    assert_eq!(code, 0, "a command beside the server: {out}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Every service in this process over the PostgreSQL log at `url` (they
/// run no background work: only `serve` does), a master key file in `dir`
/// for the processes, and a clock in the daytime of the tests' day (no SMS
/// leaves at night, no offer is made then, and a booking's confirmation
/// is sent only soon after it): the processes' clocks start where this one
/// is when they start.
async fn services_in_the_daytime(
    url: &str,
    dir: &std::path::Path,
) -> (
    Arc<dyn EventStore>,
    Arc<dyn eventlog::Clock>,
    creneau::server::AppState,
) {
    let store: Arc<dyn EventStore> = Arc::new(
        eventlog::postgres::PostgresStore::open(url)
            .await
            .expect("store"),
    );
    let master = contracts::MasterKey::generate().expect("key");
    master
        .write_new_file(&dir.join("master.key"))
        .expect("key file");
    let vault = contracts::Vault::open(master, Arc::clone(&store))
        .await
        .expect("vault");
    let clock: Arc<dyn eventlog::Clock> =
        eventlog::RunningClock::new(creneau_tests::daytime_from(creneau_tests::test_now()));
    let state =
        creneau_tests::services_over(Arc::clone(&store), vault, Arc::clone(&clock), dir, "all")
            .await;
    (store, clock, state)
}

/// Confirmations due in a PostgreSQL log, a provider stand-in, and how to
/// start `serve --services reminders` on them, as `deploy/` runs it.
struct DueReminders {
    store: Arc<dyn EventStore>,
    url: String,
    dir: std::path::PathBuf,
    clock: Arc<dyn eventlog::Clock>,
    stand_in: creneau_tests::sms_stand_in::StandIn,
    config: std::path::PathBuf,
    /// The services in this process, which wrote the bookings (they run
    /// no background work: only `serve` does).
    _state: creneau::server::AppState,
}

impl DueReminders {
    const SECRET: &str = "stand-in secret";

    /// `count` appointments booked four open days ahead at a new site of the
    /// log at `url`: only their confirmations are due.
    async fn book(url: &str, dir: &std::path::Path, count: usize) -> DueReminders {
        use contracts::proto::calendar::v1 as cal;
        messages::set_default(messages::Language::En);
        let (store, clock, state) = services_in_the_daytime(url, dir).await;
        let now = clock.now();
        let acting = api::Acting::system("test", now);
        let site = state
            .calendar
            .open_site(
                &acting,
                &cal::SiteDetails {
                    name: "Tilleuls".into(),
                    address: "12 rue des Tilleuls".into(),
                    open: true,
                    ..Default::default()
                },
            )
            .await
            .expect("site");
        let today = contracts::time::local_date(now);
        state
            .calendar
            .create_rule(
                &acting,
                &cal::PermanenceRule {
                    site_id: site.to_string(),
                    cron: "0 8 * * *".into(),
                    duration_minutes: 720,
                    valid_from: today.to_string(),
                    offer: Some(cal::Offer {
                        appointments: true,
                        appointment_minutes: 10,
                        desks: 20,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await
            .expect("rule");
        let day = creneau_tests::open_day_after(today, 4);
        creneau_tests::book_many(&state.appointments, site, day, count, &acting).await;
        let stand_in = creneau_tests::sms_stand_in::StandIn::start(Self::SECRET).await;
        let config = dir.join("creneau.toml");
        std::fs::write(
            &config,
            format!(
                "[sms]\nprovider = \"webhook\"\nurl = \"{}/sms\"\nsecret = \"{}\"\ntimeout_seconds = 5\n",
                stand_in.url(),
                Self::SECRET
            ),
        )
        .expect("config");
        DueReminders {
            store,
            url: url.to_owned(),
            dir: dir.to_owned(),
            clock,
            stand_in,
            config,
            _state: state,
        }
    }

    /// Starts `serve --services reminders`, its clock where this one is.
    fn start(&self) -> (std::process::Child, String, crate::cli::Log) {
        let mut c = creneau(&self.dir);
        c.env("CRENEAU_CLOCK_START", self.clock.now().to_rfc3339());
        crate::cli::start_command(
            c,
            &[
                "--store",
                &self.url,
                "--master-key-file",
                &self.dir.join("master.key").display().to_string(),
                "--config",
                &self.config.display().to_string(),
            ],
            &["--services", "reminders"],
        )
    }

    /// How many appointments the provider received a message for.
    fn distinct(&self) -> usize {
        self.stand_in
            .received()
            .iter()
            .map(|r| r.reference.split('.').next().unwrap_or_default().to_owned())
            .collect::<std::collections::HashSet<_>>()
            .len()
    }

    /// Waits (two minutes at most) until `count` appointments had their
    /// message, then checks that none had it twice and the stand-in read
    /// every request as the provider's API says.
    async fn all_sent_once(&self, count: usize, since: std::time::Instant) {
        while self.distinct() < count {
            assert!(
                since.elapsed() < std::time::Duration::from_secs(120),
                "only {} of {count} sent two minutes on",
                self.distinct()
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let received = self.stand_in.received();
        assert_eq!(
            received.len(),
            count,
            "{} messages sent twice",
            received.len().saturating_sub(count)
        );
        assert!(
            self.stand_in.wrong().is_empty(),
            "{:?}",
            self.stand_in.wrong()
        );
    }

    /// Waits (a minute at most) until the provider received `count` messages.
    async fn until_received(&self, count: usize, logs: &[&crate::cli::Log]) {
        let waited = std::time::Instant::now();
        while self.stand_in.received().len() < count {
            assert!(
                waited.elapsed() < std::time::Duration::from_secs(60),
                "{} messages sent in a minute; the logs: {:?}",
                self.stand_in.received().len(),
                logs.iter()
                    .map(|log| log.lock().map(|l| l
                        .iter()
                        .rev()
                        .take(20)
                        .cloned()
                        .collect::<Vec<_>>()))
                    .collect::<Vec<_>>(),
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

/// Kills with SIGKILL the process of `pair` that holds `lease-<work>`: the
/// one whose id opens the lease's holder (the last one taken: the
/// processes' clocks are not the test's).
async fn kill_the_holder(pair: &mut Stop, store: &dyn EventStore, work: &str) {
    let holder = api::holder_of(store, work, chrono::DateTime::<chrono::Utc>::MIN_UTC)
        .await
        .expect("lease")
        .expect("a holder")
        .holder;
    let pid: u32 = holder
        .split('-')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a process id");
    let active = pair
        .0
        .iter()
        .position(|c| c.id() == pid)
        .expect("one of the pair holds the lease");
    let mut killed = pair.0.remove(active);
    killed.kill().expect("SIGKILL");
    killed.wait().expect("reap");
}

/// A reminders pair on PostgreSQL, as `deploy/` runs it: two `serve
/// --services reminders` processes, 1,000 confirmations due. The one
/// holding the lease is killed with SIGKILL mid-dispatch; the other takes
/// over, and every message reaches the provider stand-in exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standby_of_a_reminders_pair_takes_over_from_a_killed_dispatcher_and_sends_each_message_once()
 {
    const MESSAGES: usize = 1000;
    let Some((db, dir)) = scratch().await else {
        return;
    };
    let due = DueReminders::book(&db.url, &dir, MESSAGES).await;
    let (one, _, log_one) = due.start();
    let (two, _, log_two) = due.start();
    let mut pair = Stop(vec![one, two]);
    due.until_received(100, &[&log_one, &log_two]).await;
    kill_the_holder(&mut pair, due.store.as_ref(), reminders::LEASE_WORK).await;
    let killed_at = std::time::Instant::now();
    let sent_by_the_first = due.stand_in.received().len();
    assert!(
        sent_by_the_first < MESSAGES,
        "killed before the end: {sent_by_the_first}"
    );
    let mut took_over = None;
    while due.distinct() < MESSAGES && killed_at.elapsed() < std::time::Duration::from_secs(120) {
        if took_over.is_none() && due.stand_in.received().len() > sent_by_the_first {
            took_over = Some(killed_at.elapsed());
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    due.all_sent_once(MESSAGES, killed_at).await;
    let took_over = took_over.unwrap_or_else(|| killed_at.elapsed());
    // What BENCHMARKS.md reports (the lease lasts 5 s; a standby retries
    // every second).
    eprintln!(
        "reminders failover: {sent_by_the_first} sent before SIGKILL, the standby's first after {:.2} s, all {MESSAGES} once",
        took_over.as_secs_f64()
    );
    drop(pair);
    drop(due);
    db.drop_database().await.expect("drop");
    let _ = std::fs::remove_dir_all(dir);
}

/// PostgreSQL stops in the middle of a dispatch and comes back: the
/// reminders process stays up, and every confirmation due reaches the
/// provider once, none lost to the outage and none sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_and_started_mid_dispatch_loses_no_reminder_and_sends_none_twice() {
    const MESSAGES: usize = 400;
    let Some(cluster) = PrivateCluster::started().await else {
        return;
    };
    let dir = temp_dir();
    let due = DueReminders::book(&cluster.url, &dir, MESSAGES).await;
    let (process, at, log) = due.start();
    let mut process = Stop(vec![process]);
    due.until_received(40, &[&log]).await;
    let stopped_at = std::time::Instant::now();
    tokio::task::spawn_blocking({
        let cluster = Arc::clone(&cluster);
        move || cluster.stop_server()
    })
    .await
    .expect("stop");
    let during = due.stand_in.received().len();
    // Away for two seconds: the dispatcher's rounds fail meanwhile.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let ready = tokio::task::spawn_blocking({
        let at = at.clone();
        move || status_of(&http(&at, "GET", "/readyz", &[], None))
    })
    .await
    .expect("readyz");
    assert_eq!(ready, 503, "not ready while the store is away");
    tokio::task::spawn_blocking({
        let cluster = Arc::clone(&cluster);
        move || cluster.start_server()
    })
    .await
    .expect("start");
    assert!(during < MESSAGES, "stopped mid-dispatch: {during} sent");
    due.all_sent_once(MESSAGES, stopped_at).await;
    assert!(
        process.0[0].try_wait().expect("wait").is_none(),
        "the reminders process exited"
    );
    eprintln!(
        "reminders across a PostgreSQL stop: {during} sent before it, all {MESSAGES} once {:.2} s after it",
        stopped_at.elapsed().as_secs_f64()
    );
    drop(process);
    drop(due);
    let _ = std::fs::remove_dir_all(dir);
}

/// Steady bookings through two API processes; one is killed with SIGKILL
/// half-way. The other keeps answering, and every booking either process
/// acknowledged is in the log.
#[tokio::test]
async fn an_api_process_killed_under_load_loses_no_acknowledged_booking_and_the_other_carries_on() {
    let Some((db, dir)) = scratch().await else {
        return;
    };
    let url = db.url.clone();
    let (acknowledged, after_kill) = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let mut s = two_servers_with_demo(&dir, &url);
            // Free times at every demo site, whatever the day.
            let places = free_places(&s.at[1], 8);
            assert!(places.len() >= 20, "enough free times: {}", places.len());
            let mut acknowledged = Vec::new();
            let mut after_kill = 0;
            let mut killed = false;
            for (i, (site, start)) in places.iter().enumerate() {
                if i == places.len() / 2 {
                    // Half-way: the first process dies without a word.
                    let mut first = s._children.0.remove(0);
                    first.kill().expect("SIGKILL");
                    first.wait().expect("reap");
                    killed = true;
                }
                let body = format!(
                    r#"{{"site":"{site}","start":"{start}","reason":"procedure_caf","resident":{{"name":"Steady {i}","phone":"0613{:06}"}}}}"#,
                    i + 1
                );
                // Once the first is gone, clients book through the other.
                let at = if killed {
                    &s.at[1]
                } else {
                    &s.at[i % 2]
                };
                let answer = http(
                    at,
                    "POST",
                    "/api/v1/appointments",
                    &[("Cookie", &s.cookie), ("X-CSRF-Token", &s.csrf)],
                    Some(&body),
                );
                if answer.starts_with("HTTP/1.1 201") {
                    acknowledged.push(json_body(&answer)["id"].as_str().expect("id").to_owned());
                    if killed {
                        after_kill += 1;
                    }
                }
            }
            // Every acknowledged booking, read through the survivor.
            for id in &acknowledged {
                let read = http(
                    &s.at[1],
                    "GET",
                    &format!("/api/v1/appointments/{id}"),
                    &[("Cookie", &s.cookie)],
                    None,
                );
                assert!(read.starts_with("HTTP/1.1 200"), "{id}: {read}");
            }
            (acknowledged, after_kill)
        }
    })
    .await
    .expect("servers");
    assert!(acknowledged.len() >= 20, "{} bookings", acknowledged.len());
    assert!(after_kill >= 10, "the survivor kept booking: {after_kill}");
    // And they are in the log itself.
    assert_booked_in_log(&db.url, &acknowledged).await;
    db.drop_database().await.expect("drop");
    let _ = std::fs::remove_dir_all(dir);
}

/// A PostgreSQL cluster of the test's own, in its own folder and on its own
/// port, that it may stop and start again (the shared server cannot be):
/// made by `scripts/postgres-for-tests private`, removed when dropped.
struct PrivateCluster {
    dir: std::path::PathBuf,
    url: String,
}

impl PrivateCluster {
    fn script(dir: &std::path::Path, port: u16, what: &str) -> std::process::Output {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/postgres-for-tests");
        std::process::Command::new(script)
            .arg(what)
            .env("CRENEAU_PG_DIR", dir)
            .env("CRENEAU_PG_PORT", port.to_string())
            .output()
            .expect("scripts/postgres-for-tests")
    }

    /// `None` where the PostgreSQL binaries are missing (outside CI, where
    /// the test script installs them).
    fn start() -> Option<PrivateCluster> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        // Under the machine's temporary folder itself: the server's owner
        // must reach it.
        let dir =
            std::env::temp_dir().join(format!("creneau-pg-{}", uuid::Uuid::new_v4().simple()));
        let out = Self::script(&dir, port, "private");
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                std::env::var_os("CI").is_none(),
                "no private PostgreSQL cluster under CI: {why}"
            );
            eprintln!("no private PostgreSQL cluster ({why}): the restart test is skipped");
            let _ = std::fs::remove_dir_all(&dir);
            return None;
        }
        let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Some(PrivateCluster { dir, url })
    }

    /// [`PrivateCluster::start`], off the async runtime's threads.
    async fn started() -> Option<Arc<PrivateCluster>> {
        tokio::task::spawn_blocking(PrivateCluster::start)
            .await
            .expect("cluster")
            .map(Arc::new)
    }

    fn port(&self) -> u16 {
        self.url
            .rsplit_once(':')
            .and_then(|(_, rest)| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .expect("the cluster's port")
    }

    /// Stops the server (pg_ctl -m fast: sessions are cut).
    fn stop_server(&self) {
        let out = Self::script(&self.dir, self.port(), "stop");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts it again, on the same folder and port.
    fn start_server(&self) {
        let out = Self::script(&self.dir, self.port(), "private");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = Self::script(&self.dir, self.port(), "stop");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The free times of the demo sites for `procedure_caf`, `per_site` at
/// most per site, read through `at`.
fn free_places(at: &str, per_site: usize) -> Vec<(String, String)> {
    let sites = json_body(&http(at, "GET", "/api/v1/sites", &[], None));
    let mut places = Vec::new();
    for site in sites.as_array().expect("sites") {
        let site = site["site_id"].as_str().expect("site id");
        let free = json_body(&http(
            at,
            "GET",
            &format!("/api/v1/availability?site={site}&reason=procedure_caf&days=30"),
            &[],
            None,
        ));
        places.extend(
            free.as_array()
                .expect("availability")
                .iter()
                .filter_map(|a| a["start"].as_str())
                .take(per_site)
                .map(|start| (site.to_owned(), start.to_owned())),
        );
    }
    places
}

/// Every appointment of `acknowledged` has its `AppointmentBooked` in the
/// log at `url`.
async fn assert_booked_in_log(url: &str, acknowledged: &[String]) {
    let store = eventlog::postgres::PostgresStore::open(url)
        .await
        .expect("store");
    let booked = store
        .read_all(
            eventlog::Position::START,
            100_000,
            &eventlog::Filter::categories([contracts::streams::BOOKING]),
        )
        .await
        .expect("read");
    for id in acknowledged {
        assert!(
            booked
                .iter()
                .any(|e| e.event_type.ends_with("AppointmentBooked")
                    && String::from_utf8_lossy(&e.payload).contains(id.as_str())),
            "{id} is in the log"
        );
    }
}

/// The status of an HTTP answer ("HTTP/1.1 201 Created" → 201).
fn status_of(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// PostgreSQL stops under load and comes back: both API processes stay up,
/// answer 503 with `Retry-After` while it is away (never 500, never a cut
/// connection), say so on `/readyz`, book again once it is back without
/// being restarted themselves, and lose no booking they acknowledged.
#[tokio::test]
async fn postgres_stopped_and_started_under_load_costs_no_acknowledged_booking_and_no_process() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let Some(cluster) = PrivateCluster::started().await else {
        return;
    };
    let dir = temp_dir();
    let url = cluster.url.clone();
    let acknowledged = tokio::task::spawn_blocking({
        let dir = dir.clone();
        let cluster = Arc::clone(&cluster);
        move || {
            let mut s = two_servers_with_demo(&dir, &url);
            let places = free_places(&s.at[0], 40);
            assert!(places.len() >= 60, "enough free times: {}", places.len());
            let queue = Arc::new(std::sync::Mutex::new(places));
            // 0: up, 1: stopped, 2: started again.
            let phase = Arc::new(AtomicUsize::new(0));
            let done = Arc::new(AtomicBool::new(false));
            // (phase, status, appointment id when booked)
            type Answers = Vec<(usize, u16, Option<String>)>;
            let answers: Arc<std::sync::Mutex<Answers>> = Arc::default();
            let counter = Arc::new(AtomicUsize::new(0));
            let count = |p: usize, status: u16| {
                answers
                    .lock()
                    .expect("answers")
                    .iter()
                    .filter(|(ph, st, _)| *ph == p && *st == status)
                    .count()
            };
            let workers: Vec<_> = (0..4)
                .map(|w| {
                    let (queue, phase, done, answers, counter) = (
                        Arc::clone(&queue),
                        Arc::clone(&phase),
                        Arc::clone(&done),
                        Arc::clone(&answers),
                        Arc::clone(&counter),
                    );
                    let (at, cookie, csrf) = (s.at[w % 2].clone(), s.cookie.clone(), s.csrf.clone());
                    let log = Arc::clone(&s.logs[w % 2]);
                    std::thread::spawn(move || {
                        while !done.load(Ordering::SeqCst) {
                            let Some((site, start)) = queue.lock().expect("queue").pop() else {
                                break;
                            };
                            let n = counter.fetch_add(1, Ordering::SeqCst);
                            let body = format!(
                                r#"{{"site":"{site}","start":"{start}","reason":"procedure_caf","resident":{{"name":"Patient {n}","phone":"0614{:06}"}}}}"#,
                                n + 1
                            );
                            let before = phase.load(Ordering::SeqCst);
                            let answer = http(
                                &at,
                                "POST",
                                "/api/v1/appointments",
                                &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
                                Some(&body),
                            );
                            let status = status_of(&answer);
                            let id = (status == 201)
                                .then(|| json_body(&answer)["id"].as_str().map(str::to_owned))
                                .flatten();
                            if status == 503 {
                                assert!(
                                    header_of(&answer, "retry-after").is_some(),
                                    "a 503 says when to try again: {answer}"
                                );
                                // Not taken: someone else may try it later.
                                queue.lock().expect("queue").insert(0, (site, start));
                                std::thread::sleep(std::time::Duration::from_millis(50));
                            }
                            assert!(
                                [201, 409, 503].contains(&status),
                                "booked, taken, or unavailable, nothing else: {answer}; the server's failures: {:?}",
                                log.lock().map(|l| l
                                    .iter()
                                    .filter(|l| l.contains("ERROR") || l.contains("WARN"))
                                    .cloned()
                                    .collect::<Vec<_>>())
                            );
                            let after = phase.load(Ordering::SeqCst);
                            // An answer that straddles a change of phase is
                            // counted in neither.
                            let at_phase = if before == after { before } else { 9 };
                            answers.lock().expect("answers").push((at_phase, status, id));
                        }
                    })
                })
                .collect();
            // Polls `what` every 50 ms for a minute at most.
            let wait_for = |what: &dyn Fn() -> bool, why: &str| {
                for _ in 0..1200 {
                    if what() {
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                panic!("waited a minute for {why}");
            };
            wait_for(&|| count(0, 201) >= 10, "bookings before the stop");
            cluster.stop_server();
            phase.store(1, Ordering::SeqCst);
            wait_for(&|| count(1, 503) >= 8, "refusals while PostgreSQL is away");
            for at in &s.at {
                let ready = http(at, "GET", "/readyz", &[], None);
                assert_eq!(status_of(&ready), 503, "not ready without the store: {ready}");
            }
            cluster.start_server();
            phase.store(2, Ordering::SeqCst);
            wait_for(&|| count(2, 201) >= 10, "bookings once PostgreSQL is back");
            done.store(true, Ordering::SeqCst);
            for w in workers {
                w.join().expect("a worker");
            }
            // Neither process died nor was restarted.
            for child in &mut s._children.0 {
                assert!(
                    child.try_wait().expect("wait").is_none(),
                    "an API process exited"
                );
            }
            for at in &s.at {
                wait_for(
                    &|| status_of(&http(at, "GET", "/readyz", &[], None)) == 200,
                    "ready again",
                );
            }
            let acknowledged: Vec<String> = answers
                .lock()
                .expect("answers")
                .iter()
                .filter_map(|(_, _, id)| id.clone())
                .collect();
            // Each acknowledged booking reads back through both processes.
            for id in &acknowledged {
                for at in &s.at {
                    let read = http(
                        at,
                        "GET",
                        &format!("/api/v1/appointments/{id}"),
                        &[("Cookie", &s.cookie)],
                        None,
                    );
                    assert_eq!(status_of(&read), 200, "{id}: {read}");
                }
            }
            acknowledged
        }
    })
    .await
    .expect("servers");
    // And they are in the log itself.
    assert_booked_in_log(&cluster.url, &acknowledged).await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Two `serve --services appointments` processes on PostgreSQL, 100 places
/// freed at once with 130 people waiting. The process offering them (the
/// holder of `lease-waitlists`) is killed with SIGKILL part-way; the other
/// takes over, and every place ends held once, for the first 100 waiting,
/// nobody offered two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_list_offerer_killed_with_sigkill_leaves_each_freed_place_held_once() {
    use contracts::proto::calendar::v1 as cal;
    const FREED: usize = 100;
    let Some((db, dir)) = scratch().await else {
        return;
    };
    let (store, clock, state) = services_in_the_daytime(&db.url, &dir).await;
    let now = clock.now();
    let acting = api::Acting::system("test", now);
    let site = state
        .calendar
        .open_site(
            &acting,
            &cal::SiteDetails {
                name: "Tilleuls".into(),
                address: "12 rue des Tilleuls".into(),
                open: true,
                opens_on_public_holidays: true,
                ..Default::default()
            },
        )
        .await
        .expect("site");
    // One permanence: 120 places (six 10-minute times, 20 desks), all
    // booked; 130 wait; 100 are freed.
    let day = creneau_tests::open_day_after(contracts::time::local_date(now), 4);
    state
        .calendar
        .create_rule(
            &acting,
            &cal::PermanenceRule {
                site_id: site.to_string(),
                once_at: format!("{day}T08:00"),
                duration_minutes: 60,
                offer: Some(cal::Offer {
                    appointments: true,
                    appointment_minutes: 10,
                    desks: 20,
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .expect("rule");
    creneau_tests::book_many(&state.appointments, site, day, 120, &acting).await;
    let mut entries = Vec::new();
    for i in 0..FREED + 30 {
        let joined = state
            .appointments
            .join_waitlist(
                appointments::JoinRequest {
                    site,
                    reason: contracts::Reason::ProcedureCaf,
                    workshop: None,
                    name: format!("Attente {i}"),
                    phone: format!("07{:08}", 80_000_000 + i),
                    language: contracts::Language::Fr,
                    sms_consent: true,
                },
                appointments::Booker::Staff {
                    acting: acting.clone(),
                    override_reason: None,
                },
                now,
            )
            .await
            .expect("joined");
        entries.push(joined.entry.id);
    }
    let booked: Vec<contracts::AppointmentId> = state
        .appointments
        .model()
        .await
        .expect("model")
        .bookings
        .keys()
        .copied()
        .take(FREED)
        .collect();
    for id in booked {
        state
            .appointments
            .cancel(&acting, id, contracts::Party::Staff, "libéré")
            .await
            .expect("cancelled");
    }
    let start = || {
        let mut c = creneau(&dir);
        c.env("CRENEAU_CLOCK_START", clock.now().to_rfc3339());
        crate::cli::start_command(
            c,
            &[
                "--store",
                &db.url,
                "--master-key-file",
                &dir.join("master.key").display().to_string(),
            ],
            &["--services", "appointments"],
        )
    };
    let (one, _, _log_one) = start();
    let (two, _, _log_two) = start();
    let mut pair = Stop(vec![one, two]);
    let holds = || async {
        let m = state.appointments.model().await.expect("model");
        m.waitlists
            .holds
            .values()
            .filter(|h| h.state == appointments::HoldState::Live)
            .map(|h| h.entry)
            .collect::<Vec<_>>()
    };
    let waited = std::time::Instant::now();
    while holds().await.is_empty() {
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(60),
            "no offer a minute on"
        );
        state.appointments.refresh().await.expect("refresh");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    kill_the_holder(&mut pair, store.as_ref(), "waitlists").await;
    let killed_at = std::time::Instant::now();
    let before = holds().await.len();
    loop {
        state.appointments.refresh().await.expect("refresh");
        if holds().await.len() >= FREED {
            break;
        }
        assert!(
            killed_at.elapsed() < std::time::Duration::from_secs(60),
            "{} of {FREED} held a minute after the kill",
            holds().await.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // A moment more: nothing beyond the places freed.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    state.appointments.refresh().await.expect("refresh");
    let held = holds().await;
    let people: std::collections::HashSet<_> = held.iter().copied().collect();
    assert_eq!(held.len(), FREED, "each place held once");
    assert_eq!(people.len(), FREED, "each person offered one place");
    let first: std::collections::HashSet<_> = entries[..FREED].iter().copied().collect();
    assert_eq!(people, first, "the first ones waiting");
    eprintln!(
        "waiting lists failover: {before} held before SIGKILL, all {FREED} once {:.2} s after it",
        killed_at.elapsed().as_secs_f64()
    );
    drop(pair);
    drop(state);
    db.drop_database().await.expect("drop");
    let _ = std::fs::remove_dir_all(dir);
}

/// Two `serve` processes on PostgreSQL deliver to one webhook receiver
/// (one holds `lease-webhooks`), which answers each delivery after 30 ms.
/// The one delivering is killed with SIGKILL mid-way: the other takes over,
/// and every booking reaches the receiver, in log order, a delivery sent
/// again carrying the same event id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_sender_killed_mid_delivery_loses_nothing_and_repeats_with_the_same_id() {
    use creneau_tests::receiver::{Answer, Receiver};
    const BOOKINGS: usize = 40;
    let Some((db, dir)) = scratch().await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.answer(Answer::Late(std::time::Duration::from_millis(30)));
    let (url, hook) = (db.url.clone(), receiver.url());
    let (mut servers, booked) = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let s = two_servers_with_demo(&dir, &url);
            let auth = [("Cookie", s.cookie.as_str()), ("X-CSRF-Token", s.csrf.as_str())];
            let subscribed = http(
                &s.at[0],
                "POST",
                "/api/v1/webhooks",
                &auth,
                Some(&format!(r#"{{"url":"{hook}","kinds":["appointment.booked"]}}"#)),
            );
            assert_eq!(status_of(&subscribed), 201, "{subscribed}");
            let mut booked = Vec::new();
            for (i, (site, start)) in free_places(&s.at[1], 10).into_iter().take(BOOKINGS).enumerate() {
                let body = format!(
                    r#"{{"site":"{site}","start":"{start}","reason":"procedure_caf","resident":{{"name":"Hook {i}","phone":"0645{:06}"}}}}"#,
                    i + 1
                );
                let answer = http(&s.at[i % 2], "POST", "/api/v1/appointments", &auth, Some(&body));
                assert_eq!(status_of(&answer), 201, "{answer}");
                booked.push(json_body(&answer)["id"].as_str().expect("id").to_owned());
            }
            (s, booked)
        }
    })
    .await
    .expect("servers");
    assert_eq!(booked.len(), BOOKINGS);
    let store = eventlog::postgres::PostgresStore::open(&db.url)
        .await
        .expect("store");
    let distinct = |received: &[creneau_tests::receiver::Received]| {
        let mut ids: Vec<String> = received
            .iter()
            .filter_map(|d| {
                d.json()["data"]["appointment_id"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids.len()
    };
    let waited = std::time::Instant::now();
    while distinct(&receiver.received()) < 10
        && waited.elapsed() < std::time::Duration::from_secs(60)
    {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    kill_the_holder(&mut servers._children, &store, webhooks::LEASE_WORK).await;
    let killed_at = std::time::Instant::now();
    let before = distinct(&receiver.received());
    assert!(before < BOOKINGS, "killed mid-way: {before} delivered");
    while distinct(&receiver.received()) < BOOKINGS
        && killed_at.elapsed() < std::time::Duration::from_secs(90)
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let received = receiver.received();
    for id in &booked {
        let copies: Vec<&creneau_tests::receiver::Received> = received
            .iter()
            .filter(|d| d.json()["data"]["appointment_id"] == id.as_str())
            .collect();
        assert!(!copies.is_empty(), "{id} was delivered");
        assert!(
            copies
                .iter()
                .all(|d| d.header("creneau-event-id") == copies[0].header("creneau-event-id")),
            "a repeat of {id} carries the same event id"
        );
    }
    // In log order: each delivery's position after the one before, but
    // for a repeat of the last one the killed process sent.
    let positions: Vec<u64> = received
        .iter()
        .filter_map(|d| d.json()["position"].as_u64())
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let first_times: Vec<u64> = positions
        .iter()
        .copied()
        .filter(|p| seen.insert(*p))
        .collect();
    assert!(
        first_times.windows(2).all(|w| w[0] < w[1]),
        "in log order: {positions:?}"
    );
    eprintln!(
        "webhooks failover: {before} delivered before SIGKILL, all {BOOKINGS} after {:.1} s, {} deliveries in all",
        killed_at.elapsed().as_secs_f64(),
        received.len()
    );
    drop(servers);
    db.drop_database().await.expect("drop");
    let _ = std::fs::remove_dir_all(dir);
}
