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
