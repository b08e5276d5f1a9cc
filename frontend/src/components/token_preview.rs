//! The token preview: paste a token and see, as you type and without a server call, every check
//! lanyard-core runs, the user it would sign in and the group changes — against the form's current
//! values. **Test on server** asks the dry-run endpoint for the authoritative verdict beside it.

use lanyard_api::endpoint::TestToken;
use lanyard_api::{CheckOutcome, Group, JwtSettingsView, TokenTestRequest, Verdict};
use lanyard_core::{InspectInput, inspect, pending_signature, with_browser_signature};
use leptos::prelude::*;

use crate::api;
use crate::form::JwtForm;

/// The preview panel.
#[component]
pub fn TokenPreview(
    form: RwSignal<Option<JwtForm>>,
    saved: RwSignal<Option<JwtSettingsView>>,
    groups: RwSignal<Vec<Group>>,
) -> impl IntoView {
    let token = RwSignal::new(String::new());
    let server = RwSignal::new(None::<Result<Verdict, String>>);
    // A public-key signature checked by Web Crypto, for the token it was checked for.
    let browser_check = RwSignal::new(None::<(String, Result<bool, String>)>);
    let inspected = Memo::new(move |_| {
        let token = token.get();
        let token = token.trim();
        if token.is_empty() {
            return None;
        }
        let (Some(form), Some(saved)) = (form.get(), saved.get()) else {
            return None;
        };
        let (settings, key) = form.preview_settings(&saved);
        let site = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        let now = (js_sys::Date::now() / 1000.0) as i64;
        let keys = JwtForm::preview_keys(&settings, &saved);
        let input = InspectInput {
            token,
            settings: &settings,
            key: key.as_deref(),
            keys: &keys,
            verifier: None,
            site_url: &site,
            now,
            user: None,
        };
        Some((token.to_owned(), inspect(input), pending_signature(&input)))
    });
    // The public-key signature the core could not check: Web Crypto checks it, asynchronously.
    Effect::new(move |_| {
        let Some((token, _, Some(pending))) = inspected.get() else {
            return;
        };
        if browser_check.with_untracked(|c| c.as_ref().is_some_and(|(t, _)| *t == token)) {
            return;
        }
        leptos::task::spawn_local(async move {
            let result = crate::webcrypto::verify(&pending).await;
            browser_check.set(Some((token, result)));
        });
    });
    let local = Memo::new(move |_| {
        let (token, verdict, pending) = inspected.get()?;
        let checked = browser_check.with(|check| match check {
            Some((t, Ok(matches))) if *t == token && pending.is_some() => Some(*matches),
            _ => None,
        });
        Some(match checked {
            Some(matches) => with_browser_signature(verdict, matches),
            None => verdict,
        })
    });
    let test_on_server = move |_| {
        let (Some(current), Some(base)) = (form.get_untracked(), saved.get_untracked()) else {
            return;
        };
        let request = TokenTestRequest {
            token: token.get_untracked().trim().to_owned(),
            settings: Some(current.patch(&base)),
        };
        leptos::task::spawn_local(async move {
            let result = api::call(&TestToken {}, &request)
                .await
                .map_err(|e| e.to_string());
            server.set(Some(result));
        });
    };
    Effect::new(move |_| {
        token.track();
        server.set(None);
    });

    view! {
        <section class="card preview" aria-labelledby="preview-title">
            <h2 id="preview-title">"Token preview"</h2>
            <p class="help">"Paste a token from your identity provider to see what signing in with it would do. Checked in your browser against this form, saved or not."</p>
            <label for="preview-token">"Token"</label>
            <textarea id="preview-token" rows="4" spellcheck="false" prop:value=move || token.get()
                on:input=move |ev| token.set(event_target_value(&ev))></textarea>
            <div class="actions">
                <button type="button" on:click=test_on_server prop:disabled=move || token.with(|t| t.trim().is_empty())>"Test on server"</button>
            </div>
            <div class="verdicts">
                {move || local.get().map(|verdict| view! { <VerdictView title="In the browser" verdict=verdict groups=groups/> })}
                {move || server.get().map(|result| match result {
                    Ok(verdict) => view! { <VerdictView title="On the server" verdict=verdict groups=groups/> }.into_any(),
                    Err(error) => view! { <p class="notice error" role="alert">{error}</p> }.into_any(),
                })}
            </div>
        </section>
    }
}

