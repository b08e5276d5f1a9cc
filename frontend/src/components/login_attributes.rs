//! Login attributes (the claims kept from a person's last SSO login) as one line each, or `empty`
//! when there are none — on `/me` and on a person's page.

use leptos::prelude::*;
use serde_json::{Map, Value};

/// The attributes as `key: value` lines (strings without quotes), or `empty` as a hint.
pub fn login_attributes(attributes: &Map<String, Value>, empty: &'static str) -> AnyView {
    if attributes.is_empty() {
        return view! { <span class="help">{empty}</span> }.into_any();
    }
    let lines: Vec<(String, String)> = attributes
        .iter()
        .map(|(key, value)| {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            (key.clone(), text)
        })
        .collect();
    view! {
        <ul class="attributes">
            {lines.into_iter().map(|(key, value)| view! { <li><code>{key}</code>": "{value}</li> }).collect_view()}
        </ul>
    }
    .into_any()
}
