//! Any input as `return_to`: no panic, and whatever is accepted resolves to the site's own origin.
#![no_main]

use lanyard_core::redirect::check_return_to;
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let site = Url::parse("https://bi.example.com").expect("valid");
    if let Ok(target) = check_return_to(Some(raw), &site, None) {
        let resolved = site.join(&target).expect("accepted targets resolve");
        assert_eq!(resolved.origin(), site.origin(), "{raw:?} -> {target:?}");
        assert!(resolved.username().is_empty() && resolved.password().is_none());
    }
});
