//! Real headless Chromium for the console's browser tests, through its ChromeDriver (Debian's
//! `chromium` and `chromium-driver`, which `scripts/test` installs). Each browser has its own
//! driver on a free 127.0.0.1 port and a fresh profile; screenshots go to
//! `target/browser-screenshots/` as test artifacts.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A browser session; the driver stops when it is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Chromium runs in a session of its own: end every process of this browser's profile
        // (one left behind would keep running after the test), then the driver.
        let _ = Command::new("pkill").arg("-KILL").arg("-f").arg(self._profile.path()).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Starts Chromium `width` pixels wide.
    pub async fn start(width: u32) -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "the browser tests need Debian's chromium and chromium-driver: run `scripts/test` (it installs them), \
             or `apt-get install chromium chromium-driver`"
        );
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        // It says when it listens.
        let stdout = driver.stdout.take().unwrap();
        let (listening, ready) = tokio::sync::oneshot::channel();
        // A thread of its own: the test's runtime must not wait for it at the end.
        std::thread::spawn(move || {
            use std::io::BufRead as _;
            let mut lines = std::io::BufReader::new(stdout).lines();
            let _ = listening.send(lines.by_ref().any(|l| l.is_ok_and(|l| l.contains("started successfully"))));
            // Keep reading so the driver never blocks on a full pipe.
            for _ in lines {}
        });
        let started = tokio::time::timeout(Duration::from_secs(20), ready).await;
        assert!(matches!(started, Ok(Ok(true))), "chromedriver did not start listening");
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--window-size={width},900"),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), json!({"binary": CHROMIUM, "args": args}));
        let url = format!("http://127.0.0.1:{port}");
        let client = ClientBuilder::rustls().unwrap().capabilities(caps).connect(&url).await;
        let client = client.unwrap_or_else(|e| panic!("no browser session: {e}"));
        Browser { client, driver, _profile: profile }
    }

    /// Ends the browser session (the driver closes Chromium).
    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }

    /// Fills the field named `name`.
    pub async fn fill(&self, name: &str, value: &str) {
        let field = self.client.find(Locator::Css(&format!("[name=\"{name}\"]"))).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
    }

    /// Clicks the first element matching `css` and waits (at most 10 s) until the browser shows
    /// `path` (a form submitted, a link followed).
    pub async fn click_to(&self, css: &str, path: &str) {
        let before = self.client.current_url().await.unwrap();
        self.click(css).await;
        let url = before.join(path).unwrap();
        let arrived = self.client.wait().at_most(Duration::from_secs(10)).for_url(&url).await;
        assert!(arrived.is_ok(), "after clicking {css}: expected {path}, at {}", self.path().await);
        self.loaded().await;
    }

    /// Waits (at most 10 s, asking the browser each time) until the new page has loaded: the URL
    /// changes before the old document is gone.
    async fn loaded(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            let state = self.client.execute("return document.readyState", vec![]).await;
            if state.ok().and_then(|v| v.as_str().map(|s| s == "complete")).unwrap_or(false) {
                return;
            }
        }
        panic!("the page did not finish loading within 10 s");
    }

    /// The page's visible text (asked again if the page was replaced between finding its body
    /// and reading it).
    pub async fn text(&self) -> String {
        for _ in 0..20 {
            let body = self.client.find(Locator::Css("body")).await.unwrap();
            match body.text().await {
                Ok(text) => return text,
                Err(e) if e.to_string().contains("stale") => self.loaded().await,
                Err(e) => panic!("reading the page: {e}"),
            }
        }
        panic!("the page kept changing while it was read")
    }

    /// The current path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Saves a screenshot as `target/browser-screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}
