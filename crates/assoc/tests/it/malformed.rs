//! Malformed inputs: each gives a clear error naming the file (and line and value where
//! there is one), and no output is left behind.

use std::path::{Path, PathBuf};

use super::common::*;

/// Copies the simulated fixture into `dir` so that a test can break one file.
fn copy_fixture(dir: &Path) -> PathBuf {
    for ext in ["bed", "bim", "fam", "pheno", "covar"] {
        std::fs::copy(
            sim_dir().join(format!("sim.{ext}")),
            dir.join(format!("sim.{ext}")),
        )
        .unwrap();
    }
    dir.join("sim")
}

fn scan_err(dir: &Path, edit: impl FnOnce(&Path)) -> String {
    let prefix = copy_fixture(dir);
    edit(dir);
    let out = dir.join("out");
    let mut cfg = sim_config(&out);
    cfg.bfile = prefix;
    cfg.pheno = dir.join("sim.pheno");
    cfg.covar = Some(dir.join("sim.covar"));
    let err = run(&cfg)
        .expect_err("malformed input must fail")
        .to_string();
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "output left behind: {left:?}");
    err
}

#[test]
fn truncated_bed() {
    let dir = tempfile::tempdir().unwrap();
    let err = scan_err(dir.path(), |d| {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(d.join("sim.bed"))
            .unwrap();
        f.set_len(24003 - 50).unwrap();
    });
    assert!(
        err.contains("sim.bed") && err.contains("truncated"),
        "{err}"
    );
}

#[test]
fn wrong_magic_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let err = scan_err(dir.path(), |d| {
        let mut b = std::fs::read(d.join("sim.bed")).unwrap();
        b[2] = 0x00; // sample-major PLINK 1 files are not supported
        std::fs::write(d.join("sim.bed"), b).unwrap();
    });
    assert!(
        err.contains("sim.bed") && err.contains("magic bytes"),
        "{err}"
    );
}

#[test]
fn bim_rows_disagree_with_bed_size() {
    let dir = tempfile::tempdir().unwrap();
    let err = scan_err(dir.path(), |d| {
        let bim = std::fs::read_to_string(d.join("sim.bim")).unwrap();
        let fewer: String = bim.lines().skip(1).map(|l| format!("{l}\n")).collect();
        std::fs::write(d.join("sim.bim"), fewer).unwrap();
    });
    assert!(
        err.contains("sim.bed") && err.contains("239 variants"),
        "{err}"
    );
}

#[test]
fn fam_rows_disagree_with_bed_size() {
    let dir = tempfile::tempdir().unwrap();
    let err = scan_err(dir.path(), |d| {
        let fam = std::fs::read_to_string(d.join("sim.fam")).unwrap();
        let more = format!("{fam}extra extra 0 0 1 -9\nextra2 extra2 0 0 1 -9\nextra3 extra3 0 0 1 -9\nextra4 extra4 0 0 1 -9\n");
        std::fs::write(d.join("sim.fam"), more).unwrap();
    });
    assert!(
        err.contains("sim.bed") && err.contains("404 samples"),
        "{err}"
    );
}

#[test]
fn non_numeric_phenotype() {
    let dir = tempfile::tempdir().unwrap();
    let err = scan_err(dir.path(), |d| {
        let p = std::fs::read_to_string(d.join("sim.pheno")).unwrap();
        let mut lines: Vec<String> = p.lines().map(str::to_owned).collect();
        let f: Vec<&str> = lines[5].split('\t').collect();
        lines[5] = format!("{}\t{}\thigh\t{}", f[0], f[1], f[3..].join("\t"));
        std::fs::write(d.join("sim.pheno"), lines.join("\n") + "\n").unwrap();
    });
    assert!(
        err.contains("sim.pheno")
            && err.contains("line 6")
            && err.contains("\"q1\"")
            && err.contains("\"high\""),
        "{err}"
    );
}

#[test]
fn ids_match_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let err = scan_err(dir.path(), |d| {
        let p = std::fs::read_to_string(d.join("sim.pheno")).unwrap();
        std::fs::write(d.join("sim.pheno"), p.replace("\ts", "\tX")).unwrap();
    });
    assert!(
        err.contains("sim.pheno") && err.contains("no IID matches"),
        "{err}"
    );
}

#[test]
fn unknown_phenotype_column() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = copy_fixture(dir.path());
    let mut cfg = sim_config(&dir.path().join("out"));
    cfg.bfile = prefix;
    cfg.pheno_names = vec!["volume".into()];
    let err = run(&cfg).unwrap_err().to_string();
    assert!(
        err.contains("no column \"volume\"") && err.contains("q1, q2, q3, b1"),
        "{err}"
    );
}
