//! The sign-in rules editor (SPEC §9) in the JWT page's Sign-in rules section: one row per rule —
//! claim (a name or a `/pointer`), operator, value — added and removed here, checked by
//! lanyard-core's rules as they are typed and saved with the rest of the form.

use lanyard_api::ClaimOp;
use leptos::prelude::*;

use crate::form::{JwtForm, RuleRow};

const OPS: [(ClaimOp, &str, &str); 4] = [
    (ClaimOp::Equals, "equals", "equals"),
    (ClaimOp::OneOf, "one_of", "is one of"),
    (ClaimOp::Contains, "contains", "contains"),
    (ClaimOp::Exists, "exists", "exists"),
];

fn op_value(op: ClaimOp) -> &'static str {
    OPS.iter()
        .find(|(o, _, _)| *o == op)
        .map_or("equals", |(_, value, _)| value)
}

fn op_from(value: &str) -> ClaimOp {
    OPS.iter()
        .find(|(_, v, _)| *v == value)
        .map_or(ClaimOp::Equals, |(op, _, _)| *op)
}

/// The rules of `form`, editable; `error` is the first problem lanyard-core finds with them.
#[component]
pub fn ClaimRulesEditor(
    form: RwSignal<Option<JwtForm>>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let count = move || form.with(|f| f.as_ref().map_or(0, |f| f.rules.len()));
    let update = move |index: usize, change: Box<dyn FnOnce(&mut RuleRow)>| {
        form.update(|f| {
            if let Some(row) = f.as_mut().and_then(|f| f.rules.get_mut(index)) {
                change(row);
            }
        });
    };
    let read = move |index: usize, field: fn(&RuleRow) -> String| {
        form.with(|f| {
            f.as_ref()
                .and_then(|f| f.rules.get(index))
                .map(field)
                .unwrap_or_default()
        })
    };
    let add = move |_| {
        form.update(|f| {
            if let Some(f) = f {
                f.rules.push(RuleRow {
                    claim: String::new(),
                    op: ClaimOp::Equals,
                    value: String::new(),
                });
            }
        });
    };
    let remove = move |index: usize| {
        form.update(|f| {
            if let Some(f) = f
                && index < f.rules.len()
            {
                f.rules.remove(index);
            }
        });
    };
    view! {
        <fieldset class="claim-rules" aria-describedby="jwt-rules-help jwt-rules-error">
            <legend>"Claim rules"</legend>
            <p class="help" id="jwt-rules-help">"Every rule must hold for a token to sign anyone in. A claim is its exact name, or a path such as /realm_access/roles. \
                A value is read as JSON when it is JSON (42, true, [\"a\", \"b\"]), otherwise as text; for \"is one of\", separate values with commas."</p>
            <Show when=move || count() == 0>
                <p class="empty">"No rules: any valid token signs in."</p>
            </Show>
            <For each=move || 0..count() key=|index| *index let:index>
                <div class="rule-row" role="group" aria-label=format!("Rule {}", index + 1)>
                    <input aria-label=format!("Rule {} claim", index + 1) placeholder="claim or /path" spellcheck="false"
                        prop:value=move || read(index, |r| r.claim.clone())
                        on:input=move |ev| {
                            let value = event_target_value(&ev);
                            update(index, Box::new(move |r| r.claim = value));
                        }/>
                    <select aria-label=format!("Rule {} operator", index + 1)
                        prop:value=move || op_value(form.with(|f| f.as_ref().and_then(|f| f.rules.get(index)).map_or(ClaimOp::Equals, |r| r.op)))
                        on:change=move |ev| {
                            let op = op_from(&event_target_value(&ev));
                            update(index, Box::new(move |r| r.op = op));
                        }>
                        {OPS.iter().map(|(_, value, label)| view! { <option value=*value>{*label}</option> }).collect_view()}
                    </select>
                    <input aria-label=format!("Rule {} value", index + 1) placeholder="value" spellcheck="false"
                        prop:disabled=move || form.with(|f| f.as_ref().and_then(|f| f.rules.get(index)).is_some_and(|r| r.op == ClaimOp::Exists))
                        prop:value=move || read(index, |r| r.value.clone())
                        on:input=move |ev| {
                            let value = event_target_value(&ev);
                            update(index, Box::new(move |r| r.value = value));
                        }/>
                    <button type="button" aria-label=format!("Remove rule {}", index + 1) on:click=move |_| remove(index)>"Remove"</button>
                </div>
            </For>
            <button type="button" on:click=add>"Add rule"</button>
            <p class="field-error" id="jwt-rules-error" role="alert">{move || error.get()}</p>
        </fieldset>
    }
}
