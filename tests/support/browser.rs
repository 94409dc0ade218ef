//! A real browser for the page tests: Debian's headless Chromium, driven
//! over the W3C WebDriver protocol through chromedriver (both installed by
//! `scripts/browser-for-tests`, whose paths `scripts/test` exports). The
//! protocol is a few JSON calls over HTTP; this client speaks the ones the
//! tests use. axe-core runs inside the page for accessibility.

use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// The W3C name of an element reference in answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver's path and axe.min.js's, when the test script set them.
pub fn tools() -> Option<(String, String)> {
    let driver = std::env::var("CRENEAU_TEST_CHROMEDRIVER").ok()?;
    let axe = std::env::var("CRENEAU_TEST_AXE").ok()?;
    Some((driver, axe))
}

pub struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
    axe: String,
}

impl Drop for Browser {
    /// Ends chromedriver and every Chromium process it started: they share
    /// the process group chromedriver was started in (killing chromedriver
    /// alone leaves the browsers running).
    fn drop(&mut self) {
        self.quit_session();
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// An element found on the page.
#[derive(Clone)]
pub struct El(String);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// Asks chromedriver to close the browser (it then reaps its
    /// processes), over a plain blocking socket: `Drop` cannot await.
    fn quit_session(&self) {
        use std::io::{Read as _, Write as _};
        let address = self.base.trim_start_matches("http://");
        let Ok(mut stream) = std::net::TcpStream::connect(address) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.session
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
        }
    }

