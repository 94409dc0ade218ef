//! The coordinators' statistics: the table, the charts and the CSV link.

use super::*;
use chrono::Datelike as _;

#[derive(Deserialize)]
pub struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
    site: Option<String>,
    by: Option<String>,
}

pub(super) fn number(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}").replace('.', ","))
}

/// The figures of the coordinator's sites: a table, the charts, the CSV.
pub async fn stats_page(State(web): State<Web>, ctx: Ctx, Query(q): Query<StatsQuery>) -> Response {
    staff_page!(ctx, p, async {
        p.require(stats::READERS, None)?;
        let today = contracts::time::local_date(web.now());
        let first = today.with_day0(0).unwrap_or(today);
        let from = q
            .from
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| first.to_string());
        let to =
            q.to.clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| today.to_string());
        let site = q.site.clone().filter(|s| !s.is_empty());
        let by =
            q.by.clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "site".to_owned());
        let sites = sites_of(&web, p, stats::READERS).await?;
        let query =
            stats::allowed_query(&web.inner.stats, p, &from, &to, site.clone(), Some(&by)).await;
        let (table, problem) = match query {
            Ok(query) => match web.inner.stats.table(&query).await {
                Ok(t) => (Some(t), None),
                Err(e) => (None, Some(says(ctx, &ApiError::from(e)))),
            },
            Err(e) => (None, Some(says(ctx, &e))),
        };
        let mut params = format!(
            "from={}&to={}&by={}",
            url_encode(&from),
            url_encode(&to),
            url_encode(&by)
        );
        if let Some(s) = &site {
            params.push_str(&format!("&site={}", url_encode(s)));
        }
        let site_name = |key: &str| {
            sites
                .iter()
                .find(|s| s.id.to_string() == key)
                .map_or_else(|| key.to_owned(), |s| s.details.name.clone())
        };
        // Each row by its name, then the total: what both tables show.
        let lines: Vec<(String, &stats::Figures)> = table
            .iter()
            .flat_map(|tb| {
                tb.rows
                    .iter()
                    .map(|r| (site_name(&r.key), &r.figures))
                    .chain(std::iter::once((t(ctx, "total"), &tb.total)))
            })
            .collect();
        let title = t(ctx, "statistics");
        // A workshop is named by its title (its rule's label).
        let titles: std::collections::HashMap<String, String> = web
            .inner
            .calendar
            .model()
            .await
            .map_err(ApiError::from)?
            .rules
            .values()
            .filter(|r| r.spec.offer.workshop.is_some())
            .map(|r| (r.id.to_string(), r.spec.label.clone()))
            .collect();
        let charts = [
            ("people", t(ctx, "people-and-requests-per-permanence")),
            ("kinds", t(ctx, "requests-by-kind")),
            ("waits", t(ctx, "wait-before-being-seen-drop")),
            ("no-shows", t(ctx, "no-shows-with-and-without")),
        ];
        let body = html! {
            h1 { (title) }
            form method="get" action="/agents/statistiques" {
                div.grid2 {
                    div { label for="from" { (t(ctx, "from-2")) } input type="date" id="from" name="from" value=(from); }
                    div { label for="to" { (t(ctx, "to")) } input type="date" id="to" name="to" value=(to); }
                    div {
                        label for="site" { (t(ctx, "site")) }
                        select id="site" name="site" {
                            option value="" { (t(ctx, "all-my-sites")) }
                            @for s in &sites { option value=(s.id) selected[site.as_deref() == Some(s.id.to_string().as_str())] { (s.details.name) } }
                        }
                    }
                    div {
                        label for="by" { (t(ctx, "by")) }
                        select id="by" name="by" {
                            @for v in ["site", "permanence", "week", "month", "year"] {
                                option value=(v) selected[by == v] { (t(ctx, &format!("by-{v}"))) }
                            }
                        }
                    }
                }
                button type="submit" { (t(ctx, "show")) }
            }
            @if let Some(m) = &problem { p.alert role="alert" { (m) } }
            @if let Some(tb) = &table {
                p {
                    a.button.secondary href={ "/api/v1/stats.csv?" (params) } download { (t(ctx, "download-the-table-csv")) }
                    " "
                    a.button.secondary href={ "/api/v1/stats/activity.csv?" (params) } download { (t(ctx, "download-activity-report")) }
                }
                div.scroll tabindex="0" {
                    table {
                        caption { (t(ctx, "figures-of-the-period")) }
                        thead { tr {
                            th scope="col" { (t(ctx, "group")) }
                            th.num scope="col" { (t(ctx, "permanences")) }
                            th.num scope="col" { (t(ctx, "people")) }
                            th.num scope="col" { (t(ctx, "requests")) }
                            th.num scope="col" { (t(ctx, "median-wait-min")) }
                            th.num scope="col" { (t(ctx, "left-unserved")) }
                            th.num scope="col" { (t(ctx, "appointments")) }
                            th.num scope="col" { (t(ctx, "no-shows")) }
                            th.num scope="col" { (t(ctx, "sms-sent")) }
                        } }
                        tbody {
                            @for r in &lines {
                                tr {
                                    th scope="row" { (r.0) }
                                    td.num { (r.1.permanences) }
                                    td.num { (r.1.people) }
                                    td.num { (r.1.requests) }
                                    td.num { (number(r.1.wait_median_minutes)) }
                                    td.num { (r.1.left_unserved) }
                                    td.num { (r.1.booked) }
                                    td.num { (r.1.no_show) }
                                    td.num { (r.1.reminders_sent) }
                                }
                            }
                        }
                    }
                }
                // The other half of the offer: how autonomous people were,
                // and who moved up a level over their visits.
                div.scroll tabindex="0" {
                    table {
                        caption { (t(ctx, "autonomy-and-progression")) }
                        thead { tr {
                            th scope="col" { (t(ctx, "group")) }
                            th.num scope="col" { (t(ctx, "autonomy-guided")) }
                            th.num scope="col" { (t(ctx, "autonomy-with-help")) }
                            th.num scope="col" { (t(ctx, "autonomy-autonomous")) }
                            th.num scope="col" { (t(ctx, "not-said")) }
                            th.num scope="col" { (t(ctx, "residents-followed")) }
                            th.num scope="col" { (t(ctx, "residents-moved-up")) }
                            th.num scope="col" { (t(ctx, "days-to-move-up")) }
                        } }
                        tbody {
                            @for r in &lines {
                                tr {
                                    th scope="row" { (r.0) }
                                    td.num { (r.1.autonomy_guided) }
                                    td.num { (r.1.autonomy_with_help) }
                                    td.num { (r.1.autonomy_autonomous) }
                                    td.num { (r.1.autonomy_not_said) }
                                    td.num { (r.1.residents_followed) }
                                    td.num { (r.1.residents_moved_up) @if let Some(s) = r.1.moved_up_share { " (" (number(Some(s * 100.0))) " %)" } }
                                    td.num { (r.1.days_to_move_up_median.map_or_else(|| "—".to_owned(), |d| d.to_string())) }
                                }
                            }
                        }
                    }
                }
                // Workshops, apart from the permanences: their places and
                // attendance, and the residents oriented to one.
                div.scroll tabindex="0" {
                    table {
                        caption { (t(ctx, "workshops-and-orientations")) }
                        thead { tr {
                            th scope="col" { (t(ctx, "group")) }
                            th.num scope="col" { (t(ctx, "workshop-sessions")) }
                            th.num scope="col" { (t(ctx, "workshop-places")) }
                            th.num scope="col" { (t(ctx, "workshop-present")) }
                            th.num scope="col" { (t(ctx, "workshop-absent")) }
                            th.num scope="col" { (t(ctx, "excused")) }
                            th.num scope="col" { (t(ctx, "oriented-to-workshop")) }
                            th.num scope="col" { (t(ctx, "oriented-then-enrolled")) }
                            th.num scope="col" { (t(ctx, "oriented-then-present")) }
                            th.num scope="col" { (t(ctx, "series-enrolments")) }
                            th.num scope="col" { (t(ctx, "series-completed")) }
                        } }
                        tbody {
                            @for r in &lines {
                                tr {
                                    th scope="row" { (r.0) }
                                    td.num { (r.1.workshop_sessions) }
                                    td.num { (r.1.workshop_places) }
                                    td.num { (r.1.workshop_present) @if let Some(s) = r.1.workshop_presence_share { " (" (number(Some(s * 100.0))) " %)" } }
                                    td.num { (r.1.workshop_absent) }
                                    td.num { (r.1.workshop_excused) }
                                    td.num { (r.1.oriented_to_workshop) }
                                    td.num { (r.1.oriented_then_enrolled) }
                                    td.num { (r.1.oriented_then_present) }
                                    td.num { (r.1.series_enrolments) }
                                    td.num { (r.1.series_completed) }
                                }
                            }
                        }
                    }
                }
                h2 { (t(ctx, "orientations")) }
                @if tb.total.oriented == 0 {
                    p { (t(ctx, "no-orientation-in-period")) }
                } @else {
                    ul {
                        @for (to, n) in &tb.total.oriented_to {
                            li { (orientation_words(ctx, &titles, to)) " : " (n) }
                        }
                    }
                }
                @for (chart, caption) in charts {
                    figure {
                        // On a phone the chart keeps a legible size and
                        // scrolls sideways in its own box.
                        div.scroll tabindex="0" {
                            img.chart src={ "/api/v1/stats/charts/" (chart) "?" (params) } alt=(caption) width="720" height="360";
                        }
                        figcaption { (caption) " · " a href={ "/api/v1/stats/charts/" (chart) "?" (params) } { (t(ctx, "open-the-chart-with-its")) } }
                    }
                }
            }
        };
        Ok(Page::new(title, body).wide().render(ctx))
    })
}

/// Where an orientation went, as the figures key it (`helper:it_helper`,
/// `partner:CAF`), in words.
fn orientation_words(
    ctx: &Ctx,
    titles: &std::collections::HashMap<String, String>,
    key: &str,
) -> String {
    match key.split_once(':') {
        Some(("helper", "it_helper")) => t(ctx, "orient-it-helper"),
        Some(("helper", "mediator")) => t(ctx, "orient-mediator"),
        Some(("workshop", rule)) => t_with(
            ctx,
            "orient-to-workshop",
            &[(
                "title",
                titles
                    .get(rule)
                    .cloned()
                    .unwrap_or_else(|| rule.to_owned())
                    .into(),
            )],
        ),
        Some((_, name)) => name.to_owned(),
        None => key.to_owned(),
    }
}
