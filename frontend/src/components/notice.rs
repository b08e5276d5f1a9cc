//! Success and error notices, announced to screen readers.

use leptos::prelude::*;

/// What kind of notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Something worked.
    Success,
    /// Something failed.
    Error,
}

/// A page's notice line: what was last done, and whether it worked.
pub type NoticeLine = RwSignal<Option<(NoticeKind, String)>>;

/// Says in `notice` that something failed, and why.
pub fn say_failed(notice: NoticeLine, error: impl std::fmt::Display) {
    notice.set(Some((NoticeKind::Error, error.to_string())));
}

/// Says in `notice` that something worked.
pub fn say_done(notice: NoticeLine, text: String) {
    notice.set(Some((NoticeKind::Success, text)));
}

/// A notice; renders nothing while `message` is `None`.
#[component]
pub fn Notice(message: Signal<Option<(NoticeKind, String)>>) -> impl IntoView {
    move || {
        message.get().map(|(kind, text)| {
            let (class, role) = match kind {
                NoticeKind::Success => ("notice success", "status"),
                NoticeKind::Error => ("notice error", "alert"),
            };
            view! { <p class=class role=role>{text}</p> }
        })
    }
}
