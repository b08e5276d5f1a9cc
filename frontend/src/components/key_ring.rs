//! The **Keys** section of the JWT page (SPEC §8): the key ring with each key's id, algorithm, status
//! and thumbprint; adding a key (a PEM or JWK public key, or an HMAC secret, checked by lanyard-core's
//! own rules as it is typed); retiring or deleting one, with a confirmation that names what stops
//! working; and the JWKS URI with **Fetch now** and its status. Each change is one save of the ring
//! against the version the page loaded.

use lanyard_api::endpoint::{NoBody, RefreshJwks, SaveSettings};
use lanyard_api::{
    ErrorCode, JwtKey, JwtKeyView, JwtSettingsPatch, JwtSettingsView, KeyAlg, KeyStatus,
};
use lanyard_core::keys::{PublicKey, is_pem, min_secret_bytes, valid_kid};
use leptos::prelude::*;

use crate::api;
use crate::components::{NoticeKind, NoticeLine};

/// The key ring as it is written back: secrets are never known here, so HMAC keys go back without
/// one and the server keeps what it stores.
fn as_written(keys: &[JwtKeyView]) -> Vec<JwtKey> {
    keys.iter()
        .map(|key| JwtKey {
            kid: key.kid.clone(),
            alg: key.alg,
            secret: None,
            public_key: key.public_key.clone(),
            not_after: key.not_after,
            label: key.label.clone(),
        })
        .collect()
}

/// What is wrong with a key about to be added, by lanyard-core's rules (the server checks the same).
pub fn check_new_key(
    kid: &str,
    alg: KeyAlg,
    material: &str,
    existing: &[JwtKeyView],
) -> Option<String> {
    if !valid_kid(kid) {
        return Some("A key ID is 1 to 128 printable ASCII characters, without spaces.".into());
    }
    if existing.iter().any(|key| key.kid == kid) {
        return Some(format!("A key with the ID \"{kid}\" exists already."));
    }
    match min_secret_bytes(alg) {
        Some(min) if material.len() < min => Some(format!(
            "The secret must be at least {min} bytes for {}.",
            alg.as_str()
        )),
        Some(_) => None,
        // PEM is read by the server (this build has no DER parser): a bad one is refused on Add.
        None if is_pem(material) => None,
        None => PublicKey::parse(material)
            .and_then(|key| key.check_for(alg))
            .err()
            .map(|error| error.message.to_owned()),
    }
}

/// What the Keys section's parts share: the stored settings they save against, the page's notice
/// and conflict flag, this section's own problem line, and the JWK Set's status.
#[derive(Clone, Copy)]
struct RingState {
    saved: RwSignal<Option<JwtSettingsView>>,
    notice: NoticeLine,
    conflict: RwSignal<bool>,
    problem: RwSignal<Option<String>>,
    jwks_status: RwSignal<Option<lanyard_api::JwksStatus>>,
}

impl RingState {
    /// The ring as stored.
    fn keys(self) -> Vec<JwtKeyView> {
        self.saved
            .with(|s| s.as_ref().map(|s| s.jwt_keys.clone()).unwrap_or_default())
    }

    /// Saves `patch` against the version the page loaded; `done` says so.
    fn save(self, mut patch: JwtSettingsPatch, done: &'static str) {
        patch.version = self.saved.with_untracked(|s| s.as_ref().map(|s| s.version));
        leptos::task::spawn_local(async move {
            match api::call(&SaveSettings {}, &patch).await {
                Ok(view) => {
                    self.jwks_status.set(view.jwks.clone());
                    self.saved.set(Some(view));
                    self.problem.set(None);
                    self.notice.set(Some((NoticeKind::Success, done.into())));
                }
                Err(error) if error.code == Some(ErrorCode::SettingsConflict) => {
                    self.conflict.set(true);
                }
                Err(error) => {
                    let message = error
                        .fields
                        .first()
                        .map_or_else(|| error.to_string(), |field| field.message.clone());
                    self.problem.set(Some(message));
                }
            }
        });
    }

    /// Saves the whole ring.
    fn save_ring(self, ring: Vec<JwtKey>, done: &'static str) {
        let patch = JwtSettingsPatch {
            jwt_keys: Some(ring),
            ..JwtSettingsPatch::default()
        };
        self.save(patch, done);
    }
}

/// The Keys section. `saved` is the page's view of the stored settings; a save here replaces it.
#[component]
pub fn KeyRingSection(
    saved: RwSignal<Option<JwtSettingsView>>,
    notice: NoticeLine,
    conflict: RwSignal<bool>,
) -> impl IntoView {
    let ring = RingState {
        saved,
        notice,
        conflict,
        problem: RwSignal::new(None),
        jwks_status: RwSignal::new(
            saved.with_untracked(|s| s.as_ref().and_then(|s| s.jwks.clone())),
        ),
    };
    view! {
        <section class="card" aria-labelledby="keys-title">
            <h2 id="keys-title">"Keys"</h2>
            <p class="help">"Tokens whose kid names a key here are checked with that key and its algorithm only. \
                HS tokens without a known kid use the shared secret above."</p>
            <KeyList ring=ring/>
            <AddKeyForm ring=ring/>
            <JwksUriField ring=ring/>
        </section>
    }
}

