//! Admin › Audit: sign-ins and changes, newest first — in words, filtered (event, person, days) and
//! paged by the server, exportable as CSV.

use std::collections::BTreeMap;

use lanyard_api::AuditFilter;
use lanyard_api::endpoint::{AuditQuery, ExportAudit, ListAudit, ListGroups, NoBody};
use lanyard_api::{AuditEntry, AuditEvent, AuditPage as Page};
use leptos::prelude::*;

use crate::api;
use crate::audit_text::{actor, describe, event_label, relative};
use crate::components::{AdminLayout, Notice, NoticeKind};

const PAGE_SIZE: i64 = 50;

/// The audit page.
#[component]
pub fn AuditPage() -> impl IntoView {
    let page = RwSignal::new(None::<Page>);
    let groups = RwSignal::new(BTreeMap::<i64, String>::new());
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let event = RwSignal::new(String::new());
    let person = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let offset = RwSignal::new(0_i64);
    // The filter, shared by the page and the CSV link.
    let filter = move || {
        let given = |value: RwSignal<String>| {
            let value = value.get();
            let value = value.trim();
            (!value.is_empty()).then(|| value.to_owned())
        };
        AuditFilter {
            event: given(event).as_deref().and_then(AuditEvent::parse),
            person: given(person),
            from: given(from),
            to: given(to),
        }
    };
    let load = move || {
        let list = ListAudit {
            query: AuditQuery {
                limit: PAGE_SIZE,
                offset: offset.get_untracked(),
                filter: filter(),
            },
        };
        leptos::task::spawn_local(async move {
            match api::call(&list, &NoBody).await {
                Ok(list) => {
                    notice.set(None);
                    page.set(Some(list));
                }
                Err(e) => notice.set(Some((NoticeKind::Error, e.to_string()))),
            }
        });
    };
    load();
    leptos::task::spawn_local(async move {
        if let Ok(list) = api::call(&ListGroups {}, &NoBody).await {
            groups.set(list.into_iter().map(|g| (g.id, g.name)).collect());
        }
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        offset.set(0);
        load();
    };
    let move_by = move |pages: i64| {
        offset.update(|o| *o = (*o + pages * PAGE_SIZE).max(0));
        load();
    };
    let total = move || page.with(|p| p.as_ref().map_or(0, |p| p.total));
    let range = move || {
        let shown = page.with(|p| p.as_ref().map_or(0, |p| p.data.len() as i64));
        if shown == 0 {
            "No entries match.".to_owned()
        } else {
            let start = offset.get() + 1;
            format!("{start}–{} of {}", start + shown - 1, total())
        }
    };
    let now = js_sys::Date::now();
    view! {
        <AdminLayout title="Audit log">
            <form class="card filters" on:submit=apply aria-label="Filter the audit log">
                <div class="field">
                    <label for="audit-event">"Event"</label>
                    <select id="audit-event" on:change=move |ev| event.set(event_target_value(&ev))>
                        <option value="">"Any event"</option>
                        {AuditEvent::ALL.iter().map(|e| view! {
                            <option value=e.as_str()>{event_label(*e)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="audit-person">"Person"</label>
                    <input id="audit-person" type="search" placeholder="email or part of it"
                        prop:value=move || person.get() on:input=move |ev| person.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="audit-from">"From"</label>
                    <input id="audit-from" type="date" prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="audit-to">"To"</label>
                    <input id="audit-to" type="date" prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/>
                </div>
                <div class="filter-actions">
                    <button type="submit" class="primary">"Apply"</button>
                    <a class="button" download="lanyard-audit.csv"
                        href=move || api::url(&ExportAudit { query: filter() })>"Export CSV"</a>
                </div>
            </form>
            <Notice message=notice.into()/>
            <section class="card">
                <p class="help" data-testid="audit-range">{range}</p>
                <ul class="audit-list">
                    {move || page.get().map(|p| p.data.into_iter().map(|entry: AuditEntry| {
                        let sentence = groups.with(|g| describe(&entry, g));
                        view! {
                            <li class="audit-entry">
                                <time datetime=entry.at.clone() title=entry.at.clone()>{relative(&entry.at, now)}</time>
                                <strong class="event">{event_label(entry.event)}</strong>
                                <span class="who">{actor(&entry)}</span>
                                <span class="details">{sentence}</span>
                                <span class="help ip">{entry.ip.clone().unwrap_or_default()}</span>
                            </li>
                        }
                    }).collect_view())}
                </ul>
                <div class="pager">
                    <button type="button" disabled=move || { offset.get() == 0 } on:click=move |_| move_by(-1)>"Newer"</button>
                    <button type="button" disabled=move || { offset.get() + PAGE_SIZE >= total() } on:click=move |_| move_by(1)>"Older"</button>
                </div>
            </section>
        </AdminLayout>
    }
}
