//! A real SMTP server on loopback for the email tests: aiosmtpd (Python),
//! storing what it receives in a maildir; messages are read back with
//! Python's own `email` parser. `scripts/test` finds or installs the Python
//! (`scripts/smtp-for-tests`) and passes it in `CRENEAU_TEST_SMTP_PYTHON`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub struct Smtp {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
    python: String,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

fn python() -> String {
    if let Ok(p) = std::env::var("CRENEAU_TEST_SMTP_PYTHON") {
        return p;
    }
    let out = Command::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/smtp-for-tests"
    ))
    .output()
    .expect("scripts/smtp-for-tests");
    assert!(
        out.status.success(),
        "no SMTP server for the tests: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl Smtp {
    pub async fn start() -> Smtp {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Smtp::start_on(port).await
    }

    pub async fn start_on(port: u16) -> Smtp {
        let python = python();
        let maildir =
            std::env::temp_dir().join(format!("creneau-mail-{}", uuid::Uuid::new_v4().simple()));
        let child = Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("aiosmtpd");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Smtp {
            child,
            port,
            maildir,
            python,
        }
    }

    /// Every message received, parsed: `subject`, `from`, `to`,
    /// `message_id`, and `parts` (`type`, `method`, `text` decoded).
    pub fn received(&self) -> Vec<Value> {
        const READ: &str = r#"
import email, email.policy, json, mailbox, sys
box = mailbox.Maildir(sys.argv[1], create=False)
out = []
for key in sorted(box.keys()):
    m = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    parts = []
    for p in m.walk():
        if p.is_multipart():
            continue
        parts.append({"type": p.get_content_type(), "method": p.get_param("method") or "",
                      "filename": p.get_filename() or "", "text": p.get_content()})
    out.append({"subject": str(m["subject"]), "from": str(m["from"]), "to": str(m["to"]),
                "message_id": str(m["message-id"]), "date": str(m["date"]), "parts": parts})
print(json.dumps(out))
"#;
        if !self.maildir.join("new").exists() {
            return Vec::new();
        }
        let out = Command::new(&self.python)
            .args(["-c", READ])
            .arg(&self.maildir)
            .output()
            .expect("python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    }
}
