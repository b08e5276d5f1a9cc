//! The JWT form's state, shared by the page's sections: what is saved, what is typed, their
//! errors (lanyard-core's, as typed, and the server's), and the widgets that read and write it.

use std::collections::BTreeSet;

use lanyard_api::endpoint::{GetSettings, ListGroups, NoBody, SaveSettings};
use lanyard_api::{ErrorCode, FieldError, Group, JwtSettingsView, SettingField};
use leptos::prelude::*;

use super::TextField;
use crate::api;
use crate::app::{Session, use_session};
use crate::components::NoticeKind;
use crate::form::{JwtForm, error_for};

/// Everything the sections share; cheap to copy (signals).
#[derive(Clone, Copy)]
pub struct JwtFormState {
    /// The settings as stored (the version the page loaded).
    pub saved: RwSignal<Option<JwtSettingsView>>,
    /// What the admin typed.
    pub form: RwSignal<Option<JwtForm>>,
    /// Every group, for the mappings.
    pub groups: RwSignal<Vec<Group>>,
    /// What was last done.
    pub notice: RwSignal<Option<(NoticeKind, String)>>,
    /// The server's field errors from the last save.
    pub server_errors: RwSignal<Vec<FieldError>>,
    /// Set when a save was refused because someone else saved first (409 settings_conflict).
    pub conflict: RwSignal<bool>,
    /// lanyard-core's errors for what is typed.
    pub errors: Memo<Vec<FieldError>>,
    /// Whether anything typed differs from what is saved.
    pub dirty: Memo<bool>,
    /// Who is signed in (reloaded after a save: the login page's properties may change).
    session: Session,
}

/// The form's state, loaded.
pub fn use_jwt_form() -> JwtFormState {
    let saved = RwSignal::new(None::<JwtSettingsView>);
    let form = RwSignal::new(None::<JwtForm>);
    let groups = RwSignal::new(Vec::<Group>::new());
    let known_groups =
        Memo::new(move |_| groups.with(|g| g.iter().map(|g| g.id).collect::<BTreeSet<_>>()));
    let state = JwtFormState {
        saved,
        form,
        groups,
        notice: RwSignal::new(None),
        server_errors: RwSignal::new(Vec::new()),
        conflict: RwSignal::new(false),
        errors: Memo::new(move |_| match (form.get(), saved.get()) {
            (Some(form), Some(saved)) => form.errors(&saved, Some(&known_groups.get())),
            _ => Vec::new(),
        }),
        dirty: Memo::new(move |_| match (form.get(), saved.get()) {
            (Some(form), Some(saved)) => form.is_dirty(&saved),
            _ => false,
        }),
        session: use_session(),
    };
    state.load();
    state
}

impl JwtFormState {
    /// Loads the stored settings (discarding what was typed) and the groups.
    pub fn load(self) {
        leptos::task::spawn_local(async move {
            match api::call(&GetSettings {}, &NoBody).await {
                Ok(view) => {
                    self.form.set(Some(JwtForm::from_view(&view)));
                    self.saved.set(Some(view));
                    self.conflict.set(false);
                }
                Err(error) => self
                    .notice
                    .set(Some((NoticeKind::Error, error.to_string()))),
            }
            if let Ok(list) = api::call(&ListGroups {}, &NoBody).await {
                self.groups.set(list);
            }
        });
    }

    /// Whether there is something valid to save.
    pub fn can_save(self) -> bool {
        self.dirty.get() && self.errors.with(Vec::is_empty)
    }

    /// Saves what changed, against the version this page loaded: a save by someone else since
    /// then is refused (and said so), not lost.
    pub fn save(self) {
        let (Some(current), Some(base)) = (self.form.get_untracked(), self.saved.get_untracked())
        else {
            return;
        };
        let mut patch = current.patch(&base);
        patch.version = Some(base.version);
        let session = self.session;
        leptos::task::spawn_local(async move {
            match api::call(&SaveSettings {}, &patch).await {
                Ok(view) => {
                    self.form.set(Some(JwtForm::from_view(&view)));
                    self.saved.set(Some(view));
                    self.server_errors.set(Vec::new());
                    self.notice
                        .set(Some((NoticeKind::Success, "Changes saved.".into())));
                    session.refresh();
                }
                Err(error) if error.code == Some(ErrorCode::SettingsConflict) => {
                    self.notice.set(None);
                    self.conflict.set(true);
                }
                Err(error) => {
                    self.server_errors.set(error.fields.clone());
                    self.notice
                        .set(Some((NoticeKind::Error, error.to_string())));
                }
            }
        });
    }

    /// The first error for `field`: what is typed, else what the server said.
    pub fn field_error(self, field: SettingField) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.errors
                .with(|e| error_for(e, field).map(|e| e.message.clone()))
                .or_else(|| {
                    self.server_errors
                        .with(|e| error_for(e, field).map(|e| e.message.clone()))
                })
        })
    }

    /// Changes the form as `change` says with each value typed.
    pub fn edit(self, change: fn(&mut JwtForm, String)) -> impl Fn(String) + Copy {
        move |value: String| {
            self.form.update(|f| {
                if let Some(f) = f {
                    change(f, value);
                }
            });
        }
    }

    /// A text the form holds, as a signal.
    pub fn text(self, read: fn(&JwtForm) -> String) -> Signal<String> {
        Signal::derive(move || self.form.with(|f| f.as_ref().map(read).unwrap_or_default()))
    }

    /// A text setting's widget: its label and help, the form's value, and its field's errors.
    pub fn setting_text(
        self,
        id: &'static str,
        label: &'static str,
        help: &'static str,
        field: SettingField,
        read: fn(&JwtForm) -> String,
        change: fn(&mut JwtForm, String),
    ) -> impl IntoView {
        view! {
            <TextField id=id label=label help=help value=self.text(read) on_input=self.edit(change)
                error=self.field_error(field)/>
        }
    }

    /// An on/off setting's switch: the form's value, changed as it is clicked.
    pub fn setting_toggle(
        self,
        label: &'static str,
        read: fn(&JwtForm) -> bool,
        write: fn(&mut JwtForm, bool),
    ) -> impl IntoView {
        let checked = move || self.form.with(|f| f.as_ref().is_some_and(read));
        let change = move |ev: leptos::ev::Event| {
            let checked = event_target_checked(&ev);
            self.form.update(|f| {
                if let Some(f) = f {
                    write(f, checked);
                }
            });
        };
        view! {
            <label class="toggle">
                <input type="checkbox" role="switch" prop:checked=checked on:change=change/>
                {label}
            </label>
        }
    }
}
