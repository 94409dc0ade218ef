//! The statistics API, for coordinators: `GET /api/v1/stats` (JSON) and
//! `GET /api/v1/stats.csv` (for spreadsheets), filtered by period and site,
//! grouped by permanence, site, week, month or year.

use api::{ApiError, ApiQuery, Doc, Need, Routes, Verb};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use contracts::{Role, SiteId};
use serde::Deserialize;

use crate::figures::{By, csv};
use crate::service::{Query, Stats, Table};

#[derive(Clone)]
struct HttpState {
    stats: Stats,
}

/// The roles that read the statistics.
pub const READERS: &[Role] = &[Role::Coordinator];

pub fn routes(stats: Stats) -> Routes {
    use Need::Staff;
    use Verb::Get;
    Routes::new()
        .route(Get, "/api/v1/stats", Staff(READERS), stats_get)
        .doc(
            Doc::new("Attendance and waiting-time figures, by row and in total")
                .query::<Params>()
                .ok::<crate::Table>(),
        )
        .route(Get, "/api/v1/stats.csv", Staff(READERS), stats_csv)
        .doc(
            Doc::new("The same figures as CSV")
                .query::<Params>()
                .content("text/csv", "One line per row, then the total."),
        )
        .route(
            Get,
            "/api/v1/stats/activity.csv",
            Staff(READERS),
            activity_csv,
        )
        .doc(
            Doc::new("One line per visit, as the national activity report asks")
                .query::<Params>()
                .content("text/csv", "One line per visit or workshop session."),
        )
        .route(
            Get,
            "/api/v1/stats/charts/{chart}",
            Staff(READERS),
            chart_get,
        )
        .doc(
            Doc::new("A chart: people, kinds, waits or no-shows")
                .query::<Params>()
                .content("image/svg+xml", "An SVG chart."),
        )
        .with_state(HttpState { stats })
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Params {
    #[schemars(with = "chrono::NaiveDate")]
    from: String,
    #[schemars(with = "chrono::NaiveDate")]
    to: String,
    #[schemars(with = "Option<contracts::SiteId>")]
    site: Option<String>,
    by: Option<String>,
}

fn date(field: &'static str, text: &str) -> Result<NaiveDate, ApiError> {
    text.parse().map_err(|_| ApiError::Invalid {
        field: field.to_owned(),
        message: messages::say!(
            crate::MESSAGES,
            "is-not-date-write-2019",
            text = format!("{:?}", text)
        ),
    })
}

async fn query(s: &HttpState, principal: &api::Principal, p: Params) -> Result<Query, ApiError> {
    allowed_query(&s.stats, principal, &p.from, &p.to, p.site, p.by.as_deref()).await
}

/// The query the caller may make: their sites only, unless they read them
/// all; a bad date, grouping or site says which. Shared with the web page.
pub async fn allowed_query(
    stats: &Stats,
    principal: &api::Principal,
    from: &str,
    to: &str,
    site: Option<String>,
    by: Option<&str>,
) -> Result<Query, ApiError> {
    let from = date("from", from)?;
    let to = date("to", to)?;
    let by = match by {
        None => By::Permanence,
        Some(b) => By::parse(b).ok_or_else(|| ApiError::Invalid {
            field: "by".into(),
            message: messages::say!(
                crate::MESSAGES,
                "group-by-permanence-site-week",
                b = format!("{:?}", b)
            ),
        })?,
    };
    let known = stats.sites().await.map_err(ApiError::from)?;
    let sites: Vec<SiteId> = match site {
        Some(raw) => {
            let site: SiteId = raw
                .parse()
                .ok()
                .filter(|id| known.iter().any(|(k, _)| k == id))
                .ok_or_else(|| {
                    ApiError::NotFound(messages::say!(
                        crate::MESSAGES,
                        "there-is-no-site",
                        raw = raw
                    ))
                })?;
            principal.require(READERS, Some(site))?;
            vec![site]
        }
        None => known
            .iter()
            .map(|(id, _)| *id)
            .filter(|site| principal.may(READERS, Some(*site)))
            .collect(),
    };
    Ok(Query {
        from,
        to,
        sites: Some(sites),
        by,
    })
}

async fn table(s: &HttpState, principal: &api::Principal, p: Params) -> Result<Table, ApiError> {
    let q = query(s, principal, p).await?;
    s.stats.table(&q).await.map_err(ApiError::from)
}

async fn stats_get(
    State(s): State<HttpState>,
    principal: api::Principal,
    ApiQuery(p): ApiQuery<Params>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(table(&s, &principal, p).await?).into_response())
}

