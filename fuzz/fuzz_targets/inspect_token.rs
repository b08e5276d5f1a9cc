//! Any input, as a token, through the preview (which runs every rule) and through `verify_login`: no
//! panic, and the two agree on the verdict whenever a key is given.
#![no_main]

use lanyard_core::keys::KeyRing;
use lanyard_core::settings::Settings;
use lanyard_core::{InspectInput, inspect, verify_login};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let settings = Settings {
        jwt_enabled: true,
        jwt_identity_provider_uri: "https://idp.example/sso".into(),
        jwt_shared_secret: KEY.into(),
        jwt_group_sync: true,
        ..Settings::default()
    };
    let site = "https://bi.example.com";
    let now = 1_800_000_000;
    let verdict = inspect(InspectInput {
        token,
        settings: &settings,
        key: Some(KEY.as_bytes()),
        keys: &KeyRing::default(),
        verifier: None,
        site_url: site,
        now,
        user: None,
    });
    let endpoint = verify_login(token, &settings, site, now).err();
    assert_eq!(verdict.error, endpoint);
    let keys = KeyRing::default();
    let _ = inspect(InspectInput { token, settings: &settings, key: None, keys: &keys, verifier: None, site_url: site, now, user: None });
});
