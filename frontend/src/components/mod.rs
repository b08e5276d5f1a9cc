//! Pieces shared by pages.

mod key_ring;
mod layout;
mod mappings_modal;
mod notice;
mod token_preview;

pub use key_ring::KeyRingSection;
pub use layout::AdminLayout;
pub use mappings_modal::MappingsModal;
pub use notice::{Notice, NoticeKind};
pub use token_preview::TokenPreview;