    /// A headless Chromium with a window of `width`×`height`, in French.
    pub async fn start(width: u32, height: u32) -> Browser {
        let (driver_path, axe_path) = tools().expect(
            "CRENEAU_TEST_CHROMEDRIVER and CRENEAU_TEST_AXE: run the tests with scripts/test",
        );
        let port = free_port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let base = format!("http://127.0.0.1:{port}");
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not start on port {port}");
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": std::env::var("CRENEAU_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             format!("--window-size={width},{height}"), "--lang=fr-FR", "--hide-scrollbars"],
                }
            }}}))
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session json");
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        let axe = std::fs::read_to_string(&axe_path).expect("axe.min.js");
        let b = Browser {
            http,
            base,
            session,
            driver,
            axe,
        };
        b.resize(width, height).await;
        b
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut r = self.http.request(method, &url);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let v: Value = r
            .send()
            .await
            .expect("webdriver answers")
            .json()
            .await
            .expect("json");
        if let Some(e) = v["value"]["error"].as_str() {
            panic!("webdriver {path}: {e}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// The inner size of the page: `width` CSS pixels wide.
    pub async fn resize(&self, width: u32, height: u32) {
        // The window is larger than the page by its frame; headless has none.
        self.post("/window/rect", json!({"width": width, "height": height}))
            .await;
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    pub async fn url(&self) -> String {
        self.get("/url")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn title(&self) -> String {
        self.get("/title")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.script("return document.body.innerText;", json!([]))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn find(&self, css: &str) -> El {
        let v = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        El(v[ELEMENT].as_str().unwrap_or_default().to_owned())
    }

    pub async fn count(&self, css: &str) -> usize {
        self.post("/elements", json!({"using": "css selector", "value": css}))
            .await
            .as_array()
            .map_or(0, Vec::len)
    }

    /// The element a script returns (for what CSS cannot say).
    pub async fn find_by_script(&self, script: &str) -> El {
        let v = self.script(script, json!([])).await;
        El(v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{script} found no element: {v}"))
            .to_owned())
    }

    /// The element whose text contains `text` among those `css` selects.
    pub async fn find_text(&self, css: &str, text: &str) -> El {
        let v = self
            .post("/elements", json!({"using": "css selector", "value": css}))
            .await;
        for e in v.as_array().cloned().unwrap_or_default() {
            let id = e[ELEMENT].as_str().unwrap_or_default().to_owned();
            let t = self.get(&format!("/element/{id}/text")).await;
            if t.as_str().is_some_and(|t| t.contains(text)) {
                return El(id);
            }
        }
        panic!("no {css} with the text {text:?} on {}", self.url().await);
    }

    pub async fn click(&self, el: &El) {
        self.settled(async {
            self.post(&format!("/element/{}/click", el.0), json!({}))
                .await;
        })
        .await;
    }

    /// Runs `action`, and when it starts a navigation (a link, a form),
    /// waits until the next page has loaded: chromedriver may answer a
    /// click before the navigation it causes has begun.
    async fn settled(&self, action: impl std::future::Future<Output = ()>) {
        self.script("window.__creneau_page = true;", json!([]))
            .await;
        action.await;
        let gone = "return window.__creneau_page !== true && document.readyState === 'complete';";
        for _ in 0..5 {
            if self.script(gone, json!([])).await == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // No navigation within half a second: a checkbox, a label, a
        // script's update. Wait longer only if a load is under way.
        let loading = "return document.readyState !== 'complete';";
        if self.script(loading, json!([])).await == Value::Bool(true) {
            self.wait_for(gone, 10).await;
        }
    }

    /// Clicks the element `css` selects.
    pub async fn click_on(&self, css: &str) {
        let el = self.find(css).await;
        self.click(&el).await;
    }

    pub async fn type_in(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{}/clear", el.0), json!({}))
            .await;
        self.post(&format!("/element/{}/value", el.0), json!({ "text": text }))
            .await;
    }

    /// Presses keys on the focused element (`\u{E004}` is Tab, `\u{E007}`
    /// Enter).
    pub async fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.settled(async {
            self.post(
                "/actions",
                json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
            )
            .await;
        })
        .await;
        self.call(reqwest::Method::DELETE, "/actions", None).await;
    }

    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// What a script that returns a list of strings found.
    pub async fn lines(&self, script: &str) -> Vec<String> {
        self.script(script, json!([]))
            .await
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub async fn script_async(&self, script: &str, args: Value) -> Value {
        self.post("/execute/async", json!({"script": script, "args": args}))
            .await
    }

    /// The id of the focused element.
    pub async fn focused_id(&self) -> String {
        self.script(
            "return document.activeElement && document.activeElement.id || '';",
            json!([]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Waits until `script` returns true, up to `secs` seconds.
    pub async fn wait_for(&self, script: &str, secs: u64) -> bool {
        for _ in 0..secs * 10 {
            if self.script(script, json!([])).await == Value::Bool(true) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Whether the page fits its width: nothing to scroll sideways.
    pub async fn fits_width(&self) -> bool {
        self.script(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            json!([]),
        )
        .await
            == Value::Bool(true)
    }

    /// The buttons, links styled as buttons and fields of this page that
    /// lie (even partly) outside the window's width, described for a
    /// message; those in a box that scrolls sideways on its own (a wide
    /// table) are reached by scrolling it and are left out.
    /// Touch targets smaller than 44 × 44 CSS pixels (WCAG 2.5.5): buttons,
    /// button-like links, fields, menus, the question of a confirmation,
    /// the labels of check boxes. Links inside a sentence are exempt, as
    /// the criterion says.
    pub async fn small_targets(&self) -> Vec<String> {
        self.lines(
            r#"
                const out = [];
                for (const el of document.querySelectorAll(
                    "button, .button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, .choice, .times a, summary, nav a, label.check, .chips label")) {
                  if (el.offsetParent === null || el.hidden) continue;
                  const r = el.getBoundingClientRect();
                  if (r.height < 43.5 || r.width < 43.5) {
                    out.push(el.tagName.toLowerCase() + " \"" +
                      (el.textContent || el.name || el.id || "").trim().slice(0, 40) + "\" " +
                      Math.round(r.width) + "×" + Math.round(r.height) + " px");
                  }
                }
                return out;"#,
        )
        .await
    }

    pub async fn controls_outside(&self) -> Vec<String> {
        self.lines(
            r#"
                const out = [];
                const width = window.innerWidth;
                for (const el of document.querySelectorAll(
                    "button, .button, input:not([type=hidden]), select, textarea, .choice, .times a")) {
                  if (el.offsetParent === null || el.hidden) continue;
                  let boxed = false;
                  for (let p = el.parentElement; p; p = p.parentElement) {
                    const o = getComputedStyle(p).overflowX;
                    if (o === "auto" || o === "scroll") { boxed = true; break; }
                  }
                  if (boxed) continue;
                  const r = el.getBoundingClientRect();
                  if (r.left < -1 || r.right > width + 1) {
                    out.push(el.tagName.toLowerCase() + " \"" +
                      (el.textContent || el.name || "").trim().slice(0, 40) + "\" at " +
                      Math.round(r.left) + "–" + Math.round(r.right) + " px");
                  }
                }
                return out;"#,
        )
        .await
    }

    /// axe-core's violations of impact serious or critical on this page,
    /// as "rule: nodes" lines.
    pub async fn serious_violations(&self) -> Vec<String> {
        self.script(&self.axe, json!([])).await;
        let result = self
            .script_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']})
                    .then(r => done(r.violations))
                    .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
                json!([]),
            )
            .await;
        result
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                let nodes: Vec<String> = v["nodes"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(|n| {
                        n["html"]
                            .as_str()
                            .unwrap_or_default()
                            .chars()
                            .take(120)
                            .collect()
                    })
                    .collect();
                format!("{} ({}): {}", v["id"], v["help"], nodes.join(" | "))
            })
            .collect()
    }

    /// A PNG of the visible page.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let v = self.get("/screenshot").await;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .expect("png")
    }

    /// A PNG of the whole page: the window made as tall as the page first.
    pub async fn full_screenshot(&self, width: u32) -> Vec<u8> {
        let height = self
            .script(
                "return Math.ceil(document.documentElement.scrollHeight);",
                json!([]),
            )
            .await
            .as_u64()
            .unwrap_or(800)
            .clamp(400, 6000) as u32;
        self.resize(width, height).await;
        let png = self.screenshot().await;
        self.resize(width, 800).await;
        png
    }
}
