//! The HTML report opened in headless Chromium (Debian's `chromium`): the page's own check
//! script must find every section and figure laid out with a size, and the console must show
//! no script error.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::peer_tool;
use crate::study::full_report;

/// Runs a command with a wall-clock limit, returning (stdout, stderr).
fn run_with_timeout(cmd: &mut Command, limit: Duration) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = std::fs::read_to_string(&out_path).unwrap();
            let err = std::fs::read_to_string(&err_path).unwrap();
            assert!(status.success(), "chromium failed ({status}): {err}");
            return (out, err);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn report_renders_every_section_in_headless_chromium() {
    let Some(chromium) = peer_tool("chromium") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let outputs = full_report(dir.path(), &out, true);
    let profile = dir.path().join("chromium-profile");
    let page = format!("file://{}", out.join("report.html").display());
    let (dom, log) = run_with_timeout(
        Command::new(chromium).args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--enable-logging=stderr",
            "--v=0",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &page,
        ]),
        Duration::from_secs(120),
    );
    let check = dom
        .split("data-render-check=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("no render check in the DOM");
    assert_eq!(
        check,
        format!("ok {} sections, 11 figures", outputs.sections.len())
    );
    for id in &outputs.sections {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "section {id} missing from the DOM"
        );
    }
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(
        console_errors.is_empty(),
        "console errors: {console_errors:?}"
    );
}
