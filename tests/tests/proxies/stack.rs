//! What both proxy tests share: README's configurations localised to the test's ports and host
//! names, the proxies and an echoing upstream as child processes, and a browser-like client.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use reqwest::redirect::Policy;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

use super::common::{free_port, wait_for_port};

pub const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
pub const ADMIN: &str = "admin@example.test";
pub const PASSWORD: &str = "correct horse battery";
pub const SSO_HOST: &str = "sso.example.test";
pub const APP_HOST: &str = "app.example.test";
/// README's "Protect several applications" hosts.
pub const APPS: &[&str] = &[
    "wiki.example.test",
    "finance.example.test",
    "api.example.test",
    "legacy.example.test",
];

/// The fenced block that follows `<!-- proxy-config: NAME -->` in README.md.
pub fn readme_config(name: &str) -> String {
    let readme = include_str!("../../../README.md");
    let marker = format!("<!-- proxy-config: {name} -->");
    let after = readme
        .split_once(&marker)
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("README has no {marker}"));
    let body = after
        .split_once("```")
        .and_then(|(_, rest)| rest.split_once('\n'))
        .map(|(_, rest)| rest)
        .expect("a fenced block");
    body.split_once("```")
        .map(|(block, _)| block)
        .expect("closed")
        .to_owned()
}

/// The ports of one stack.
#[derive(Clone, Copy)]
pub struct Ports {
    pub lanyard: u16,
    pub upstream: u16,
    pub nginx: u16,
    pub caddy: u16,
}

/// README's example addresses → this test's.
pub fn localise(config: &str, ports: Ports) -> String {
    config
        .replace("127.0.0.1:3000", &format!("127.0.0.1:{}", ports.lanyard))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{}", ports.upstream))
        .replace("example.com", "example.test")
}

/// What both proxy tests start with: lanyard on its own ports (README's start line, then `extra`
/// arguments) and the echoing upstream, with the folders nginx and Caddy will run in.
pub struct Stack {
    pub ports: Ports,
    /// lanyard's site URL.
    pub sso: String,
    /// What the upstream received.
    pub upstream: Arc<Mutex<Vec<Value>>>,
    pub nginx_dir: PathBuf,
    pub caddy_dir: PathBuf,
    // Dropped in this order: lanyard stopped, then its folder removed.
    _lanyard: Process,
    _work: tempfile::TempDir,
}

/// Starts lanyard (`bin`) on `database_url` and the upstream; returns once lanyard listens.
pub async fn start_lanyard(bin: &str, database_url: &str, extra: &[&str]) -> Stack {
    let work = tempfile::tempdir().expect("temp dir");
    // nginx drops its workers' privileges when run as root; let them use the work dir.
    open_to_everyone(work.path());
    let ports = Ports {
        lanyard: free_port(),
        upstream: free_port(),
        nginx: free_port(),
        caddy: free_port(),
    };
    let sso = format!("http://{SSO_HOST}:{}", ports.lanyard);
    let lanyard = Command::new(bin)
        .args(["serve", "--demo-idp", "--static-dir", "/nonexistent"])
        .args(["--listen", &format!("127.0.0.1:{}", ports.lanyard)])
        .args(["--site-url", &sso, "--cookie-domain", "example.test"])
        .args(extra)
        .args(["--database-url", database_url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("lanyard starts");
    let lanyard = kill_on_drop(lanyard);
    wait_for_port(ports.lanyard).await;
    let upstream = echo_upstream(ports.upstream).await;
    let (nginx_dir, caddy_dir) = (work.path().join("nginx"), work.path().join("caddy"));
    for dir in [&nginx_dir, &caddy_dir] {
        std::fs::create_dir_all(dir).expect("dir");
        open_to_everyone(dir);
    }
    Stack {
        ports,
        sso,
        upstream,
        nginx_dir,
        caddy_dir,
        _lanyard: lanyard,
        _work: work,
    }
}

fn open_to_everyone(dir: &Path) {
    let _ = std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o777));
}

pub fn kill_on_drop(child: Child) -> Process {
    Process(child)
}

/// A child process, killed when the test ends.
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

/// An upstream application that answers every request with the request's path and headers as
/// JSON, and remembers what it received.
pub async fn echo_upstream(port: u16) -> Arc<Mutex<Vec<Value>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("upstream binds");
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&buffer).into_owned();
                let mut lines = text.split("\r\n");
                let path = lines
                    .next()
                    .and_then(|l| l.split(' ').nth(1))
                    .unwrap_or("")
                    .to_owned();
                let mut headers = serde_json::Map::new();
                for line in lines.take_while(|l| !l.is_empty()) {
                    if let Some((name, value)) = line.split_once(':') {
                        headers.insert(name.trim().to_ascii_lowercase(), json!(value.trim()));
                    }
                }
                let body = json!({"path": path, "headers": headers});
                if let Ok(mut seen) = log.lock() {
                    seen.push(body.clone());
                }
                let body = body.to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    seen
}

pub async fn start_nginx(dir: &Path, ports: Ports, config: &str) -> Process {
    let server_block = localise(&readme_config(config), ports)
        .replace("listen 80;", &format!("listen 127.0.0.1:{};", ports.nginx));
    let d = dir.display();
    let config = format!(
        "worker_processes 1;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\nevents {{ worker_connections 64; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n \
         fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         {server_block}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), config).expect("nginx.conf");
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .args(["-g", "daemon off; master_process off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("nginx starts");
    wait_for_port(ports.nginx).await;
    kill_on_drop(child)
}

pub async fn start_caddy(dir: &Path, ports: Ports, config: &str) -> Process {
    // The site's addresses (`a.example.test, b.example.test {`) as plain HTTP on the test's port.
    let localised = localise(&readme_config(config), ports);
    let (addresses, rest) = localised
        .trim_start()
        .split_once(" {")
        .expect("a site block");
    let addresses: Vec<String> = addresses
        .split(", ")
        .map(|host| format!("http://{host}:{}", ports.caddy))
        .collect();
    let site = format!("{} {{\n\tbind 127.0.0.1{rest}", addresses.join(", "));
    let config = format!("{{\n\tadmin off\n\tauto_https off\n}}\n\n{site}");
    std::fs::write(dir.join("Caddyfile"), config).expect("Caddyfile");
    let child = Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(dir.join("Caddyfile"))
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("caddy starts");
    wait_for_port(ports.caddy).await;
    kill_on_drop(child)
}

/// A client as a browser behaves here: a cookie jar, no automatic redirects (each hop is checked),
/// and the test host names pointed at loopback.
pub fn browser() -> reqwest::Client {
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    [SSO_HOST, APP_HOST]
        .iter()
        .chain(APPS)
        .fold(reqwest::Client::builder(), |client, host| {
            client.resolve(host, loopback)
        })
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

pub fn location(response: &reqwest::Response) -> String {
    let base = response.url().clone();
    let raw = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location");
    base.join(raw).expect("a URL").into()
}