/// The ring: each key's id, label, algorithm, status and thumbprint, with Retire and Delete
/// behind a confirmation that says what stops working.
#[component]
fn KeyList(ring: RingState) -> impl IntoView {
    let saved = ring.saved;
    let keys = move || ring.keys();
    let confirming = RwSignal::new(None::<(String, &'static str)>);
    let confirm = move |_| {
        let Some((target, action)) = confirming.get_untracked() else {
            return;
        };
        let now = (js_sys::Date::now() / 1000.0) as i64;
        let mut written = as_written(&ring.keys());
        if action == "retire" {
            for key in written.iter_mut().filter(|key| key.kid == target) {
                key.not_after = Some(now);
            }
        } else {
            written.retain(|key| key.kid != target);
        }
        confirming.set(None);
        let done = if action == "retire" {
            "Key retired."
        } else {
            "Key deleted."
        };
        ring.save_ring(written, done);
    };
    view! {
    <Show when=move || saved.with(|s| s.as_ref().is_some_and(|s| s.jwt_keys.is_empty()))>
        <p class="help">"No keys in the ring yet."</p>
    </Show>
    <table class="list" class:hidden=move || saved.with(|s| s.as_ref().is_none_or(|s| s.jwt_keys.is_empty()))>
        <thead><tr><th>"Key ID"</th><th>"Label"</th><th>"Algorithm"</th><th>"Status"</th><th>"Thumbprint"</th><th>"Actions"</th></tr></thead>
        <tbody>
            <For each=keys key=|key: &JwtKeyView| (key.kid.clone(), key.not_after)
                children=move |key: JwtKeyView| {
                    let retire_kid = key.kid.clone();
                    let delete_kid = key.kid.clone();
                    let retired = key.status == KeyStatus::Retired;
                    view! {
                        <tr>
                            <td><code>{key.kid.clone()}</code></td>
                            <td>{key.label.clone().unwrap_or_default()}</td>
                            <td>{key.alg.as_str()}</td>
                            <td>{if retired { "retired" } else { "active" }}</td>
                            <td><code class="thumbprint">{key.thumbprint.clone().unwrap_or_else(|| format!("secret {}", key.secret_hint))}</code></td>
                            <td>
                                <button type="button" prop:disabled=retired
                                    on:click=move |_| confirming.set(Some((retire_kid.clone(), "retire")))>"Retire"</button>
                                <button type="button" class="danger"
                                    on:click=move |_| confirming.set(Some((delete_kid.clone(), "delete")))>"Delete"</button>
                            </td>
                        </tr>
                    }
                }/>
        </tbody>
    </table>
    <Show when=move || confirming.with(Option::is_some)>
        <div class="confirm" role="alertdialog" aria-labelledby="key-confirm-text">
            <p id="key-confirm-text">{move || confirming.get().map(|(target, action)| format!(
                "{} key \"{target}\"? Tokens signed with it will be refused from now on.",
                if action == "retire" { "Retire" } else { "Delete" }))}</p>
            <button type="button" class="danger" on:click=confirm>"Yes, stop accepting it"</button>
            <button type="button" on:click=move |_| confirming.set(None)>"Cancel"</button>
        </div>
    </Show>
    }
}

/// "Add a key": id, algorithm, label, and the public key or secret, checked as typed.
#[component]
fn AddKeyForm(ring: RingState) -> impl IntoView {
    let kid = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let alg = RwSignal::new(KeyAlg::RS256);
    let material = RwSignal::new(String::new());
    let problem = ring.problem;
    let add = move |_| {
        let (new_kid, new_alg, text) = (
            kid.get_untracked(),
            alg.get_untracked(),
            material.get_untracked(),
        );
        let new_label = label.get_untracked().trim().to_owned();
        let existing = ring.keys();
        if let Some(message) = check_new_key(new_kid.trim(), new_alg, text.trim(), &existing) {
            problem.set(Some(message));
            return;
        }
        let mut written = as_written(&existing);
        let is_secret = new_alg.is_hmac();
        written.push(JwtKey {
            kid: new_kid.trim().to_owned(),
            alg: new_alg,
            secret: is_secret.then(|| text.trim().to_owned()),
            public_key: (!is_secret).then(|| text.trim().to_owned()),
            not_after: None,
            label: (!new_label.is_empty()).then_some(new_label),
        });
        kid.set(String::new());
        label.set(String::new());
        material.set(String::new());
        ring.save_ring(written, "Key added.");
    };
    let generate = move |_| {
        if let Some(secret) = crate::webcrypto::random_secret() {
            material.set(secret);
        }
    };
    let material_label = move || {
        if alg.get().is_hmac() {
            "Secret (at least 32/48/64 bytes for HS256/384/512)"
        } else {
            "Public key (PEM -----BEGIN PUBLIC KEY----- or one JWK)"
        }
    };
    view! {
    <h3>"Add a key"</h3>
    <label for="key-kid">"Key ID (kid)"</label>
    <input id="key-kid" spellcheck="false" prop:value=move || kid.get() on:input=move |ev| kid.set(event_target_value(&ev))/>
    <label for="key-alg">"Algorithm"</label>
    <select id="key-alg" on:change=move |ev| {
        if let Some(value) = KeyAlg::parse(&event_target_value(&ev)) { alg.set(value); }
    }>
        {KeyAlg::ALL.iter().map(|a| view! {
            <option value=a.as_str() selected=*a == KeyAlg::RS256>{a.as_str()}</option>
        }).collect_view()}
    </select>
    <label for="key-label">"Label (optional)"</label>
    <input id="key-label" prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev))/>
    <label for="key-material">{material_label}</label>
    <textarea id="key-material" rows="5" spellcheck="false" prop:value=move || material.get()
        on:input=move |ev| material.set(event_target_value(&ev))></textarea>
    <Show when=move || alg.get().is_hmac()>
        <button type="button" on:click=generate>"Generate secret"</button>
        <p class="help">"Give the same secret to your identity provider; lanyard never shows it again."</p>
    </Show>
    <p class="field-error" role="alert">{move || problem.get()}</p>
    <div class="actions"><button type="button" on:click=add>"Add key"</button></div>
    }
}

