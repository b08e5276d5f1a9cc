//! Pieces shared by pages.

mod claim_rules;
mod key_ring;
mod layout;
mod mappings_modal;
mod notice;
mod provisioning;
mod sessions;
mod token_preview;

pub use claim_rules::ClaimRulesEditor;
pub use key_ring::KeyRingSection;
pub use layout::AdminLayout;
pub use mappings_modal::MappingsModal;
pub use notice::{Notice, NoticeKind};
pub use provisioning::{ProvisioningCard, copy_text};
pub use sessions::{ChangePasswordForm, YourSessions};
pub use token_preview::TokenPreview;
