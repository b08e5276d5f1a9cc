//! The whole flow in a real Chromium, as an admin and a user would click it (issue #4): first run,
//! JWT configuration with a generated key, a group and its mapping, SSO through the demo IdP, the
//! password switch, and the token preview. Controls are found by their label or text, as a person does.
//!
//! Needs the built server (`LANYARD_BIN`), the built SPA (`LANYARD_DIST`) and `chromedriver` on PATH —
//! `make test` provides all three; without them the test says it was skipped. Screenshots of every
//! page go to `target/screenshots/`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use thirtyfour::prelude::*;
use tokio::process::{Child, Command};

mod common;
use common::{free_port, wait_for_port};

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "correct horse battery";

/// `text` as an XPath string literal (XPath has no escapes: quotes are joined with `concat`).
fn lit(text: &str) -> String {
    if !text.contains('"') {
        format!("\"{text}\"")
    } else if !text.contains('\'') {
        format!("'{text}'")
    } else {
        let parts: Vec<String> = text.split('"').map(|p| format!("\"{p}\"")).collect();
        format!("concat({})", parts.join(", '\"', "))
    }
}

/// The browser, with helpers that act as a person would.
struct Browser {
    driver: WebDriver,
    base: String,
    shots: PathBuf,
}

impl Browser {
    async fn open(&self, path: &str) {
        self.driver
            .goto(format!("{}{path}", self.base))
            .await
            .expect("navigate");
    }

    async fn find(&self, xpath: String) -> WebElement {
        self.driver
            .query(By::XPath(xpath.clone()))
            .wait(Duration::from_secs(10), Duration::from_millis(100))
            .first()
            .await
            .unwrap_or_else(|e| panic!("no element {xpath}: {e}"))
    }

    /// The input a `<label>` with this text names.
    async fn field(&self, label: &str) -> WebElement {
        let label_element = self
            .find(format!("//label[normalize-space(.)={}]", lit(label)))
            .await;
        let id = label_element
            .attr("for")
            .await
            .expect("attr")
            .unwrap_or_else(|| panic!("label {label} has no for="));
        self.driver.find(By::Id(id)).await.expect("labelled input")
    }

    async fn fill(&self, label: &str, text: &str) {
        let input = self.field(label).await;
        input.clear().await.expect("clear");
        input.send_keys(text).await.expect("type");
    }

    /// Scrolls `element` to the middle of the window, as a person would before clicking it (the
    /// JWT page's save bar covers the bottom of the window).
    async fn scroll_to(&self, element: &WebElement) {
        self.driver
            .execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![element.to_json().expect("element")],
            )
            .await
            .expect("scroll");
    }

    /// Scrolls the element with this id to the top of the window (for a screenshot of a section).
    async fn scroll_to_id(&self, id: &str) {
        self.driver
            .execute(
                "document.getElementById(arguments[0]).scrollIntoView()",
                vec![serde_json::Value::from(id)],
            )
            .await
            .expect("scroll");
    }

    async fn click_button(&self, text: &str) {
        let button = self
            .find(format!("//button[normalize-space(.)={}]", lit(text)))
            .await;
        self.scroll_to(&button).await;
        button.click().await.expect("click");
    }

    async fn click_link(&self, text: &str) {
        self.find(format!("//a[normalize-space(.)={}]", lit(text)))
            .await
            .click()
            .await
            .expect("click");
    }

    /// Ticks (or unticks) the checkbox inside the label with this text.
    async fn set_toggle(&self, text: &str, on: bool) {
        let input = self
            .find(format!("//label[normalize-space(.)={}]//input", lit(text)))
            .await;
        self.scroll_to(&input).await;
        if input.is_selected().await.expect("state") != on {
            input.click().await.expect("click");
        }
    }

    async fn see(&self, text: &str) {
        self.find(format!("//*[contains(normalize-space(.), {})]", lit(text)))
            .await;
    }

    /// The wasm modules this page has loaded (resource timing names, file names only).
    async fn wasm_modules(&self) -> Vec<String> {
        let names = self
            .driver
            .execute(
                "return performance.getEntriesByType('resource').map(e => e.name)\
                 .filter(n => n.endsWith('.wasm')).map(n => n.split('/').pop());",
                Vec::new(),
            )
            .await
            .expect("resource entries");
        serde_json::from_value(names.json().clone()).expect("names")
    }

    async fn path_is(&self, expected: &str) {
        for _ in 0..100 {
            if self.driver.current_url().await.expect("url").path() == expected {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = self
            .driver
            .screenshot(&self.shots.join("failure.png"))
            .await;
        let page = self.driver.source().await.unwrap_or_default();
        panic!(
            "expected to reach {expected}, at {}; the page says:\n{page}",
            self.driver.current_url().await.expect("url")
        );
    }

    /// Runs a script that returns a value, and gives that value.
    async fn eval(&self, script: &str) -> serde_json::Value {
        self.driver
            .execute(script, Vec::new())
            .await
            .expect("script")
            .json()
            .clone()
    }

    /// Presses a key in the focused element.
    async fn press(&self, key: impl Into<TypingData>) {
        self.driver
            .active_element()
            .await
            .expect("a focused element")
            .send_keys(key)
            .await
            .expect("key");
    }

    /// The text of the `confirm()` dialog that should now be open.
    async fn dialog_text(&self) -> String {
        for _ in 0..50 {
            if let Ok(text) = self.driver.get_alert_text().await {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no dialog opened");
    }

    /// Asserts that nothing on the page scrolls sideways (its width is at most the width beside the
    /// scroll bar), naming the elements that stick out when something does.
    async fn fits(&self, what: &str) {
        let sizes = self
            .eval("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            .await;
        let (scroll, inner) = (
            sizes[0].as_i64().expect("width"),
            sizes[1].as_i64().expect("width"),
        );
        if scroll > inner {
            self.shot(&format!("failure-{what}")).await;
            // Innermost elements first: they say what to fix.
            let wide = self
                .eval(
                    "const w = document.documentElement.clientWidth; return [...document.querySelectorAll('body *')]\
                     .filter(e => e.getBoundingClientRect().right > w + 0.5)\
                     .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > w + 0.5))\
                     .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))",
                )
                .await;
            panic!("{what} scrolls sideways: {scroll} > {inner}; sticking out: {wide}");
        }
    }

    async fn shot(&self, name: &str) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.driver
            .screenshot(&self.shots.join(format!("{name}.png")))
            .await
            .expect("screenshot");
    }
}

struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.start_kill();
        }
    }
}

