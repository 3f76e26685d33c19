//! Exit codes and messages: 0 ok, 1 failure with a readable error chain, 2 usage errors.

use crate::bgwas;

#[test]
fn usage_errors_exit_2_and_help_explains_options() {
    let out = bgwas(&["simulate", "--samples", "5", "--out", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("5 is not in 20.."));
    let out = bgwas(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let help = crate::bgwas_ok(&["simulate", "--help"]);
    for option in [
        "--out",
        "--samples",
        "--variants",
        "--seed",
        "--size",
        "--causal",
        "--missing-rate",
    ] {
        assert!(help.contains(option), "help lacks {option}");
    }
    assert!(
        help.contains("5.625 mm voxels"),
        "help does not explain --size"
    );
}

#[test]
fn failures_exit_1_with_the_cause_named() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let out = bgwas(&[
        "simulate",
        "--out",
        crate::s(&blocker.join("sub")),
        "--samples",
        "20",
        "--variants",
        "100",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error: simulating into"), "{err}");
    assert!(
        err.contains("caused by:") && err.contains("Not a directory"),
        "{err}"
    );
    let out = bgwas(&[
        "simulate",
        "--out",
        crate::s(&dir.path().join("x")),
        "--missing-rate",
        "0.7",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing rate 0.7: expected 0 ≤ rate < 0.5")
    );
}