async fn stats_csv(
    State(s): State<HttpState>,
    principal: api::Principal,
    ApiQuery(p): ApiQuery<Params>,
) -> Result<Response, ApiError> {
    let name = format!("creneau-{}-{}.csv", p.from, p.to);
    let t = table(&s, &principal, p).await?;
    let mut rows: Vec<(String, crate::figures::Figures)> =
        t.rows.into_iter().map(|r| (r.key, r.figures)).collect();
    rows.push(("total".into(), t.total));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        csv(&rows),
    )
        .into_response())
}

/// One row per visit, in the shape of the national digital mediators'
/// activity report (see [`crate::activity`]).
async fn activity_csv(
    State(s): State<HttpState>,
    principal: api::Principal,
    ApiQuery(p): ApiQuery<Params>,
) -> Result<Response, ApiError> {
    let name = format!("creneau-activite-{}-{}.csv", p.from, p.to);
    let q = query(&s, &principal, p).await?;
    let body = s.stats.activity_csv(&q).await.map_err(ApiError::from)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// Short names of the kinds, for charts.
fn kind_label(kind: &str) -> String {
    crate::MESSAGES.now("chart-kind", &[("kind", kind.into())])
}

/// `people` (people and requests per permanence over the rows), `kinds`
/// (requests by kind), `waits` (the drop-in wait's distribution),
/// `no-shows` (with and without a delivered reminder), as SVG.
async fn chart_get(
    State(s): State<HttpState>,
    principal: api::Principal,
    Path(chart): Path<String>,
    ApiQuery(p): ApiQuery<Params>,
) -> Result<Response, ApiError> {
    use crate::charts::{COLOURS, Series, bars};
    use crate::figures::{KINDS, WAIT_BUCKETS};
    let t = table(&s, &principal, p).await?;
    let per = |f: &crate::figures::Figures, n: u32| {
        if f.permanences == 0 {
            0.0
        } else {
            f64::from(n) / f64::from(f.permanences)
        }
    };
    let say = |id: &str| crate::MESSAGES.now(id, &[]);
    let (people, requests) = (say("chart-people"), say("chart-requests"));
    let svg = match chart.as_str() {
        "people" => {
            // A site's row reads better by its name.
            let names = s.stats.sites().await.map_err(ApiError::from)?;
            let labels: Vec<String> = t
                .rows
                .iter()
                .map(|r| {
                    names
                        .iter()
                        .find(|(id, _)| id.to_string() == r.key)
                        .map_or_else(|| r.key.clone(), |(_, name)| name.clone())
                })
                .collect();
            bars(
                &say("chart-people-title"),
                &labels,
                &[
                    Series {
                        name: &people,
                        values: t
                            .rows
                            .iter()
                            .map(|r| per(&r.figures, r.figures.people))
                            .collect(),
                        colour: COLOURS[0],
                    },
                    Series {
                        name: &requests,
                        values: t
                            .rows
                            .iter()
                            .map(|r| per(&r.figures, r.figures.requests))
                            .collect(),
                        colour: COLOURS[1],
                    },
                ],
            )
        }
        "kinds" => bars(
            &say("chart-kinds-title"),
            &KINDS.iter().map(|k| kind_label(k)).collect::<Vec<_>>(),
            &[Series {
                name: &requests,
                values: KINDS
                    .iter()
                    .map(|k| f64::from(t.total.by_kind.get(k).copied().unwrap_or(0)))
                    .collect(),
                colour: COLOURS[0],
            }],
        ),
        "waits" => {
            let mut labels: Vec<String> = Vec::new();
            let mut low = 0;
            for high in WAIT_BUCKETS {
                labels.push(messages::say!(
                    crate::MESSAGES,
                    "chart-wait-between",
                    low = low,
                    high = high
                ));
                low = high;
            }
            labels.push(messages::say!(
                crate::MESSAGES,
                "chart-wait-over",
                low = low
            ));
            bars(
                &say("chart-waits-title"),
                &labels,
                &[Series {
                    name: &people,
                    values: t
                        .total
                        .wait_histogram
                        .iter()
                        .map(|n| f64::from(*n))
                        .collect(),
                    colour: COLOURS[2],
                }],
            )
        }
        "no-shows" => bars(
            &say("chart-no-shows-title"),
            &[say("chart-with-reminder"), say("chart-without-reminder")],
            &[Series {
                name: &say("chart-absent"),
                values: vec![
                    t.total.no_show_rate_reminded.unwrap_or(0.0) * 100.0,
                    t.total.no_show_rate_not_reminded.unwrap_or(0.0) * 100.0,
                ],
                colour: COLOURS[3],
            }],
        ),
        other => {
            return Err(ApiError::NotFound(messages::say!(
                crate::MESSAGES,
                "there-is-no-chart-people",
                other = format!("{:?}", other)
            )));
        }
    };
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        svg,
    )
        .into_response())
}
