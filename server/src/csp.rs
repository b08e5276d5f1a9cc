//! The Content-Security-Policy. Trunk's built `index.html` starts the app with an inline module script;
//! instead of allowing inline scripts, the policy allows exactly the inline scripts of the page we serve,
//! by their SHA-256 (computed once at start).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The policy for a site whose SPA page is `index_html` (when there is one).
pub fn policy(index_html: Option<&str>) -> String {
    let hashes: String = index_html
        .map(inline_scripts)
        .unwrap_or_default()
        .iter()
        .map(|script| {
            format!(
                " 'sha256-{}'",
                STANDARD.encode(Sha256::digest(script.as_bytes()))
            )
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self' http: https:; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
}

/// The bodies of `<script>` elements without `src`, exactly as written (what the browser hashes).
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            scripts.push(&body[..close]);
        }
        rest = &body[close + "</script>".len()..];
    }
    scripts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_allowed_by_hash_and_nothing_else() {
        let html = r#"<head><script src="/a.js"></script><script type="module">import init from '/x.js';await init();</script></head>"#;
        assert_eq!(
            inline_scripts(html),
            ["import init from '/x.js';await init();"]
        );
        let policy = policy(Some(html));
        let expected = STANDARD.encode(Sha256::digest(b"import init from '/x.js';await init();"));
        assert!(
            policy.contains(&format!(
                "script-src 'self' 'wasm-unsafe-eval' 'sha256-{expected}';"
            )),
            "{policy}"
        );
        let script_src = policy
            .split(';')
            .find(|d| d.trim_start().starts_with("script-src"))
            .expect("script-src");
        assert!(!script_src.contains("unsafe-inline"), "{script_src}");
    }

    #[test]
    fn without_a_page_only_self_scripts_run() {
        assert!(policy(None).contains("script-src 'self' 'wasm-unsafe-eval';"));
    }
}
