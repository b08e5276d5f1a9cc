//! Pieces shared by pages.

mod claim_rules;
mod group_checklist;
mod key_ring;
mod layout;
mod login_attributes;
mod mappings_modal;
mod notice;
mod provisioning;
mod sessions;
mod token_preview;

pub use claim_rules::ClaimRulesEditor;
pub use group_checklist::GroupChecklist;
pub use key_ring::KeyRingSection;
pub use layout::AdminLayout;
pub use login_attributes::login_attributes;
pub use mappings_modal::MappingsModal;
pub use notice::{Notice, NoticeKind, NoticeLine, say_done, say_failed};
pub use provisioning::{ProvisioningCard, confirmed, copy_text};
pub use sessions::{ChangePasswordForm, YourSessions};
pub use token_preview::TokenPreview;
