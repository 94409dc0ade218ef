//! Security, round two: what an attacker with the demo's staff accounts
//! (or none) tried, each written as the attacker's request and the answer
//! it must get.
//!
//! - residents belong to the sites that serve them (reads, search, merge:
//!   the role matrix across sites), and every read is in the audit;
//! - a page and its JSON twin check one need;
//! - redirects stay on this site;
//! - wrong passwords lock an account for the address they came from only;
//! - booking codes: an address over its limit spends nothing of a number's,
//!   a code books once;
//! - a public booking neither reveals a known number nor books in someone
//!   else's name, and a number receives few bookings it did not make;
//! - API tokens end with a new password and never outlive their maker;
//! - 405 with `Allow`, 413, in the caller's language.

use creneau_tests::smtp;

use api::{Door, Need, Twin, Verb};
use axum::http::{Method, StatusCode};
use contracts::{ResidentId, Role, SiteId};
use creneau_tests::{Call, Reply, Staff, TestApp, booking, site_with_slots};
use serde_json::{Value, json};

/// Roles, each for one site or (None) for every site.
type Grants = Vec<(Role, Option<SiteId>)>;

fn site_id(raw: &str) -> SiteId {
    raw.parse().expect("site id")
}

/// Books as `who` (staff) for `name` with `phone` at `site`, `start`.
async fn book_for(
    t: &TestApp,
    who: &Staff,
    site: &str,
    start: &str,
    name: &str,
    phone: &str,
) -> Value {
    let mut body = booking(site, start, phone);
    body["resident"]["name"] = json!(name);
    let reply = t
        .send(
            Call::post("/api/v1/appointments")
                .bearer(&who.token)
                .json(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.json()
}

/// The resident an appointment was booked for.
async fn resident_of(t: &TestApp, appointment: &Value) -> ResidentId {
    let id = appointment["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    t.state
        .appointments
        .resident_of(id)
        .await
        .expect("resident")
}

async fn search(t: &TestApp, who: &Staff, q: &str) -> Reply {
    t.send(
        Call::get(&format!(
            "/api/v1/residents/search?q={}",
            api::url_encode(q).replace('+', "%2B")
        ))
        .bearer(&who.token),
    )
    .await
}

fn names(reply: &Reply) -> Vec<String> {
    let mut names: Vec<String> = reply
        .json()
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Registers a resident at `site` through identity (as reception would).
async fn register(t: &TestApp, site: SiteId, first: &str, last: &str, phone: &str) -> ResidentId {
    t.identity()
        .register_resident(
            &identity::Acting::system("test", t.now()),
            identity::NewResident {
                first_name: first.into(),
                last_name: last.into(),
                phone: phone.into(),
                email: None,
                language: contracts::Language::Fr,
                sms_consent: true,
                email_consent: false,
                site: Some(site),
            },
        )
        .await
        .expect("resident")
}

/// The role matrix, extended to residents: for every kind of staff and a
/// resident served at site A or at site C, reading the record, finding
/// them by name, finding them by phone and merging a duplicate of theirs
/// answer as the rule says: visible when one of the staff member's sites
/// serves the resident; a whole phone number finds them anywhere.
#[tokio::test]
async fn residents_are_read_found_and_merged_by_staff_of_their_sites_only() {
    let t = TestApp::new().await;
    let a = site_id(&site_with_slots(&t, 2).await);
    let b = site_id(&site_with_slots(&t, 2).await);
    let c = site_id(&site_with_slots(&t, 2).await);
    let personas: Vec<(&str, Grants)> = vec![
        ("reception_a", vec![(Role::Reception, Some(a))]),
        (
            "mediator_ab",
            vec![(Role::Mediator, Some(a)), (Role::Mediator, Some(b))],
        ),
        ("coordinator_c", vec![(Role::Coordinator, Some(c))]),
        ("siteadmin_a", vec![(Role::Admin, Some(a))]),
        ("ithelper_all", vec![(Role::ItHelper, None)]),
        ("admin", vec![(Role::Admin, None)]),
    ];
    let everywhere = t.staff("desk_all", &[(Role::Reception, None)]).await;
    let mut staff = Vec::new();
    for (name, grants) in &personas {
        staff.push((t.staff(name, grants).await, grants.clone()));
    }
    let start = t.at_nine(1);
    // One resident booked at A, one at C: different names, different phones.
    let at_a = book_for(
        &t,
        &everywhere,
        &a.to_string(),
        &start,
        "Awa Martin",
        "06 22 22 22 22",
    )
    .await;
    let at_c = book_for(
        &t,
        &everywhere,
        &c.to_string(),
        &start,
        "Ruth Martinez",
        "06 11 11 11 11",
    )
    .await;
    let residents = [
        (
            a,
            resident_of(&t, &at_a).await,
            "Awa Martin",
            "06 22 22 22 22",
        ),
        (
            c,
            resident_of(&t, &at_c).await,
            "Ruth Martinez",
            "06 11 11 11 11",
        ),
    ];
    let mut checked = 0;
    for (who, grants) in &staff {
        for (site, id, name, phone) in &residents {
            let serves = grants.iter().any(|(_, s)| s.is_none_or(|s| s == *site));
            let label = format!("{} about {name}", who.email);

            let record = t
                .send(Call::get(&format!("/api/v1/residents/{id}")).bearer(&who.token))
                .await;
            let expected = if serves {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(record.status, expected, "{label}: {}", record.body);
            if !serves {
                assert!(
                    !record.body.contains(name.split(' ').next().unwrap_or("")),
                    "{label}: {}",
                    record.body
                );
            }

            let by_name = search(&t, who, name.split(' ').nth(1).unwrap_or(name)).await;
            assert_eq!(by_name.status, StatusCode::OK, "{label}: {}", by_name.body);
            assert_eq!(
                names(&by_name).contains(&(*name).to_owned()),
                serves,
                "{label}: a name finds residents of one's own sites: {}",
                by_name.body
            );

            let by_phone = search(&t, who, phone).await;
            let found = by_phone.json();
            assert_eq!(
                found.as_array().map(Vec::len),
                Some(1),
                "{label}: {}",
                by_phone.body
            );
            assert_eq!(
                found[0]["name"], *name,
                "{label}: a whole number finds its resident"
            );
            assert_eq!(
                found[0]["upcoming"].as_array().map(Vec::len),
                Some(usize::from(serves)),
                "{label}: appointments at one's own sites only: {}",
                by_phone.body
            );

            // A duplicate of the resident, registered at their site: merging
            // it is for staff who see both.
            let duplicate = register(
                &t,
                *site,
                name.split(' ').next().unwrap_or(""),
                "Dupont",
                phone,
            )
            .await;
            let merged = t
                .send(
                    Call::post(&format!("/api/v1/residents/{duplicate}/merge"))
                        .bearer(&who.token)
                        .json(json!({"into": id.to_string(), "reason": "registered twice"})),
                )
                .await;
            let expected = if serves {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(merged.status, expected, "{label} merges: {}", merged.body);
            if serves {
                let undone = t
                    .send(
                        Call::post(&format!("/api/v1/residents/{duplicate}/unmerge"))
                            .bearer(&staff.last().expect("admin").0.token)
                            .json(json!({"reason": "the matrix test undoes it"})),
                    )
                    .await;
                assert_eq!(undone.status, StatusCode::NO_CONTENT, "{}", undone.body);
            }
            // The duplicate leaves the phone's list for the next persona.
            let erased = t
                .identity()
                .erase_resident(
                    &identity::Acting::system("test", t.now()),
                    duplicate,
                    identity::ErasureCause::Request,
                )
                .await
                .expect("erase");
            assert!(erased.newly_erased);
            checked += 1;
        }
    }
    assert_eq!(checked, personas.len() * residents.len());
}

/// A name search matches words from their beginning, so two letters no
/// longer list the directory; and every search and record read is in the
/// resident's audit, with who read it.
#[tokio::test]
async fn names_match_from_the_start_of_a_word_and_every_read_is_audited() {
    let t = TestApp::new().await;
    let a = site_with_slots(&t, 2).await;
    let c = site_with_slots(&t, 2).await;
    let desk = t.staff("desk_all", &[(Role::Reception, None)]).await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let mediator = t
        .staff("mediator_a", &[(Role::Mediator, Some(site_id(&a)))])
        .await;
    let reception_c = t
        .staff("reception_c", &[(Role::Reception, Some(site_id(&c)))])
        .await;
    let start = t.at_nine(1);
    let ruth = book_for(&t, &desk, &c, &start, "Ruth Martinez", "06 11 11 11 11").await;
    let ruth = resident_of(&t, &ruth).await;

    assert_eq!(names(&search(&t, &admin, "ar").await), Vec::<String>::new());
    assert_eq!(
        names(&search(&t, &admin, "ma").await),
        vec!["Ruth Martinez"]
    );
    assert_eq!(
        names(&search(&t, &admin, "ruth ma").await),
        vec!["Ruth Martinez"]
    );
    assert_eq!(
        names(&search(&t, &admin, "uth").await),
        Vec::<String>::new()
    );
    let short = search(&t, &admin, "m").await;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        short.body
    );
    assert_eq!(short.json()["field"], "q");

    // The mediator of A finds nobody by name, Ruth by her number; the
    // reception of C by name.
    assert!(names(&search(&t, &mediator, "Martinez").await).is_empty());
    assert_eq!(
        names(&search(&t, &mediator, "0611111111").await),
        vec!["Ruth Martinez"]
    );
    assert_eq!(
        names(&search(&t, &reception_c, "Martinez").await),
        vec!["Ruth Martinez"]
    );
    let record = t
        .send(Call::get(&format!("/api/v1/residents/{ruth}")).bearer(&reception_c.token))
        .await;
    assert_eq!(record.status, StatusCode::OK);

    let audit = t
        .send(Call::get(&format!("/api/v1/audit?resident={ruth}")).bearer(&admin.token))
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    let readers: Vec<String> = audit
        .json()
        .as_array()
        .expect("list")
        .iter()
        .filter(|e| e["event_type"] == "creneau.residents.v1.ResidentRecordsRead")
        .filter_map(|e| e["actor_name"].as_str().map(str::to_owned))
        .collect();
    // The admin's three searches (one read recorded per distinct search
    // result within ten minutes), the mediator's by phone, reception's
    // search and record.
    assert_eq!(
        readers,
        vec!["admin", "mediator_a", "reception_c", "reception_c"],
        "{}",
        audit.body
    );
}

/// Merging needs both records at one's sites, two possible duplicates and
/// a reason; the appointments follow; an administrator undoes it and each
/// record has its own appointments again.
#[tokio::test]
async fn a_merge_needs_duplicates_and_a_reason_and_an_administrator_can_undo_it() {
    let t = TestApp::new().await;
    let a = site_with_slots(&t, 2).await;
    let c = site_with_slots(&t, 2).await;
    let reception = t
        .staff("reception_a", &[(Role::Reception, Some(site_id(&a)))])
        .await;
    let desk = t.staff("desk_all", &[(Role::Reception, None)]).await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let start = t.at_nine(1);
    let later = t.at_nine(2);
    let first = book_for(&t, &reception, &a, &start, "Awa Traoré", "06 12 34 56 78").await;
    let keep = resident_of(&t, &first).await;
    // The same person, registered again under a longer name, with her own
    // appointment.
    let second = book_for(
        &t,
        &reception,
        &a,
        &later,
        "Awa Traoré-Diallo",
        "06 12 34 56 78",
    )
    .await;
    let duplicate = resident_of(&t, &second).await;
    assert_ne!(keep, duplicate, "another name is another record");
    let stranger = register(&t, site_id(&a), "Jean", "Petit", "06 98 76 54 32").await;
    // The victim of the probe: a resident of site C only.
    let victim = book_for(&t, &desk, &c, &start, "Awa Traoré", "06 55 55 55 55").await;
    let victim = resident_of(&t, &victim).await;

    let merge = |dup: ResidentId, into: ResidentId, body: Value| {
        let mut body = body;
        body["into"] = json!(into.to_string());
        Call::post(&format!("/api/v1/residents/{dup}/merge"))
            .bearer(&reception.token)
            .json(body)
    };
    let reason = json!({"reason": "la même personne, inscrite deux fois"});
    for (dup, into, status) in [
        (victim, keep, StatusCode::NOT_FOUND),
        (keep, victim, StatusCode::NOT_FOUND),
        (stranger, keep, StatusCode::FORBIDDEN),
    ] {
        let r = t.send(merge(dup, into, reason.clone())).await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    let no_reason = t.send(merge(duplicate, keep, json!({}))).await;
    assert_eq!(
        no_reason.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_reason.body
    );
    assert_eq!(no_reason.json()["field"], "reason");
    let short_reason = t.send(merge(duplicate, keep, json!({"reason": "x"}))).await;
    assert_eq!(
        short_reason.status,
        StatusCode::BAD_REQUEST,
        "{}",
        short_reason.body
    );
    assert!(short_reason.body.contains("audit"), "{}", short_reason.body);

    let merged = t.send(merge(duplicate, keep, reason.clone())).await;
    assert_eq!(merged.status, StatusCode::NO_CONTENT, "{}", merged.body);
    let found = search(&t, &reception, "06 12 34 56 78").await.json();
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(
        found[0]["upcoming"].as_array().map(Vec::len),
        Some(2),
        "{found}"
    );

    let not_admin = t
        .send(
            Call::post(&format!("/api/v1/residents/{duplicate}/unmerge"))
                .bearer(&reception.token)
                .json(json!({"reason": "a mistake"})),
        )
        .await;
    assert_eq!(not_admin.status, StatusCode::FORBIDDEN);
    let undone = t
        .send(
            Call::post(&format!("/api/v1/residents/{duplicate}/unmerge"))
                .bearer(&admin.token)
                .json(json!({"reason": "two sisters, not one person"})),
        )
        .await;
    assert_eq!(undone.status, StatusCode::NO_CONTENT, "{}", undone.body);
    let found = search(&t, &reception, "06 12 34 56 78").await.json();
    let found = found.as_array().expect("list");
    assert_eq!(found.len(), 2, "{found:?}");
    for r in found {
        assert_eq!(r["upcoming"].as_array().map(Vec::len), Some(1), "{r}");
    }
    let again = t
        .send(
            Call::post(&format!("/api/v1/residents/{duplicate}/unmerge"))
                .bearer(&admin.token)
                .json(json!({"reason": "twice"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    let audit = t
        .send(Call::get(&format!("/api/v1/audit?resident={duplicate}")).bearer(&admin.token))
        .await
        .json();
    let kinds: Vec<(String, String)> = audit
        .as_array()
        .expect("list")
        .iter()
        .filter(|e| {
            e["event_type"]
                .as_str()
                .is_some_and(|k| k.ends_with("Merged") || k.ends_with("Unmerged"))
        })
        .map(|e| {
            (
                e["event_type"].as_str().unwrap_or("").to_owned(),
                e["actor_name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (
                "creneau.residents.v1.ResidentMerged".to_owned(),
                "reception_a".to_owned()
            ),
            (
                "creneau.residents.v1.ResidentUnmerged".to_owned(),
                "admin".to_owned()
            ),
        ]
    );
}

/// Signs in through the pages' form: the session cookie and its CSRF.
async fn sign_in_page(t: &TestApp, who: &Staff) -> (String, String) {
    t.sign_in(who).await
}

/// Every page that does what a JSON route does declares that route and
/// the same need; every page that changes something says whether it has a
/// twin.
#[tokio::test]
async fn every_page_checks_the_same_need_as_its_json_twin() {
    let t = TestApp::new().await;
    let rules = creneau::server::routes(t.state.clone()).rules().to_vec();
    let mut pairs = 0;
    for page in rules.iter().filter(|r| r.door == Door::Page) {
        let label = format!("{:?} {}", page.verb, page.path);
        match page.twin {
            Twin::Api(verb, path) => {
                let api = rules
                    .iter()
                    .find(|r| r.door == Door::Api && r.verb == verb && r.path == path)
                    .unwrap_or_else(|| panic!("{label}: its twin {verb:?} {path} is not a route"));
                assert_eq!(
                    page.need.for_staff(),
                    api.need.for_staff(),
                    "{label} and {verb:?} {path} do the same thing with different rules"
                );
                pairs += 1;
            }
            Twin::None => {}
            Twin::Unsaid => assert!(
                page.verb == Verb::Get,
                "{label} changes something: say which JSON route it does the work of (or that none does)"
            ),
        }
    }
    assert!(pairs >= 25, "{pairs} pairs");
}

/// The probe: a coordinator of one site opened a site from the pages while
/// the JSON API refused. Both doors refuse now; a coordinator of every
/// site opens one.
#[tokio::test]
async fn a_coordinator_of_one_site_opens_no_site_through_either_door() {
    let t = TestApp::new().await;
    let a = site_with_slots(&t, 1).await;
    let local = t
        .staff("coordination_a", &[(Role::Coordinator, Some(site_id(&a)))])
        .await;
    let all = t.staff("coordination", &[(Role::Coordinator, None)]).await;
    let sites_before = t.send(Call::get("/api/v1/sites")).await.json();
    let form = "name=Nouveau+lieu&address=1+rue+X";
    for (who, status) in [
        (&local, StatusCode::FORBIDDEN),
        (&all, StatusCode::SEE_OTHER),
    ] {
        let (cookie, csrf) = sign_in_page(&t, who).await;
        let page = t
            .send(
                Call::post("/agents/lieux")
                    .cookie(&cookie)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .raw(format!("{form}&csrf={csrf}")),
            )
            .await;
        assert_eq!(page.status, status, "{}: {}", who.email, page.body);
        let api = t
            .send(
                Call::post("/api/v1/sites")
                    .bearer(&who.token)
                    .json(json!({"name": "Autre lieu", "address": "2 rue Y"})),
            )
            .await;
        let api_status = if status == StatusCode::FORBIDDEN {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::CREATED
        };
        assert_eq!(api.status, api_status, "{}: {}", who.email, api.body);
    }
    let sites_after = t.send(Call::get("/api/v1/sites")).await.json();
    assert_eq!(
        sites_after.as_array().map(Vec::len),
        sites_before.as_array().map(|s| s.len() + 2),
        "only the coordinator of every site opened two"
    );
}

/// The probe: `/langue?retour=/%09/evil.example/` sent the browser to
/// `//evil.example/`. A return address is a path of this site, or `/`.
#[tokio::test]
async fn redirects_go_to_paths_of_this_site_only() {
    let t = TestApp::new().await;
    for (retour, expected) in [
        ("/%09/evil.example/", "/"),
        ("/%0A/evil.example/", "/"),
        ("%09//evil.example", "/"),
        ("//evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("https://evil.example/", "/"),
        ("/rdv/x%3Fy", "/rdv/x?y"),
    ] {
        let r = t
            .send(Call::get(&format!("/langue?l=en&retour={retour}")))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{retour}");
        assert_eq!(
            r.headers.get("location").and_then(|v| v.to_str().ok()),
            Some(expected),
            "{retour}"
        );
    }
    // The sign-in page carries the return address in its form: cleaned
    // there, and cleaned again when the form comes back.
    let who = t.staff("accueil", &[(Role::Reception, None)]).await;
    let page = t
        .send(Call::get("/connexion?retour=/%09/evil.example/"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(r#"name="retour" value="/""#),
        "{}",
        page.body
    );
    let (browser, token) = page.form_token();
    let form = format!(
        "email={}&password={}&csrf={}&retour=%2F%09%2Fevil.example%2F",
        api::url_encode(&who.email),
        api::url_encode(&who.password).replace('+', "%2B"),
        api::url_encode(&token)
    );
    let signed = t
        .send(
            Call::post("/connexion")
                .cookie(&browser)
                .header("content-type", "application/x-www-form-urlencoded")
                .raw(form),
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    // No return address: the staff home page.
    assert_eq!(
        signed.headers.get("location").and_then(|v| v.to_str().ok()),
        Some("/agents")
    );
}

/// The probe: five wrong passwords from one address, then the right one
/// from another, locked the administrator out for 15 minutes. Failures
/// count per account and address now.
#[tokio::test]
async fn wrong_passwords_from_one_address_do_not_lock_the_account_for_another() {
    let t = TestApp::new().await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let attacker = [203, 0, 113, 66];
    let office = [198, 51, 100, 10];
    let sign_in = |from: [u8; 4], password: &str| {
        Call::post("/api/v1/session")
            .sent_from(from)
            .json(json!({"email": admin.email, "password": password}))
    };
    for i in 1..=5 {
        let r = t.send(sign_in(attacker, "pas le bon mot de passe")).await;
        let expected = if i < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(r.status, expected, "attempt {i}: {}", r.body);
    }
    let locked = t.send(sign_in(attacker, &admin.password)).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    assert!(locked.body.contains("this connection"), "{}", locked.body);
    let from_office = t.send(sign_in(office, &admin.password)).await;
    assert_eq!(
        from_office.status,
        StatusCode::CREATED,
        "{}",
        from_office.body
    );
}

/// A locked account still signs in from its own address after a reset
/// link sent by email (a real SMTP server): the link sets a new password,
/// which lifts every lock, ends the old sessions and tokens, and works
/// once; asking for a link says nothing of whether the account exists.
#[tokio::test]
async fn a_reset_email_lets_a_locked_account_sign_in_again() {
    let t = TestApp::new().await;
    let server = smtp::Smtp::start().await;
    let mailer = reminders::email::Mailer::new(&reminders::email::MailSettings {
        host: "127.0.0.1".into(),
        port: server.port,
        security: reminders::email::Security::Plain,
        username: None,
        password: None,
        from: "Créneau <rdv@ville.example.fr>".into(),
        timeout: std::time::Duration::from_secs(5),
    })
    .expect("mailer");
    t.identity()
        .set_mail_out(std::sync::Arc::new(mailer) as std::sync::Arc<dyn contracts::ports::MailOut>);
    let who = t.staff("mediation", &[(Role::Mediator, None)]).await;
    let office = [198, 51, 100, 10];
    let sign_in = |password: &str| {
        Call::post("/api/v1/session")
            .sent_from(office)
            .json(json!({"email": who.email, "password": password}))
    };
    for _ in 0..5 {
        t.send(sign_in("une faute de frappe")).await;
    }
    assert_eq!(
        t.send(sign_in(&who.password)).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked for this address"
    );

    let page = t.send(Call::get("/connexion")).await;
    assert!(
        page.body.contains("/connexion/oubli"),
        "the sign-in page offers the link"
    );
    for email in [who.email.as_str(), "personne@ville.example.fr"] {
        let asked = t
            .send(
                Call::post("/api/v1/password-resets")
                    .sent_from(office)
                    .json(json!({"email": email})),
            )
            .await;
        assert_eq!(
            asked.status,
            StatusCode::ACCEPTED,
            "{email}: {}",
            asked.body
        );
        assert_eq!(asked.body, "", "the same answer for any address");
    }
    let mails = server.received();
    assert_eq!(mails.len(), 1, "only the account gets a link: {mails:?}");
    assert_eq!(mails[0]["to"], who.email);
    let text = mails[0]["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["type"] == "text/plain")
        .and_then(|p| p["text"].as_str())
        .expect("the text")
        .to_owned();
    let token = text
        .split("/connexion/nouveau?jeton=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the link")
        .to_owned();
    let link = t
        .send(Call::get(&format!("/connexion/nouveau?jeton={token}")))
        .await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.body);
    assert!(link.body.contains(r#"name="again""#), "{}", link.body);

    let new = "un mot de passe tout neuf";
    let confirm = |password: &str| {
        Call::post("/api/v1/password-resets/confirm")
            .json(json!({"token": token, "password": password}))
    };
    let weak = t.send(confirm("court")).await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST, "{}", weak.body);
    let done = t.send(confirm(new)).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    let back = t.send(sign_in(new)).await;
    assert_eq!(
        back.status,
        StatusCode::CREATED,
        "signed in again from the office: {}",
        back.body
    );
    let old_token = t
        .send(Call::get("/api/v1/session").bearer(&who.token))
        .await;
    assert_eq!(old_token.status, StatusCode::UNAUTHORIZED);
    let twice = t.send(confirm("encore un autre mot de passe")).await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST, "{}", twice.body);
    assert!(
        twice.body.contains("this link does not work"),
        "{}",
        twice.body
    );
    let forged = t
        .send(Call::post("/api/v1/password-resets/confirm").json(json!({
            "token": format!("{}.{}.AAAA", who.id.0.simple(), t.now().timestamp() + 600),
            "password": "un mot de passe choisi par l'attaquant"
        })))
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{}", forged.body);
}

/// Sets a site to confirm online bookings with a code.
async fn asks_codes(t: &TestApp, site: &str) {
    let boss = t
        .staff(
            &format!("chef-{}", uuid::Uuid::new_v4().simple()),
            &[(Role::Admin, None)],
        )
        .await;
    let changed = t
        .send(
            Call::new(Method::PUT, &format!("/api/v1/sites/{site}"))
                .bearer(&boss.token)
                .json(json!({"name": "Tilleuls", "address": "12 rue des Tilleuls",
                             "confirms_online_bookings_by_sms": true})),
        )
        .await;
    assert!(changed.status.is_success(), "{}", changed.body);
}

/// Asks a code for `phone` from `from`: the reply, and the code sent.
async fn ask_code(t: &TestApp, site: &str, phone: &str, from: [u8; 4]) -> (Reply, Option<String>) {
    let reply = t
        .send(
            Call::post("/api/v1/booking-codes")
                .sent_from(from)
                .json(json!({"site": site, "phone": phone})),
        )
        .await;
    let code = (reply.status == StatusCode::CREATED).then(|| {
        let outbox = std::fs::read_to_string(t.dir.join("sms.jsonl")).expect("the SMS");
        let sms: Value =
            serde_json::from_str(outbox.lines().last().expect("a line")).expect("JSON");
        sms["text"]
            .as_str()
            .expect("text")
            .chars()
            .filter(char::is_ascii_digit)
            .take(6)
            .collect()
    });
    (reply, code)
}

/// The probe: an address over its own limit still spent the victim's
/// quota of codes, and one code booked three times.
#[tokio::test]
async fn an_address_over_its_limit_spends_no_code_of_a_number_and_a_code_books_once() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    asks_codes(&t, &site).await;
    let attacker = [203, 0, 113, 9];
    let victim_phone = "06 12 34 56 78";
    for i in 0..10 {
        let (r, _) = ask_code(&t, &site, &format!("06 00 00 00 {i:02}"), attacker).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    for _ in 0..5 {
        let (r, _) = ask_code(&t, &site, victim_phone, attacker).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        assert!(r.body.contains("connection"), "{}", r.body);
    }
    let (asked, code) = ask_code(&t, &site, victim_phone, [198, 51, 100, 2]).await;
    assert_eq!(
        asked.status,
        StatusCode::CREATED,
        "the victim still gets her code: {}",
        asked.body
    );
    let code = code.expect("code");
    let challenge = asked.json()["challenge"].clone();
    let with_code = |start: &str, reason: &str| {
        let mut b = booking(&site, start, victim_phone);
        b["reason"] = json!(reason);
        b["confirmation"] = json!({"challenge": challenge, "code": code});
        Call::post("/api/v1/appointments").json(b)
    };
    // Someone else takes 09:00 first: the code is given back with the 409.
    let nine = t.at_nine(1);
    let desk = t.staff("accueil", &[(Role::Reception, None)]).await;
    book_for(&t, &desk, &site, &nine, "Jean Petit", "06 98 76 54 31").await;
    let taken = t.send(with_code(&nine, "procedure_caf")).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    let half_past = nine.replace("T09:00", "T09:30");
    let booked = t.send(with_code(&half_past, "procedure_caf")).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    let ten = nine.replace("T09:00", "T10:00");
    let twice = t.send(with_code(&ten, "email")).await;
    assert_eq!(
        twice.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        twice.body
    );
    assert_eq!(twice.json()["field"], "confirmation.code");
    assert!(
        twice.body.contains("used for a booking already"),
        "{}",
        twice.body
    );
}

/// The probe: an impossible time answered 409 for a known number and 422
/// for an unknown one; a known number with another name booked on the
/// existing resident's record and sent them the SMS.
#[tokio::test]
async fn a_public_booking_tells_nothing_of_a_number_and_books_nobody_elses_record() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 3).await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let known = "06 12 34 56 78";
    let start = t.at_nine(1);
    let mut first = booking(&site, &start, known);
    first["resident"]["name"] = json!("Amina Diallo");
    let first = t.send(Call::post("/api/v1/appointments").json(first)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);

    // An impossible time: the same answer whoever the number belongs to.
    let night = start.replace("T09:00", "T03:00");
    let mut answers = Vec::new();
    for phone in [known, "06 98 76 54 32"] {
        let mut b = booking(&site, &night, phone);
        b["resident"]["name"] = json!("Mallory X");
        let r = t.send(Call::post("/api/v1/appointments").json(b)).await;
        answers.push((
            r.status,
            r.json()["field"].clone(),
            r.json()["message"].clone(),
        ));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, StatusCode::UNPROCESSABLE_ENTITY);

    // A known number under another name: a booking of its own, on a record
    // of its own; Amina's record keeps one appointment.
    let mut other = booking(&site, &start.replace("T09:00", "T09:30"), known);
    other["resident"]["name"] = json!("Mallory X");
    let other = t.send(Call::post("/api/v1/appointments").json(other)).await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
    let found = search(&t, &admin, known).await.json();
    let found = found.as_array().expect("list");
    assert_eq!(found.len(), 2, "{found:?}");
    for r in found {
        assert_eq!(r["upcoming"].as_array().map(Vec::len), Some(1), "{r}");
    }
    // The same person again: told she holds one already.
    let mut again = booking(&site, &start.replace("T09:00", "T10:00"), "+33612345678");
    again["resident"]["name"] = json!("amina DIALLO");
    let again = t.send(Call::post("/api/v1/appointments").json(again)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

/// A number receives at most three online bookings a day, however many
/// addresses make them; the addresses themselves are not blocked.
#[tokio::test]
async fn a_number_receives_few_bookings_it_did_not_make_whatever_the_addresses() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 3).await;
    let victim = "07 81 22 33 44";
    let times = ["T09:00", "T09:30", "T10:00", "T09:00"];
    for (i, time) in times.iter().enumerate() {
        let start = if i < 3 {
            t.at_nine(1).replace("T09:00", time)
        } else {
            t.at_nine(2)
        };
        let mut b = booking(&site, &start, victim);
        b["resident"]["name"] = json!(format!("Personne {i}"));
        let from = [203, 0, 113, u8::try_from(i).unwrap_or(0) + 20];
        let r = t
            .send(Call::post("/api/v1/appointments").sent_from(from).json(b))
            .await;
        if i < 3 {
            assert_eq!(r.status, StatusCode::CREATED, "booking {i}: {}", r.body);
        } else {
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
            assert!(r.body.contains("this phone number today"), "{}", r.body);
            let own = t
                .send(
                    Call::post("/api/v1/appointments")
                        .sent_from(from)
                        .json(booking(&site, &start, "07 99 88 77 66")),
                )
                .await;
            assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
        }
    }
}

/// The probe: a bearer token outlived a password reset, and a token made
/// a 365-day token.
#[tokio::test]
async fn tokens_end_with_a_new_password_and_never_outlive_their_maker() {
    let t = TestApp::new().await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let who = t.staff("coordination", &[(Role::Coordinator, None)]).await;
    // The helper's token lasts 30 days.
    let longer = t
        .send(
            Call::post("/api/v1/tokens")
                .bearer(&who.token)
                .json(json!({"label": "script", "days": 60})),
        )
        .await;
    assert_eq!(longer.status, StatusCode::BAD_REQUEST, "{}", longer.body);
    assert!(longer.body.contains("outlives"), "{}", longer.body);
    let shorter = t
        .send(
            Call::post("/api/v1/tokens")
                .bearer(&who.token)
                .json(json!({"label": "script", "days": 7})),
        )
        .await;
    assert_eq!(shorter.status, StatusCode::CREATED, "{}", shorter.body);
    let second = shorter.json()["token"].as_str().expect("token").to_owned();
    let reset = t
        .send(Call::post(&format!("/api/v1/staff/{}/password", who.id)).bearer(&admin.token))
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    for token in [&who.token, &second] {
        let r = t.send(Call::get("/api/v1/session").bearer(token)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
}

/// Tokens have a maximum age the administrator sets: a longer one is
/// refused, and one older than it stops working.
#[tokio::test]
async fn tokens_have_the_maximum_age_the_administrator_sets() {
    let t = TestApp::with_settings(identity::Settings {
        token_max_days: 30,
        ..identity::Settings::default()
    })
    .await;
    let who = t.staff("coordination", &[(Role::Coordinator, None)]).await;
    let (cookie, csrf) = t.sign_in(&who).await;
    let too_long = t
        .send(
            Call::post("/api/v1/tokens")
                .cookie(&cookie)
                .header("x-csrf-token", &csrf)
                .json(json!({"label": "script", "days": 31})),
        )
        .await;
    assert_eq!(
        too_long.status,
        StatusCode::BAD_REQUEST,
        "{}",
        too_long.body
    );
    assert!(too_long.body.contains("1 to 30 days"), "{}", too_long.body);
    let old = t
        .identity()
        .issue_token(
            &identity::Acting::system("test", t.now()).at(t.now() - chrono::Duration::days(31)),
            who.id,
            "made before the maximum was lowered",
            Some(30),
            None,
        )
        .await
        .expect("token");
    let r = t
        .send(Call::get("/api/v1/session").bearer(&old.token))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let r = t
        .send(Call::get("/api/v1/session").bearer(&who.token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// The probe: every route answered 500 to a method it does not take.
#[tokio::test]
async fn a_method_a_route_does_not_take_is_405_with_allow_in_the_callers_language() {
    let t = TestApp::new().await;
    for (method, path, allow) in [
        ("TRACE", "/", "GET, HEAD"),
        ("PATCH", "/api/v1/sites", "GET, HEAD, POST"),
        ("OPTIONS", "/api/v1/sites", "GET, HEAD, POST"),
        ("POST", "/healthz", "GET, HEAD"),
        ("DELETE", "/agents", "GET, HEAD"),
    ] {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let r = t.send(Call::new(method.clone(), path).language("")).await;
        assert_eq!(
            r.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            r.body
        );
        let mut allowed: Vec<&str> = r
            .headers
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(", ")
            .collect();
        allowed.sort_unstable();
        assert_eq!(allowed.join(", "), allow, "{method} {path}");
        assert_eq!(r.json()["error"], "method_not_allowed");
        assert!(
            r.json()["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("cette adresse n'accepte pas")),
            "{}",
            r.body
        );
        // A page's language is the one its switch chose (a cookie); the
        // API's, the caller's Accept-Language.
        let en = if path.starts_with("/api/") || path == "/healthz" {
            t.send(Call::new(method.clone(), path)).await
        } else {
            t.send(Call::new(method.clone(), path).header("cookie", "creneau_lang=en"))
                .await
        };
        assert!(
            en.body.contains("this address does not take"),
            "{}",
            en.body
        );
    }
}

/// The probe: a 10 MB body got an untranslated 400, and 1.9 MB emails
/// grew the sign-in table.
#[tokio::test]
async fn oversized_bodies_get_413_and_long_emails_cost_nothing() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let mut big = booking(&site, &t.at_nine(1), "06 12 34 56 78");
    big["note"] = json!("x".repeat(10 << 20));
    let r = t
        .send(Call::post("/api/v1/appointments").json(big).language(""))
        .await;
    assert_eq!(
        r.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        &r.body[..r.body.len().min(300)]
    );
    assert_eq!(r.json()["error"], "too_large");
    assert!(r.body.contains("trop grande"), "{}", r.body);
    let form = t
        .send(
            Call::post("/connexion")
                .header("content-type", "application/x-www-form-urlencoded")
                .raw(format!("email={}", "x".repeat(1 << 20))),
        )
        .await;
    assert_eq!(form.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(form.json()["error"], "too_large");

    let who = t.staff("accueil", &[(Role::Reception, None)]).await;
    for i in 0..10 {
        let email = format!("{}{i}@ville.example.fr", "a".repeat(200 * 1024));
        let r = t
            .send(Call::post("/api/v1/session").json(json!({"email": email, "password": "x"})))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{}",
            &r.body[..r.body.len().min(200)]
        );
    }
    let fine = t
        .send(
            Call::post("/api/v1/session")
                .json(json!({"email": who.email, "password": who.password})),
        )
        .await;
    assert_eq!(fine.status, StatusCode::CREATED, "{}", fine.body);
}

#[test]
fn needs_for_staff_compare_a_manage_link_route_as_a_front_desk_one() {
    assert_eq!(Need::ResidentLink.for_staff(), Need::Staff(api::FRONT_DESK));
    assert_eq!(Need::Optional.for_staff(), Need::Public);
    assert_eq!(Need::Admin.for_staff(), Need::Admin);
}
