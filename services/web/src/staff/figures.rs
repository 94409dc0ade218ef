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
        let title = t(ctx, "statistics");
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
                p { a.button.secondary href={ "/api/v1/stats.csv?" (params) } download { (t(ctx, "download-the-table-csv")) } }
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
                            @for r in tb.rows.iter().map(|r| (site_name(&r.key), &r.figures)).chain(std::iter::once((t(ctx, "total").to_owned(), &tb.total))) {
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
