//! Admin › Overview, the landing page: sign-ins over the last 24 hours or 7 days (an SVG chart drawn
//! here, from counts the server aggregates), people and sessions, and the IdP connection's health —
//! so an admin sees at a glance whether and why sign-ins fail.

use lanyard_api::endpoint::{GetAuditSummary, NoBody};
use lanyard_api::{AuditSummary, ErrorCode, SignInBucket};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::audit_text::relative;
use crate::components::{AdminLayout, Notice, NoticeKind};

const CHART_WIDTH: f64 = 720.0;
const CHART_HEIGHT: f64 = 180.0;
const AXIS: f64 = 22.0;

/// The overview page.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let summary = RwSignal::new(None::<AuditSummary>);
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let daily = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        match api::call(&GetAuditSummary {}, &NoBody).await {
            Ok(s) => summary.set(Some(s)),
            Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
        }
    });
    let now = js_sys::Date::now();
    let stat = move |pick: fn(&AuditSummary) -> i64| {
        move || summary.with(|s| s.as_ref().map_or("…".to_owned(), |s| pick(s).to_string()))
    };
    view! {
        <AdminLayout title="Overview">
            <Notice message=notice.into()/>
            <div class="stats">
                <section class="card stat"><h2>"People"</h2><p class="number" data-testid="stat-people">{stat(|s| s.people)}</p></section>
                <section class="card stat"><h2>"Active sessions"</h2><p class="number" data-testid="stat-sessions">{stat(|s| s.active_sessions)}</p></section>
                <section class="card stat"><h2>"Sign-ins today"</h2><p class="number">{stat(|s| s.last_7_days.last().map_or(0, |b| b.successes))}</p></section>
            </div>
            <section class="card" aria-labelledby="health-title">
                <h2 id="health-title">"Identity provider connection"</h2>
                {move || summary.get().map(|s| health(&s, now))}
            </section>
            <section class="card" aria-labelledby="chart-title">
                <div class="chart-head">
                    <h2 id="chart-title">"Sign-ins"</h2>
                    <div class="segmented" role="group" aria-label="Period">
                        <button type="button" aria-pressed=move || (!daily.get()).to_string() on:click=move |_| daily.set(false)>"24 hours"</button>
                        <button type="button" aria-pressed=move || daily.get().to_string() on:click=move |_| daily.set(true)>"7 days"</button>
                    </div>
                </div>
                {move || summary.get().map(|s| {
                    let buckets = if daily.get() { s.last_7_days } else { s.last_24_hours };
                    chart(&buckets, daily.get())
                })}
            </section>
        </AdminLayout>
    }
}

/// The last success, the last refusal with its reason, the JWK Set — or what to do first.
fn health(s: &AuditSummary, now: f64) -> AnyView {
    if !s.sso_enabled {
        return view! {
            <p data-testid="health">"JWT sign-in is off, so no one signs in through your identity provider yet."</p>
            <A href="/admin/settings/authentication/jwt" attr:class="button primary">"Set up JWT sign-in"</A>
        }
        .into_any();
    }
    let success = s.last_sso_login.as_deref().map_or_else(
        || "No one has signed in through SSO yet.".to_owned(),
        |at| format!("Last successful SSO sign-in: {}", relative(at, now)),
    );
    let failure = s.last_sso_failure.as_ref().map(|f| {
        let reason = serde_json::from_value::<ErrorCode>(serde_json::Value::String(f.code.clone()))
            .map_or_else(|_| f.code.clone(), |code| code.message().to_owned());
        format!(
            "Last refused: {} — {} ({})",
            relative(&f.at, now),
            reason,
            f.code
        )
    });
    let jwks = s.jwks.as_ref().map(|j| match &j.last_error {
        Some(error) => format!("Key set (JWKS): the last fetch failed — {error}"),
        None => format!("Key set (JWKS): {} key(s) fetched", j.keys.len()),
    });
    view! {
        <ul class="health" data-testid="health">
            <li class="ok">{success}</li>
            {failure.map(|f| view! { <li class="bad">{f}</li> })}
            {jwks.map(|j| view! { <li>{j}</li> })}
        </ul>
    }
    .into_any()
}

/// Stacked bars: successes at the bottom, refusals above, one bar per stretch; each bar's title
/// gives its numbers, and a legend totals the refusals by reason.
fn chart(buckets: &[SignInBucket], daily: bool) -> AnyView {
    let total = |b: &SignInBucket| b.successes + b.failures.values().sum::<i64>();
    let peak = buckets.iter().map(total).max().unwrap_or(0).max(1) as f64;
    let slot = CHART_WIDTH / buckets.len().max(1) as f64;
    let bar = (slot * 0.7).max(2.0);
    let plot = CHART_HEIGHT - AXIS;
    let successes: i64 = buckets.iter().map(|b| b.successes).sum();
    let mut reasons = std::collections::BTreeMap::<String, i64>::new();
    for b in buckets {
        for (code, n) in &b.failures {
            *reasons.entry(code.clone()).or_default() += n;
        }
    }
    let refused: i64 = reasons.values().sum();
    let label = |b: &SignInBucket, i: usize| -> Option<String> {
        let hour = b.start.get(11..13)?;
        if daily {
            Some(b.start.get(5..10)?.to_owned())
        } else if i.is_multiple_of(6) {
            Some(format!("{hour}:00"))
        } else {
            None
        }
    };
    let bars = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let failed: i64 = b.failures.values().sum();
            let x = i as f64 * slot + (slot - bar) / 2.0;
            let ok_height = b.successes as f64 / peak * plot;
            let bad_height = failed as f64 / peak * plot;
            let title = format!("{}: {} signed in, {} refused", b.start, b.successes, failed);
            view! {
                <g>
                    <title>{title}</title>
                    <rect class="ok" x=x y=plot - ok_height width=bar height=ok_height/>
                    <rect class="bad" x=x y=plot - ok_height - bad_height width=bar height=bad_height/>
                    {label(b, i).map(|text| view! {
                        <text x=x + bar / 2.0 y=CHART_HEIGHT - 6.0 text-anchor="middle">{text}</text>
                    })}
                </g>
            }
        })
        .collect_view();
    let summary = format!("{successes} sign-ins, {refused} refused");
    view! {
        <svg class="chart" viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}") role="img"
            aria-label=summary.clone()>
            <line x1="0" y1=plot x2=CHART_WIDTH y2=plot class="axis"/>
            {bars}
        </svg>
        <p class="legend" data-testid="chart-summary">
            <span class="swatch ok"></span>{format!("{successes} signed in")}
            <span class="swatch bad"></span>{format!("{refused} refused")}
        </p>
        {(!reasons.is_empty()).then(|| view! {
            <ul class="reasons">
                {reasons.into_iter().map(|(code, n)| view! { <li><code>{code}</code>{format!(" × {n}")}</li> }).collect_view()}
            </ul>
        })}
    }
    .into_any()
}
