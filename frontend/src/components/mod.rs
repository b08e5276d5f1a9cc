//! Pieces shared by pages.

mod layout;
mod mappings_modal;
mod notice;
mod token_preview;

pub use layout::AdminLayout;
pub use mappings_modal::MappingsModal;
pub use notice::{Notice, NoticeKind};
pub use token_preview::TokenPreview;
