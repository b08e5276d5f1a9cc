//! A checkbox per group, for choosing several (a new person's groups, an API key's).

use lanyard_api::Group;
use leptos::prelude::*;

/// The groups as checkboxes under `legend`; `chosen` holds the ids of the checked ones.
#[component]
pub fn GroupChecklist(
    legend: &'static str,
    groups: RwSignal<Vec<Group>>,
    chosen: RwSignal<Vec<i64>>,
) -> impl IntoView {
    view! {
        <fieldset class="field">
            <legend>{legend}</legend>
            <For each=move || groups.get() key=|g| g.id children=move |g: Group| {
                let id = g.id;
                view! {
                    <label class="check">
                        <input type="checkbox" prop:checked=move || chosen.with(|c| c.contains(&id))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|c| {
                                    c.retain(|x| *x != id);
                                    if on {
                                        c.push(id);
                                    }
                                });
                            }/>
                        {g.name.clone()}
                    </label>
                }
            }/>
        </fieldset>
    }
}
