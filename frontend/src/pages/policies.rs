//! Admin › Access policies (SPEC §15): the ordered rules (add, edit, move, remove), the default,
//! the bearer audiences, and the tester — evaluated in the browser by lanyard-core on the unsaved
//! rules as they are typed, as the token preview does for tokens. Field rules are lanyard-core's.

use lanyard_api::endpoint::{GetSettings, NoBody, SaveSettings};
use lanyard_api::{
    AccessDefault, AccessPolicy, ErrorCode, JwtSettingsPatch, JwtSettingsView, PolicyAction,
    PolicyOutcome,
};
use lanyard_core::policy::{Facts, PolicySet, policy_problems};
use leptos::prelude::*;

use crate::api;
use crate::components::{AdminLayout, Notice, NoticeLine, say_done, say_failed};

/// A list typed as text: comma- or newline-separated, blanks dropped.
fn list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The page.
#[component]
pub fn PoliciesPage() -> impl IntoView {
    let saved = RwSignal::new(None::<JwtSettingsView>);
    let rules = RwSignal::new(Vec::<AccessPolicy>::new());
    let default = RwSignal::new(AccessDefault::SignedIn);
    let audiences = RwSignal::new(String::new());
    let notice: NoticeLine = RwSignal::new(None);
    let show = move |view: JwtSettingsView| {
        rules.set(view.access_policies.clone());
        default.set(view.access_default);
        audiences.set(view.bearer_audiences.join("\n"));
        saved.set(Some(view));
    };
    leptos::task::spawn_local(async move {
        match api::call(&GetSettings {}, &NoBody).await {
            Ok(view) => show(view),
            Err(error) => say_failed(notice, error),
        }
    });
    let problems = Memo::new(move |_| rules.with(|r| policy_problems(r)));
    let error_of = move |index: usize, field: &'static str| {
        let name = format!("access_policies.{index}.{field}");
        problems.with(|p| {
            p.iter()
                .find(|e| e.field.as_str() == name)
                .map(|e| e.message.clone())
        })
    };
    let save = move |_| {
        let patch = JwtSettingsPatch {
            access_policies: Some(rules.get_untracked()),
            access_default: Some(default.get_untracked()),
            bearer_audiences: Some(list(&audiences.get_untracked())),
            version: saved.with_untracked(|s| s.as_ref().map(|s| s.version)),
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            match api::call(&SaveSettings {}, &patch).await {
                Ok(view) => {
                    show(view);
                    say_done(notice, "Access policies saved.".into());
                }
                Err(error) if error.code == Some(ErrorCode::SettingsConflict) => {
                    say_failed(
                        notice,
                        "Someone else changed the settings meanwhile; reload to see them.",
                    );
                }
                Err(error) => say_failed(notice, error),
            }
        });
    };
    let edit = move |index: usize, change: Box<dyn FnOnce(&mut AccessPolicy)>| {
        rules.update(|r| {
            if let Some(rule) = r.get_mut(index) {
                change(rule);
            }
        });
    };
    let text_field = move |index: usize,
                           label: &'static str,
                           field: &'static str,
                           read: fn(&AccessPolicy) -> String,
                           write: fn(&mut AccessPolicy, String)| {
        let id = format!("rule-{index}-{field}");
        view! {
            <label for=id.clone()>{label}</label>
            <input id=id spellcheck="false"
                prop:value=move || rules.with(|r| r.get(index).map(read).unwrap_or_default())
                on:change=move |ev| { let v = event_target_value(&ev); edit(index, Box::new(move |rule| write(rule, v))) }/>
            <p class="field-error" role="alert">{move || error_of(index, field)}</p>
        }
    };
    let rule_card = move |index: usize| {
        let count = rules.with_untracked(Vec::len);
        view! {
            <fieldset class="card" data-testid=format!("rule-{index}")>
                <legend>{move || rules.with(|r| r.get(index).map(|p| format!("{}. {}", index + 1, p.name)).unwrap_or_default())}</legend>
                {text_field(index, "Name", "name", |p| p.name.clone(), |p, v| p.name = v)}
                {text_field(index, "Hosts (app.example.com, *.example.com; empty: any)", "hosts", |p| p.hosts.join(", "), |p, v| p.hosts = list(&v))}
                {text_field(index, "Paths (/api/ is a prefix; /admin/** a glob; empty: any)", "paths", |p| p.paths.join(", "), |p, v| p.paths = list(&v))}
                {text_field(index, "Methods (empty: any)", "methods", |p| p.methods.join(", "), |p, v| p.methods = list(&v))}
                {text_field(index, "Networks (CIDRs; empty: any)", "networks", |p| p.networks.join(", "), |p, v| p.networks = list(&v))}
                <label for=format!("rule-{index}-action")>"Action"</label>
                <select id=format!("rule-{index}-action") on:change=move |ev| {
                    let action = match event_target_value(&ev).as_str() {
                        "bypass" => PolicyAction::Bypass,
                        "deny" => PolicyAction::Deny,
                        _ => PolicyAction::Allow,
                    };
                    edit(index, Box::new(move |rule| rule.action = action));
                }>
                    {[(PolicyAction::Allow, "allow", "Allow: signed in (and in a group, when named)"),
                      (PolicyAction::Bypass, "bypass", "Bypass: anyone, signed in or not"),
                      (PolicyAction::Deny, "deny", "Deny: nobody")]
                        .into_iter().map(|(action, value, label)| view! {
                            <option value=value selected=move || rules.with(|r| r.get(index).is_some_and(|p| p.action == action))>{label}</option>
                        }).collect_view()}
                </select>
                {text_field(index, "Groups (names; allow only)", "groups", |p| p.groups.join(", "), |p, v| p.groups = list(&v))}
                <label class="toggle"><input type="checkbox"
                    prop:checked=move || rules.with(|r| r.get(index).is_some_and(|p| p.admins))
                    on:change=move |ev| { let on = event_target_checked(&ev); edit(index, Box::new(move |rule| rule.admins = on)) }/>
                    "Administrators may pass"</label>
                <div class="actions">
                    <button type="button" prop:disabled={index == 0} on:click=move |_| rules.update(|r| r.swap(index - 1, index))>"Move up"</button>
                    <button type="button" prop:disabled={index + 1 >= count} on:click=move |_| rules.update(|r| r.swap(index, index + 1))>"Move down"</button>
                    <button type="button" class="danger" on:click=move |_| rules.update(|r| { r.remove(index); })>"Remove"</button>
                </div>
            </fieldset>
        }
    };

    view! {
        <AdminLayout title="Access policies">
            <Notice message=notice.into()/>
            <p class="help">"For requests your proxy asks /auth/verify about: the first rule that matches the host, path, method and network decides."</p>
            {move || (0..rules.with(Vec::len)).map(rule_card).collect_view()}
            <button type="button" on:click=move |_| rules.update(|r| r.push(AccessPolicy {
                name: format!("Rule {}", r.len() + 1),
                ..AccessPolicy::default()
            }))>"Add rule"</button>
            <section class="card" aria-labelledby="default-title">
                <h2 id="default-title">"When no rule matches"</h2>
                <select aria-label="Default" on:change=move |ev| default.set(if event_target_value(&ev) == "deny" { AccessDefault::Deny } else { AccessDefault::SignedIn })>
                    <option value="signed_in" selected=move || default.get() == AccessDefault::SignedIn>"Any signed-in person"</option>
                    <option value="deny" selected=move || default.get() == AccessDefault::Deny>"Nobody"</option>
                </select>
                <label for="bearer-audiences">"Bearer audiences"</label>
                <p class="help">"A JWT sent as Authorization: Bearer must name one of these in aud (one per line; empty: none accepted)."</p>
                <textarea id="bearer-audiences" rows="3" prop:value=move || audiences.get()
                    on:input=move |ev| audiences.set(event_target_value(&ev))></textarea>
            </section>
            <Tester rules=rules default=default/>
            <div class="action-bar" role="region" aria-label="Save">
                <button type="button" class="primary" prop:disabled=move || problems.with(|p| !p.is_empty()) on:click=save>"Save policies"</button>
            </div>
        </AdminLayout>
    }
}