/// The JWKS URI with Save and Fetch now, and what the last fetch found.
#[component]
fn JwksUriField(ring: RingState) -> impl IntoView {
    let jwks_status = ring.jwks_status;
    let jwks_uri = RwSignal::new(ring.saved.with_untracked(|s| {
        s.as_ref()
            .map(|s| s.jwt_jwks_uri.clone())
            .unwrap_or_default()
    }));
    let save_jwks = move |_| {
        let patch = JwtSettingsPatch {
            jwt_jwks_uri: Some(jwks_uri.get_untracked().trim().to_owned()),
            ..JwtSettingsPatch::default()
        };
        ring.save(patch, "JWKS URI saved; its keys were fetched.");
    };
    let fetch_now = move |_| {
        leptos::task::spawn_local(async move {
            match api::call(&RefreshJwks {}, &NoBody).await {
                Ok(status) => {
                    let message = match &status.last_error {
                        Some(error) => {
                            format!("The fetch failed ({error}); the previous keys stay in use.")
                        }
                        None => format!("Fetched {} key(s).", status.keys.len()),
                    };
                    jwks_status.set(Some(status));
                    ring.notice.set(Some((NoticeKind::Success, message)));
                }
                Err(error) => ring.problem.set(Some(error.to_string())),
            }
        });
    };
    view! {
    <h3>"JWK Set"</h3>
    <label for="jwks-uri">"JWKS URI"</label>
    <p class="help" id="jwks-uri-help">"The identity provider's published keys (https). Fetched by lanyard, cached, and fetched again when a token names a new key."</p>
    <input id="jwks-uri" aria-describedby="jwks-uri-help" spellcheck="false" prop:value=move || jwks_uri.get()
        on:input=move |ev| jwks_uri.set(event_target_value(&ev))/>
    <div class="actions">
        <button type="button" on:click=save_jwks>"Save JWKS URI"</button>
        <button type="button" on:click=fetch_now prop:disabled=move || jwks_status.with(Option::is_none)>"Fetch now"</button>
    </div>
    <p class="help" data-testid="jwks-status">{move || jwks_status.get().map(|status| {
        let keys: Vec<String> = status.keys.iter().map(|k| format!("{} ({})", k.kid, k.alg.as_str())).collect();
        let mut text = format!("Keys: {}.", if keys.is_empty() { "none".to_owned() } else { keys.join(", ") });
        if !status.skipped.is_empty() {
            text.push_str(&format!(" Skipped: {}.", status.skipped.len()));
        }
        if let Some(error) = status.last_error {
            text.push_str(&format!(" Last fetch failed: {error}"));
        }
        text
    })}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_are_checked_by_the_cores_rules() {
        assert!(check_new_key("a b", KeyAlg::HS256, &"s".repeat(32), &[]).is_some());
        assert!(check_new_key("k", KeyAlg::HS384, &"s".repeat(40), &[]).is_some());
        assert_eq!(
            check_new_key("k", KeyAlg::HS384, &"s".repeat(48), &[]),
            None
        );
        assert!(check_new_key("k", KeyAlg::RS256, "not a key", &[]).is_some());
        let ed =
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        assert_eq!(check_new_key("k", KeyAlg::EdDSA, ed, &[]), None);
        assert!(
            check_new_key("k", KeyAlg::ES256, ed, &[]).is_some(),
            "wrong kind of key"
        );
    }
}