/// One verdict: the outcome, every check, the user, the group changes, the decoded parts.
#[component]
fn VerdictView(
    title: &'static str,
    verdict: Verdict,
    groups: RwSignal<Vec<Group>>,
) -> impl IntoView {
    let summary = match (verdict.accepted, verdict.error) {
        (true, _) => "Would sign in".to_owned(),
        (false, Some(code)) => format!("Would be refused: {}", code.as_str()),
        (false, None) => "Not decided: a check was skipped".to_owned(),
    };
    let group_name = move |id: i64| {
        groups.with(|g| {
            g.iter()
                .find(|g| g.id == id)
                .map_or_else(|| format!("#{id}"), |g| g.name.clone())
        })
    };
    let checks = verdict
        .checks
        .iter()
        .map(|check| {
            let (class, label) = match &check.outcome {
                CheckOutcome::Pass => ("pass", "pass".to_owned()),
                CheckOutcome::Fail { code } => ("fail", format!("fail: {}", code.as_str())),
                CheckOutcome::Skipped => ("skip", "skipped".to_owned()),
            };
            let name = serde_json::to_value(check.name)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            view! {
                <tr class=class>
                    <th scope="row">{name}</th>
                    <td class="outcome">{label}</td>
                    <td>{check.detail.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let profile = verdict.profile.clone().map(|p| {
        let attributes = serde_json::to_string_pretty(&p.login_attributes).unwrap_or_default();
        view! {
            <h4>"User"</h4>
            <dl class="facts">
                <dt>"Email"</dt><dd>{p.email}</dd>
                <dt>"First name"</dt><dd>{p.first_name.unwrap_or_else(|| "(unchanged)".into())}</dd>
                <dt>"Last name"</dt><dd>{p.last_name.unwrap_or_else(|| "(unchanged)".into())}</dd>
                <dt>"Groups claim"</dt><dd>{p.groups.map_or_else(|| "(absent)".into(), |g| g.join(", "))}</dd>
                <dt>"Login attributes"</dt><dd><pre>{attributes}</pre></dd>
            </dl>
        }
    });
    let changes = verdict.group_changes.clone().map(|c| {
        let names = |ids: &[i64]| {
            if ids.is_empty() {
                "none".to_owned()
            } else {
                ids.iter()
                    .map(|&id| group_name(id))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        view! {
            <h4>"Group changes"</h4>
            <dl class="facts">
                <dt>"Joins"</dt><dd>{names(&c.add)}</dd>
                <dt>"Leaves"</dt><dd>{names(&c.remove)}</dd>
            </dl>
            {c.notes.into_iter().map(|n| view! { <p class="help">{n}</p> }).collect_view()}
        }
    });
    let decoded = |value: Option<serde_json::Value>| {
        value.map(|v| serde_json::to_string_pretty(&v).unwrap_or_default())
    };
    let header = decoded(verdict.header.clone());
    let payload = decoded(verdict.payload.clone());
    view! {
        <div class="verdict" data-testid=title>
            <h3>{title}</h3>
            <p class=if verdict.accepted { "summary pass" } else { "summary fail" } role="status">{summary}</p>
            <table class="checks">
                <thead><tr><th scope="col">"Check"</th><th scope="col">"Result"</th><th scope="col">"Detail"</th></tr></thead>
                <tbody>{checks}</tbody>
            </table>
            {profile}
            {changes}
            {header.map(|h| view! { <h4>"Header"</h4><pre>{h}</pre> })}
            {payload.map(|p| view! { <h4>"Payload (decoded, not trusted)"</h4><pre>{p}</pre> })}
        </div>
    }
}