/// The tester: a request, judged by lanyard-core on the rules as typed.
#[component]
fn Tester(rules: RwSignal<Vec<AccessPolicy>>, default: RwSignal<AccessDefault>) -> impl IntoView {
    let host = RwSignal::new(String::new());
    let uri = RwSignal::new("/".to_owned());
    let method = RwSignal::new("GET".to_owned());
    let address = RwSignal::new(String::new());
    let answer = move || {
        let set = rules.with(|r| PolicySet::compile(r, default.get()));
        let address_text = address.get();
        let parsed = address_text.trim().parse().ok();
        let decision = set.evaluate(&Facts {
            host: &host.get(),
            uri: &uri.get(),
            method: &method.get(),
            address: parsed,
        });
        let which = match decision.rule {
            Some(index) => format!("rule {} ({})", index + 1, decision.rule_name),
            None => "the default".to_owned(),
        };
        let what = match decision.action {
            PolicyOutcome::Bypass => "let through, signed in or not".to_owned(),
            PolicyOutcome::Deny => "refused (403)".to_owned(),
            PolicyOutcome::Allow { groups, admins } => match (groups.is_empty(), admins) {
                (true, false) => "any signed-in person".to_owned(),
                (true, true) => "administrators only".to_owned(),
                (false, false) => format!("members of {}", groups.join(", ")),
                (false, true) => format!("members of {}, or administrators", groups.join(", ")),
            },
        };
        format!("Decided by {which}: {what}.")
    };
    let input = move |id: &'static str, label: &'static str, value: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input id=id spellcheck="false" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
        }
    };
    view! {
        <section class="card" aria-labelledby="tester-title">
            <h2 id="tester-title">"Try a request"</h2>
            {input("test-host", "Host", host)}
            {input("test-uri", "Path", uri)}
            {input("test-method", "Method", method)}
            {input("test-address", "Client address (optional)", address)}
            <p class="status" role="status" data-testid="policy-decision">{answer}</p>
        </section>
    }
}
