//! The files in `deploy/` and `scripts/cluster` cannot rot: every `creneau`
//! command line written in them is run through `creneau config check`, and
//! each form deploys the same topology.

use std::path::{Path, PathBuf};

use crate::cli::{creneau, run_to_end, temp_dir};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// A JSON array written inline in YAML or a Containerfile, after `key`.
fn inline_list(line: &str, key: &str) -> Option<Vec<String>> {
    let rest = line.trim().strip_prefix(key)?.trim();
    serde_json::from_str(rest).ok()
}

/// Every `creneau` command line of a deploy file (without `creneau`).
fn command_lines(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("deploy file");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let mut lines = Vec::new();
    for line in text.lines() {
        let found = if name.ends_with(".yaml") {
            inline_list(line, "command:").or_else(|| inline_list(line, "args:"))
        } else if name == "Containerfile" {
            inline_list(line, "CMD")
        } else if name.ends_with(".service") {
            line.strip_prefix("ExecStart=").map(|l| {
                let mut w = words(l);
                assert!(w[0].ends_with("/creneau"), "{name}: {l}");
                w.remove(0);
                w
            })
        } else if name == "cluster" {
            // start NAME PORT SERVICES
            line.strip_prefix("start ").and_then(|l| {
                let w = words(l);
                (w.len() == 3 && w[1].parse::<u16>().is_ok()).then(|| {
                    words(&format!(
                        "--listen 127.0.0.1:{} serve --services {}",
                        w[1], w[2]
                    ))
                })
            })
        } else {
            None
        };
        // The compose file's health check and the like are not serve lines.
        if let Some(found) = found.filter(|w| w.iter().any(|x| x == "serve")) {
            lines.push(found);
        }
    }
    lines
}

#[test]
fn every_command_line_in_deploy_passes_config_check_and_each_form_splits_the_same_way() {
    let root = root();
    let deploy = root.join("deploy");
    let mut files: Vec<PathBuf> = vec![
        deploy.join("Containerfile"),
        deploy.join("compose.yaml"),
        deploy.join("creneau.service"),
        root.join("scripts/cluster"),
    ];
    for sub in ["k8s", "systemd"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(deploy.join(sub))
            .expect("folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "service"))
            .collect();
        found.sort();
        files.extend(found);
    }
    let dir = temp_dir();
    let mut checked = 0;
    let mut split: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for file in &files {
        for line in command_lines(file) {
            let line: Vec<String> = line
                .into_iter()
                // A systemd template's instance is its port.
                .map(|w| w.replace("%i", "8081"))
                // The example settings file stands for the installed one.
                .map(|w| {
                    if w == "/etc/creneau/creneau.toml" {
                        deploy.join("creneau.toml").display().to_string()
                    } else {
                        w
                    }
                })
                .collect();
            let services = line
                .iter()
                .position(|w| w == "--services")
                .and_then(|i| line.get(i + 1))
                .cloned()
                .unwrap_or_else(|| "all".into());
            let form = file
                .strip_prefix(&root)
                .unwrap_or(file)
                .display()
                .to_string();
            let form = if form.starts_with("deploy/k8s") {
                "deploy/k8s".to_owned()
            } else if form.starts_with("deploy/systemd") {
                "deploy/systemd".to_owned()
            } else {
                form
            };
            split.entry(form.clone()).or_default().push(services);
            // The forms give the store and the key in the environment (a
            // Secret, an env file): the check gets a PostgreSQL URL the
            // same way. It opens nothing.
            let (code, out) = run_to_end({
                let mut c = creneau(&dir);
                c.env("CRENEAU_STORE", "postgres://creneau@postgres:5432/creneau")
                    .args(["config", "check", "--"])
                    .args(&line);
                c
            });
            assert_eq!(code, 0, "{form}: creneau {}: {out}", line.join(" "));
            assert!(out.starts_with("ok\n"), "{out}");
            checked += 1;
        }
    }
    assert!(
        checked >= 18,
        "only {checked} command lines found: {split:?}"
    );
    // Two API processes, a reminders pair and the statistics, in every
    // form that splits the services.
    let topology = vec![
        "identity,calendar,appointments,web",
        "identity,calendar,appointments,web",
        "reminders",
        "reminders",
        "stats",
    ];
    for form in ["deploy/compose.yaml", "scripts/cluster"] {
        assert_eq!(split[form], topology, "{form}");
    }
    let mut k8s = split["deploy/k8s"].clone();
    k8s.sort();
    assert_eq!(
        k8s,
        ["identity,calendar,appointments,web", "reminders", "stats"],
        "one Deployment each (replicas say how many)"
    );
    let _ = std::fs::remove_dir_all(dir);
}