/// What a browser test keeps running: the server, chromedriver, their data and Chromium's profile.
struct Running {
    _processes: Processes,
    _data: tempfile::TempDir,
    _profile: tempfile::TempDir,
}

/// Starts lanyard (`--demo-idp`, a fresh SQLite file) and Chromium; screenshots go to
/// `target/{shots}/`.
async fn launch(bin: &str, dist: &str, shots: &str) -> (Browser, Running) {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let shots = workspace.join("target").join(shots);
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let data = tempfile::tempdir().expect("temp dir");

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Command::new(bin)
        .args([
            "serve",
            "--demo-idp",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--static-dir",
            dist,
        ])
        .arg("--database-url")
        .arg(format!("sqlite://{}", data.path().join("e2e.db").display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("lanyard starts");
    let driver_port = free_port();
    let chromedriver = Command::new("chromedriver")
        .arg(format!("--port={driver_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts (make test installs it)");
    let processes = Processes(vec![server, chromedriver]);
    wait_for_port(port).await;
    wait_for_port(driver_port).await;

    let profile = tempfile::tempdir().expect("profile dir");
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary("/usr/bin/chromium").expect("binary");
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-quic",
        "--window-size=1440,1000",
    ] {
        caps.add_arg(arg).expect("arg");
    }
    caps.add_arg(&format!("--user-data-dir={}", profile.path().display()))
        .expect("arg");
    // The test answers `confirm()` dialogs itself instead of having chromedriver dismiss them.
    caps.set("unhandledPromptBehavior", "ignore").expect("cap");
    let driver = WebDriver::new(format!("http://127.0.0.1:{driver_port}"), caps)
        .await
        .expect("a Chromium session");
    let b = Browser {
        driver,
        base: base.clone(),
        shots,
    };

    (
        b,
        Running {
            _processes: processes,
            _data: data,
            _profile: profile,
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_up_sso_and_a_user_signs_in_through_it() {
    let (Ok(bin), Ok(dist)) = (std::env::var("LANYARD_BIN"), std::env::var("LANYARD_DIST")) else {
        eprintln!("skipped: LANYARD_BIN and LANYARD_DIST are not set (make test sets them)");
        return;
    };
    let (b, _running) = launch(&bin, &dist, "screenshots").await;
    let base = b.base.clone();
    // First run: the admin account.
    b.open("/").await;
    b.path_is("/setup").await;
    b.see("Create your admin account").await;
    // Measured, not asserted (BENCHMARKS.md): a cold first load — the largest contentful paint (the
    // rendered form; the page is empty until the wasm runs) and the bytes on the wire.
    let load = b
        .driver
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            new PerformanceObserver((list) => {
                const entries = list.getEntries();
                const lcp = entries[entries.length - 1].startTime;
                const nav = performance.getEntriesByType('navigation')[0];
                const files = [nav, ...performance.getEntriesByType('resource')];
                done({
                    lcp_ms: Math.round(lcp),
                    transferred: files.reduce((sum, f) => sum + f.transferSize, 0),
                    decoded: files.reduce((sum, f) => sum + f.decodedBodySize, 0),
                });
            }).observe({type: 'largest-contentful-paint', buffered: true});"#,
            Vec::new(),
        )
        .await
        .expect("performance entries")
        .json()
        .clone();
    println!(
        "first load: largest contentful paint {} ms, {} bytes transferred ({} decoded)",
        load["lcp_ms"], load["transferred"], load["decoded"]
    );
    // The first page is the account app alone: a visitor never downloads the admin pages.
    let modules = b.wasm_modules().await;
    assert!(
        modules.len() == 1 && modules[0].starts_with("lanyard-account-"),
        "{modules:?}"
    );
    b.shot("01-setup").await;
    b.fill("First name", "Ada").await;
    b.fill("Email", ADMIN_EMAIL).await;
    b.fill("Password (at least 8 characters)", ADMIN_PASSWORD)
        .await;
    b.click_button("Create account").await;
    // The overview is the landing page; with JWT off it says what to do first. Reaching it loaded
    // the page afresh with the admin app, and only that.
    b.path_is("/admin").await;
    b.see("JWT sign-in is off").await;
    assert_eq!(b.wasm_modules().await, ["lanyard-admin_bg.wasm"]);
    b.find("//a[normalize-space(.)='Set up JWT sign-in']".into())
        .await;
    b.shot("02a-overview-empty").await;
    b.click_link("Authentication").await;
    b.path_is("/admin/settings/authentication").await;
    b.see("Not configured").await;
    b.shot("02-authentication").await;

    // A group to map to.
    b.click_link("Groups").await;
    b.fill("New group name", "Analysts").await;
    b.click_button("Create group").await;
    b.see("Group \"Analysts\" created.").await;
    b.shot("03-groups").await;

    // JWT: enable, IdP = the demo IdP, a generated key, group sync.
    b.click_link("Authentication").await;
    b.click_link("Configure").await;
    b.path_is("/admin/settings/authentication/jwt").await;
    b.set_toggle("Enable JWT authentication", true).await;
    b.see("Enter the identity provider's URI before enabling JWT.")
        .await;
    b.shot("04-jwt-invalid").await;
    b.fill("Identity Provider URI", &format!("{base}/demo-idp"))
        .await;
    b.click_button("Generate key").await;
    let key = b
        .field("String used by the JWT signing key")
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert_eq!(key.len(), 64, "Generate key fills 64 hex characters");
    b.set_toggle("Synchronize group memberships", true).await;
    b.click_button("Save changes").await;
    b.see("Changes saved.").await;
    b.shot("05-jwt-saved").await;

    // Map the JWT group "analysts" to Analysts in the modal.
    b.click_button("Edit mappings").await;
    b.fill("JWT group name", "analysts").await;
    b.click_button("Add").await;
    b.find("//label[normalize-space(.)='Analysts']/input".into())
        .await
        .click()
        .await
        .expect("tick");
    b.shot("06-mappings-modal").await;
    b.click_button("Save").await;
    b.see("Group mappings saved.").await;

    // Another admin saves while this page is open: this page's save is refused, not lost, and the
    // page says so and offers to reload.
    let other_admin = "var x = new XMLHttpRequest(); x.open('PUT', '/api/setting/jwt', false); \
        x.setRequestHeader('content-type', 'application/json'); \
        x.send(JSON.stringify({jwt_clock_skew_seconds: 45})); return x.status;";
    assert_eq!(b.eval(other_admin).await, json!(200));
    b.fill("Maximum token age (seconds)", "200").await;
    b.click_button("Save changes").await;
    b.see("Someone else changed these settings").await;
    b.shot("06b-settings-conflict").await;
    b.click_button("Reload settings").await;
    let value = |label: &'static str| {
        let b = &b;
        async move {
            b.field(label)
                .await
                .prop("value")
                .await
                .expect("value")
                .unwrap_or_default()
        }
    };
    for _ in 0..50 {
        if value("Allowed clock skew (seconds)").await == "45" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        value("Allowed clock skew (seconds)").await,
        "45",
        "their change is shown"
    );
    assert_eq!(
        value("Maximum token age (seconds)").await,
        "180",
        "ours was not saved"
    );

    // The modal again, by keyboard: Tab and Shift+Tab stay inside it, Esc closes it without saving
    // what was added, and focus returns to the button that opened it.
    b.click_button("Edit mappings").await;
    b.fill("JWT group name", "scratch").await;
    b.click_button("Add").await;
    b.find("//legend[normalize-space(.)='Groups for scratch']".into())
        .await;
    let focus_in_dialog = "return document.activeElement.closest('[role=dialog]') !== null";
    for _ in 0..15 {
        b.press(Key::Tab).await;
        assert_eq!(
            b.eval(focus_in_dialog).await,
            json!(true),
            "Tab left the dialog"
        );
    }
    for _ in 0..15 {
        b.press(Key::Shift + Key::Tab).await;
        assert_eq!(
            b.eval(focus_in_dialog).await,
            json!(true),
            "Shift+Tab left the dialog"
        );
    }
    b.press(Key::Escape).await;
    assert_eq!(
        b.eval("return document.querySelector('[role=dialog]') === null")
            .await,
        json!(true),
        "Esc closes the dialog"
    );
    assert_eq!(
        b.eval("return document.activeElement.textContent.trim()")
            .await,
        json!("Edit mappings")
    );
    b.click_button("Edit mappings").await;
    b.find("//legend[normalize-space(.)='Groups for analysts']".into())
        .await;
    let scratch = b
        .driver
        .find_all(By::XPath(
            "//legend[normalize-space(.)='Groups for scratch']",
        ))
        .await
        .expect("query");
    assert!(scratch.is_empty(), "Esc discarded the unsaved row");
    b.click_button("Cancel").await;

    // The preview: an expired token, signed with the key in the form, fails the exp check.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"email": "old@example.com", "iat": now - 30, "exp": now - 3600}),
        &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
    )
    .expect("sign");
    b.field("Token")
        .await
        .send_keys(&expired)
        .await
        .expect("paste");
    b.find(
        "//tr[th[normalize-space(.)='exp']]/td[normalize-space(.)='fail: token_expired']".into(),
    )
    .await;
    b.see("Would be refused: token_expired").await;
    // The saved key never reaches the browser, so the signature is not checked until the admin types
    // the key into the form; then it is, live.
    b.find("//tr[th[normalize-space(.)='signature']]/td[normalize-space(.)='skipped']".into())
        .await;
    b.fill("String used by the JWT signing key", &key).await;
    b.find("//tr[th[normalize-space(.)='signature']]/td[normalize-space(.)='pass']".into())
        .await;
    b.scroll_to_id("preview-title").await;
    b.shot("07-token-preview").await;

    // The key typed above is an unsaved change: following a link asks first, and staying keeps it.
    b.click_link("People").await;
    let prompt = b.dialog_text().await;
    assert!(prompt.contains("unsaved changes"), "{prompt}");
    b.driver.dismiss_alert().await.expect("stay");
    b.path_is("/admin/settings/authentication/jwt").await;
    let kept = b
        .field("String used by the JWT signing key")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some(key.as_str()));

    // Keys: the demo IdP's JWK Set as the JWKS URI; lanyard fetches it on save and lists its keys
    // (the demo IdP makes its RSA key in the background at start: wait for it).
    let demo = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for _ in 0..300 {
        let set: serde_json::Value = demo
            .get(format!("{base}/demo-idp/jwks.json"))
            .send()
            .await
            .expect("jwks")
            .json()
            .await
            .expect("json");
        if set["keys"].as_array().map_or(0, Vec::len) == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.fill("JWKS URI", &format!("{base}/demo-idp/jwks.json"))
        .await;
    b.click_button("Save JWKS URI").await;
    b.see("JWKS URI saved").await;
    b.find("//*[@data-testid='jwks-status'][contains(., 'demo-eddsa (EdDSA)')]".into())
        .await;
    b.scroll_to_id("keys-title").await;
    b.shot("07b-keys").await;

    // An HMAC key for the ring, with a generated secret and a label.
    b.fill("Key ID (kid)", "ring-hs").await;
    b.fill("Label (optional)", "Second IdP").await;
    assert_eq!(
        b.eval(
            "const s = document.getElementById('key-alg'); s.value = 'HS256'; \
             s.dispatchEvent(new Event('change', {bubbles: true})); return s.value;"
        )
        .await,
        json!("HS256")
    );
    b.click_button("Generate secret").await;
    b.click_button("Add key").await;
    b.see("Key added.").await;
    b.find("//tr[td/code[normalize-space(.)='ring-hs']][td[normalize-space(.)='Second IdP']][td[normalize-space(.)='active']]".into())
        .await;

    // The preview checks an RS256 token's signature in this browser, with Web Crypto, against the
    // JWK Set's key (the wasm has no RSA code of its own).
    let signed = demo
        .post(format!("{base}/demo-idp"))
        .form(&[("email", "rsa@example.com"), ("alg", "RS256")])
        .send()
        .await
        .expect("demo idp");
    let location = signed.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let rs256 = url::Url::parse(&format!("{base}{location}"))
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "jwt")
        .map(|(_, v)| v.into_owned())
        .expect("a token");
    let preview = b.field("Token").await;
    preview.clear().await.expect("clear");
    preview.send_keys(&rs256).await.expect("paste");
    b.find("//tr[th[normalize-space(.)='signature']]/td[normalize-space(.)='pass']".into())
        .await;
    b.see("checked in this browser with Web Crypto").await;
    b.see("Would sign in").await;
    b.scroll_to_id("preview-title").await;
    b.shot("07c-preview-rs256").await;

    // Sign out; a new user signs in through SSO and the demo IdP, with an EdDSA token its JWK Set
    // verifies.
    b.click_button("Sign out").await;
    b.path_is("/login").await;
    b.shot("08-login").await;
    b.click_link("Sign in with SSO").await;
    b.path_is("/demo-idp").await;
    b.fill("Email", "grace@example.com").await;
    b.fill("First name", "Grace").await;
    b.fill("Last name", "Hopper").await;
    b.fill("Groups (comma-separated)", "analysts").await;
    assert_eq!(
        b.eval("document.getElementById('alg').value = 'EdDSA'; return document.getElementById('alg').value;")
            .await,
        json!("EdDSA")
    );
    b.shot("09-demo-idp").await;
    b.click_button("Sign in").await;
    b.path_is("/me").await;
    let name = b
        .find("//*[@data-testid='me-name']".into())
        .await
        .text()
        .await
        .expect("text");
    assert_eq!(name, "Grace Hopper");
    let groups = b
        .find("//*[@data-testid='me-groups']".into())
        .await
        .text()
        .await
        .expect("text");
    assert!(groups.contains("Analysts"), "{groups}");
    let attributes = b
        .find("//*[@data-testid='me-attributes']".into())
        .await
        .text()
        .await
        .expect("text");
    assert!(
        !attributes.contains('{'),
        "read as lines, not raw JSON: {attributes}"
    );
    b.find("//section[@aria-labelledby='sessions-title']//li[contains(., 'This device')]".into())
        .await;
    b.shot("10-me").await;

    // 360 px wide still reads.
    b.driver
        .set_window_rect(0, 0, 360, 800)
        .await
        .expect("resize");
    b.shot("11-me-360px").await;
    b.driver
        .set_window_rect(0, 0, 1440, 1000)
        .await
        .expect("resize");

    // The admin turns password login off; the login page loses its password form.
    b.click_button("Sign out").await;
    b.path_is("/login").await;
    b.fill("Email", ADMIN_EMAIL).await;
    b.fill("Password", ADMIN_PASSWORD).await;
    b.click_button("Sign in").await;
    // The overview: Grace's SSO sign-in is counted; the chart has a bar per hour, or per day.
    b.path_is("/admin").await;
    b.see("Last successful SSO sign-in: just now").await;
    let chart = b
        .find("//p[@data-testid='chart-summary']".into())
        .await
        .text()
        .await
        .expect("text");
    assert!(
        chart.contains("signed in") && chart.contains("refused"),
        "{chart}"
    );
    let bars = b
        .eval("return document.querySelectorAll('svg.chart rect.ok').length")
        .await;
    assert_eq!(bars, 24, "one bar per hour");
    b.click_button("7 days").await;
    b.find("//button[normalize-space(.)='7 days'][@aria-pressed='true']".into())
        .await;
    let bars = b
        .eval("return document.querySelectorAll('svg.chart rect.ok').length")
        .await;
    assert_eq!(bars, 7, "one bar per day");
    b.shot("12-overview").await;
    b.click_link("Authentication").await;
    b.path_is("/admin/settings/authentication").await;
    b.see("Enabled").await;

    // People: sign Grace out everywhere, and give her a password.
    b.click_link("People").await;
    let grace_row = "//li[@data-testid='person'][.//span[normalize-space(.)='grace@example.com']]";
    b.find(format!(
        "{grace_row}//button[normalize-space(.)='Sign out everywhere']"
    ))
    .await
    .click()
    .await
    .expect("click");
    b.see("grace@example.com was signed out everywhere").await;
    b.find(format!(
        "{grace_row}//button[normalize-space(.)='Set password']"
    ))
    .await
    .click()
    .await
    .expect("click");
    b.fill("New password for grace@example.com", "graces own password")
        .await;
    b.find("//form[@aria-label='Set password']//button[normalize-space(.)='Set password']".into())
        .await
        .click()
        .await
        .expect("submit");
    b.see("Password set for grace@example.com").await;
    b.shot("12-people-actions").await;

    // Adding a person with a password, as an administrator, in a group; then the filters.
    b.fill("Email", "lin@example.com").await;
    b.fill("First name", "Lin").await;
    b.find("//label[normalize-space(.)='A password']/input".into())
        .await
        .click()
        .await
        .expect("password");
    b.fill("Password (at least 8 characters)", "lins own password")
        .await;
    b.set_toggle("Administrator", true).await;
    b.set_toggle("Analysts", true).await;
    b.click_button("Add person").await;
    b.see("lin@example.com added.").await;
    let lin = "//li[@data-testid='person'][.//span[normalize-space(.)='lin@example.com']]";
    b.find(format!(
        "{lin}[.//span[normalize-space(.)='Password']][.//span[normalize-space(.)='Admin']]"
    ))
    .await;
    b.find("//select[@id='people-status']/option[normalize-space(.)='Signed in with SSO']".into())
        .await
        .click()
        .await
        .expect("filter");
    b.find("//p[@data-testid='people-count'][normalize-space(.)='1 person']".into())
        .await;
    b.find(grace_row.into()).await;
    b.find("//select[@id='people-status']/option[normalize-space(.)='Administrators']".into())
        .await
        .click()
        .await
        .expect("filter");
    b.find("//p[@data-testid='people-count'][normalize-space(.)='2 people']".into())
        .await;
    b.find(lin.into()).await;
    b.shot("12-people-filtered").await;

    // Grace's own page: her groups, and no sessions (she was signed out everywhere above).
    b.find("//select[@id='people-status']/option[normalize-space(.)='Everyone']".into())
        .await
        .click()
        .await
        .expect("filter");
    b.click_link("Grace Hopper").await;
    b.find("//h2[@data-testid='person-name'][normalize-space(.)='Grace Hopper']".into())
        .await;
    let person_url = b.driver.current_url().await.expect("url").path().to_owned();
    assert!(person_url.starts_with("/admin/people/"), "{person_url}");
    let groups = b
        .find("//dd[@data-testid='person-groups']".into())
        .await
        .text()
        .await
        .expect("text");
    assert!(groups.contains("Analysts"), "{groups}");
    b.see("No active sessions.").await;
    b.shot("12-person").await;

    // Groups: Analysts is mapped from the JWT group "analysts"; its members can be seen and changed.
    b.click_link("Groups").await;
    let analysts = "//li[@data-testid='group'][.//strong[normalize-space(.)='Analysts']]";
    b.find(format!(
        "{analysts}[.//span[normalize-space(.)='mapped from analysts']]"
    ))
    .await;
    b.find(format!("{analysts}//button[normalize-space(.)='Members']"))
        .await
        .click()
        .await
        .expect("open");
    b.find("//section[@data-testid='members']//li[contains(., 'grace@example.com')]".into())
        .await;
    b.find("//section[@data-testid='members']//li[contains(., 'lin@example.com')]".into())
        .await;
    b.find("//section[@data-testid='members']//li[contains(., 'lin@example.com')]//button[normalize-space(.)='Remove']".into())
        .await
        .click()
        .await
        .expect("remove");
    b.see("lin@example.com removed.").await;
    b.fill("Add a member by email", "lin@example.com").await;
    b.click_button("Add").await;
    b.see("lin@example.com added.").await;
    b.find(format!(
        "{analysts}[.//span[normalize-space(.)='2 members']]"
    ))
    .await;
    b.shot("12-group-members").await;
    b.click_link("Authentication").await;

    // User provisioning: SCIM on, the token shown once; the IdP (here: this test, over HTTP) creates
    // someone with it, and the card shows when it last called.
    b.set_toggle("Enable SCIM provisioning", true).await;
    b.see("Copy the token now").await;
    let scim_token = b
        .find("//input[@data-testid='scim-token']".into())
        .await
        .prop("value")
        .await
        .expect("value")
        .expect("the token");
    assert!(scim_token.starts_with("scim_"), "{scim_token}");
    let endpoint = b
        .field("SCIM endpoint (paste into your identity provider)")
        .await
        .prop("value")
        .await
        .expect("value")
        .expect("endpoint");
    assert_eq!(endpoint, format!("{base}/api/scim/v2"));
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{endpoint}/Users"))
        .bearer_auth(&scim_token)
        .header("content-type", "application/scim+json")
        .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","name":{"givenName":"Ada","familyName":"Lovelace"}}"#)
        .send()
        .await
        .expect("SCIM create");
    assert_eq!(created.status(), 201);
    b.click_button("Copy").await;
    b.see("Endpoint copied.").await;
    b.scroll_to_id("scim-card-title").await;
    b.shot("12c-provisioning").await;
    b.driver.refresh().await.expect("reload");
    b.see("Last request from your identity provider:").await;
    let token_inputs = b
        .driver
        .find_all(By::Css("[data-testid=scim-token]"))
        .await
        .expect("query");
    assert!(token_inputs.is_empty(), "the token is shown only once");

    // API keys: an admin key, shown once, works without a session; rotating it ends the old one.
    b.click_link("API keys").await;
    b.path_is("/admin/api-keys").await;
    b.see("No keys yet").await;
    b.fill("Name", "Deploy bot").await;
    b.click_button("Create key").await;
    b.see("Key \"Deploy bot\" created. Copy it now").await;
    let read_key = || async {
        b.find("//input[@data-testid='new-api-key']".into())
            .await
            .prop("value")
            .await
            .expect("value")
            .expect("the key")
    };
    let key = read_key().await;
    let people = http
        .get(format!("{base}/api/user"))
        .header("x-api-key", &key)
        .send()
        .await
        .expect("API call");
    assert_eq!(people.status(), 200);
    assert!(
        people
            .text()
            .await
            .expect("body")
            .contains("ada@example.com"),
        "the SCIM user is listed"
    );
    b.find("//li[@data-testid='api-key'][contains(., 'Deploy bot')][contains(., 'Administrator')][contains(., 'by admin@example.com')]".into())
        .await;
    b.shot("12d-api-keys").await;
    b.click_button("Rotate").await;
    let question = b.dialog_text().await;
    assert!(question.contains("stops working"), "{question}");
    b.driver.accept_alert().await.expect("confirm");
    b.see("Key \"Deploy bot\" replaced").await;
    let mut rotated = read_key().await;
    for _ in 0..50 {
        if rotated != key {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        rotated = read_key().await;
    }
    assert_ne!(rotated, key);
    let old = http
        .get(format!("{base}/api/user"))
        .header("x-api-key", &key)
        .send()
        .await
        .expect("call");
    assert_eq!(old.status(), 401);

    // Audit: in words, filtered by the server. Grace's SSO sign-in reads "joined Analysts".
    b.click_link("Audit").await;
    b.path_is("/admin/audit").await;
    b.see("API key Deploy bot").await;
    b.find("//select[@id='audit-event']/option[normalize-space(.)='Signed in with SSO']".into())
        .await
        .click()
        .await
        .expect("choose");
    b.click_button("Apply").await;
    b.find("//li[@class='audit-entry'][.//strong[normalize-space(.)='Signed in with SSO']][contains(., 'grace@example.com')][contains(., 'joined Analysts')]".into())
        .await;
    // Grace's entry is in the unfiltered list too: wait (up to 10 s) for the filtered page to
    // replace it, rather than reading whichever list is on screen.
    let mut labels = Vec::new();
    for _ in 0..100 {
        labels = b
            .eval("return [...document.querySelectorAll('.audit-entry .event')].map(e => e.textContent)")
            .await
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !labels.is_empty() && labels.iter().all(|l| l == "Signed in with SSO") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !labels.is_empty() && labels.iter().all(|l| l == "Signed in with SSO"),
        "{labels:?}"
    );
    b.find("//li[@class='audit-entry']/time[normalize-space(.)='just now' or contains(., 'minute')][contains(@title, 'T')]".into())
        .await;
    let export = b
        .find("//a[normalize-space(.)='Export CSV']".into())
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("a link");
    assert_eq!(export, "/api/audit/export.csv?event=sso_login");
    let older = b.find("//button[normalize-space(.)='Older']".into()).await;
    assert_eq!(
        older.attr("disabled").await.expect("attr").as_deref(),
        Some("true"),
        "one page only"
    );
    b.shot("12e-audit").await;

    // Every admin page at 1440 px and at 360 px: nothing scrolls sideways; screenshots of each.
    let pages = [
        ("overview", "/admin", "Overview"),
        (
            "authentication",
            "/admin/settings/authentication",
            "Authentication",
        ),
        ("jwt", "/admin/settings/authentication/jwt", "JWT"),
        ("people", "/admin/people", "People"),
        ("groups", "/admin/groups", "Groups"),
        ("audit", "/admin/audit", "Audit log"),
        ("api-keys", "/admin/api-keys", "API keys"),
        ("me", "/me", "You are signed in"),
        ("person", person_url.as_str(), "Person"),
    ];
    for (width, height) in [(1440, 1000), (360, 800)] {
        b.driver
            .set_window_rect(0, 0, width, height)
            .await
            .expect("resize");
        for (name, path, heading) in pages {
            b.open(path).await;
            b.find(format!(
                "//h1[contains(normalize-space(.), {})]",
                lit(heading)
            ))
            .await;
            if name == "jwt" {
                // The token preview's checks table, filled, must fit too.
                b.fill("Token", &rs256).await;
                b.find("//tr[th[normalize-space(.)='signature']]".into())
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            b.fits(&format!("{name}-{width}px")).await;
            b.shot(&format!("w{width}-{name}")).await;
        }
    }
    // At 360 px the navigation sits behind Menu.
    b.open("/admin").await;
    let nav_link = b
        .find("//nav[@id='admin-nav']//a[normalize-space(.)='People']".into())
        .await;
    assert!(
        !nav_link.is_displayed().await.expect("shown?"),
        "folded under Menu"
    );
    b.click_button("Menu").await;
    b.find("//button[normalize-space(.)='Menu'][@aria-expanded='true']".into())
        .await;
    b.shot("w360-menu-open").await;
    b.click_link("People").await;
    b.path_is("/admin/people").await;
    b.driver
        .set_window_rect(0, 0, 1440, 1000)
        .await
        .expect("resize");
    // The admin signed in with a password: no login attributes, said in words.
    b.open("/me").await;
    b.see("None: they come from your identity provider's token")
        .await;
    b.find("//header//a[normalize-space(.)='Admin']".into())
        .await;
    b.open("/admin/people").await;
    b.click_link("Authentication").await;

    // The mapping impact, before saving: Grace signed in with "analysts", so ticking Administrators
    // for it says she would join. Cancel saves nothing.
    b.click_link("Configure").await;
    b.path_is("/admin/settings/authentication/jwt").await;
    b.click_button("Edit mappings").await;
    b.find("//p[@id='impact-line'][normalize-space(.)=\"No one's groups change.\"]".into())
        .await;
    let administrators = b
        .find("//fieldset[legend[normalize-space(.)='Groups for analysts']]//label[normalize-space(.)='Administrators']/input".into())
        .await;
    b.scroll_to(&administrators).await;
    administrators.click().await.expect("tick");
    b.find("//p[@id='impact-line'][normalize-space(.)='1 person joins Administrators']".into())
        .await;
    b.find("//summary[normalize-space(.)='Show people']".into())
        .await
        .click()
        .await
        .expect("expand");
    b.see("grace@example.com: joins Administrators").await;
    b.shot("12a-mappings-impact").await;
    b.click_button("Cancel").await;

    // Sign-in rules: a rule without a value is flagged as it is typed, by lanyard-core's rule.
    b.click_button("Add rule").await;
    b.find("//input[@aria-label='Rule 1 claim']".into())
        .await
        .send_keys("tenant")
        .await
        .expect("type");
    b.see("Rule 1: enter the value to compare with.").await;
    b.scroll_to_id("jwt-rules").await;
    b.shot("12b-sign-in-rules").await;
    b.click_button("Remove").await;
    b.click_link("← Authentication").await;
    b.path_is("/admin/settings/authentication").await;

    b.set_toggle("Enable password authentication", false).await;
    b.see("Password login is off.").await;
    b.shot("12-password-off").await;
    b.click_button("Sign out").await;
    // Password login off and one SSO method: the sign-in page goes straight to it (SPEC §14)…
    b.path_is("/demo-idp").await;
    // …and `?stay` keeps it, for whoever needs the page itself.
    b.open("/login?stay=1").await;
    b.see("Sign in with SSO").await;
    let password_inputs = b
        .driver
        .find_all(By::Css("input[type=password]"))
        .await
        .expect("query");
    assert!(password_inputs.is_empty(), "the password form is hidden");
    b.shot("13-login-sso-only").await;

    // The sign-in pages at 360 px too.
    b.driver
        .set_window_rect(0, 0, 360, 800)
        .await
        .expect("resize");
    b.open("/login?stay=1").await;
    b.see("Sign in with SSO").await;
    b.fits("login-360px").await;
    b.shot("w360-login").await;
    b.open("/demo-idp").await;
    b.see("Demo identity provider").await;
    b.fits("demo-idp-360px").await;
    b.shot("w360-demo-idp").await;

    b.driver.quit().await.expect("quit");
}

/// SPEC §14 in Chromium: the admin connects the real OpenID Provider (`oidc-provider`) on the
/// OpenID Connect page — Discover, the redirect URI, client, scopes — and a person signs in with its
/// button through the provider's own login page; with password login off the sign-in page goes
/// straight to the provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_connects_an_openid_connect_provider_and_a_user_signs_in_through_it() {
    let (Ok(bin), Ok(dist)) = (std::env::var("LANYARD_BIN"), std::env::var("LANYARD_DIST")) else {
        eprintln!("skipped: LANYARD_BIN and LANYARD_DIST are not set (make test sets them)");
        return;
    };
    let Some(op) = lanyard_e2e::oidc_op::op() else {
        return;
    };
    let (b, _running) = launch(&bin, &dist, "screenshots-oidc").await;
    b.open("/").await;
    b.path_is("/setup").await;
    b.fill("Email", ADMIN_EMAIL).await;
    b.fill("Password (at least 8 characters)", ADMIN_PASSWORD)
        .await;
    b.click_button("Create account").await;
    b.path_is("/admin").await;

    b.open("/admin/settings/authentication").await;
    b.see("OpenID Connect").await;
    b.find(
        "//section[@aria-labelledby='oidc-card-title']//a[normalize-space(.)='Configure']".into(),
    )
    .await
    .click()
    .await
    .expect("click");
    b.path_is("/admin/settings/authentication/oidc").await;
    b.click_button("Add provider").await;
    b.fill("Name", "Acme SSO").await;
    b.fill("Slug", "acme").await;
    b.fill("Issuer URL", &op.id_token_claims).await;
    b.click_button("Discover").await;
    b.find("//dl[@data-testid='discovered']//dd[contains(., 'EdDSA')]".into())
        .await;
    let redirect = b
        .find("//input[@id='oidc-redirect']".into())
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert_eq!(redirect, format!("{}/auth/oidc/acme/callback", b.base));
    b.fill("Client ID", "basic").await;
    b.fill("Client secret", "basic-secret").await;
    // lanyard-core's rule, as it is typed: the scopes must hold openid.
    b.fill("Scopes", "email profile").await;
    b.see("The scopes must include openid").await;
    b.fill("Scopes", "openid email profile groups").await;
    b.shot("01-provider-form").await;
    b.click_button("Save provider").await;
    b.see("Provider saved.").await;
    b.find("//tr[@data-testid='provider-acme']".into()).await;
    b.shot("02-provider-saved").await;

    // Access policies (SPEC §15): the tester judges the unsaved rules as they are typed.
    b.click_link("Access policies").await;
    b.path_is("/admin/settings/access-policies").await;
    b.click_button("Add rule").await;
    b.fill(
        "Paths (/api/ is a prefix; /admin/** a glob; empty: any)",
        "/admin/**",
    )
    .await;
    b.find("//select[@id='rule-0-action']/option[@value='deny']".into())
        .await
        .click()
        .await
        .expect("choose deny");
    b.fill("Path", "/admin/users/7").await;
    b.find("//p[@data-testid='policy-decision'][normalize-space(.)='Decided by rule 1 (Rule 1): refused (403).']".into())
        .await;
    b.fill("Path", "/reports").await;
    b.find("//p[@data-testid='policy-decision'][normalize-space(.)='Decided by the default: any signed-in person.']".into())
        .await;
    b.click_button("Save policies").await;
    b.see("Access policies saved.").await;
    b.shot("02b-access-policies").await;

    // A person signs in with the provider's button, through its own login page.
    b.click_button("Sign out").await;
    b.path_is("/login").await;
    b.find("//a[normalize-space(.)='Sign in with Acme SSO']".into())
        .await
        .click()
        .await
        .expect("click");
    b.find("//input[@name='login']".into())
        .await
        .send_keys("ada")
        .await
        .expect("type");
    b.find("//input[@name='password']".into())
        .await
        .send_keys("anything")
        .await
        .expect("type");
    b.shot("03-provider-login").await;
    b.find("//button[@type='submit']".into())
        .await
        .click()
        .await
        .expect("submit");
    b.see("ada@example.test").await;
    b.shot("04-signed-in").await;
    b.driver.quit().await.expect("quit");
}
