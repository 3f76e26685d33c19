//! Live comparison with plink2 on real genotypes: Debian's bolt-lmm-example EUR_subset
//! (1000 Genomes EUR, 379 samples × 54,051 variants, chr17–22) with its phenotype and
//! covariates. Needs `plink2` and `bolt-lmm-example` (scripts/install/scan.sh); skipped with
//! a message when they are absent, and failing when the environment variable CI is set.

use std::path::Path;
use std::process::Command;

use super::common::*;
use biomarker_assoc::scan::ScanConfig;

const EXAMPLES: &str = "/usr/share/doc/bolt-lmm/examples/examples.tar.xz";

fn available() -> bool {
    let plink2 = Command::new("plink2")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let data = Path::new(EXAMPLES).exists();
    if plink2 && data {
        return true;
    }
    let what = if plink2 {
        "bolt-lmm-example not installed"
    } else {
        "plink2 not installed"
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} (run scripts/install/scan.sh)"
    );
    eprintln!("skipped: {what} (run scripts/install/scan.sh)");
    false
}

#[test]
fn eur_subset_linear_matches_plink2() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = Command::new("tar")
        .arg("xf")
        .arg(EXAMPLES)
        .arg("-C")
        .arg(d)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cannot unpack {EXAMPLES}");
    // plink2 refuses a categorical covariate with missing values: drop those samples from
    // the covariate file (both tools then treat them as missing a covariate).
    let covars = std::fs::read_to_string(d.join("EUR_subset.pheno.covars")).unwrap();
    let clean: String = covars
        .lines()
        .filter(|l| !matches!(l.split_whitespace().nth(5), Some("NA" | "-9")))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(d.join("covars.clean"), clean).unwrap();
    let status = Command::new("plink2")
        .current_dir(d)
        .args([
            "--bfile",
            "EUR_subset",
            "--remove",
            "EUR_subset.remove",
            "--pheno",
            "EUR_subset.pheno.covars",
        ])
        .args([
            "--pheno-name",
            "PHENO",
            "--covar",
            "covars.clean",
            "--covar-name",
            "QCOV1,QCOV2,CAT_COV",
        ])
        .args(["--glm", "hide-covar", "cols=+a1freq", "--out", "plink2"])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "plink2 failed: {}",
        String::from_utf8_lossy(&status.stdout)
    );

    let out = d.join("ours");
    let mut cfg = ScanConfig::new(
        d.join("EUR_subset"),
        d.join("EUR_subset.pheno.covars"),
        out.clone(),
    );
    cfg.pheno_names = vec!["PHENO".into()];
    cfg.covar = Some(d.join("covars.clean"));
    cfg.covar_names = vec!["QCOV1".into(), "QCOV2".into(), "CAT_COV".into()];
    cfg.remove = Some(d.join("EUR_subset.remove"));
    let report = run(&cfg).unwrap();
    assert_eq!(report.variants_tested, 54_051);
    let theirs = d.join("plink2.PHENO.glm.linear");
    let worst = compare_glm(
        &out.join("PHENO.glm.linear"),
        &theirs,
        &["A1", "OBS_CT", "ERRCODE"],
        &["A1_FREQ", "BETA", "SE", "T_STAT"],
        1.0,
    );
    let lp = compare_log10p(&out, "PHENO", &theirs, 1e-4);
    eprintln!("EUR_subset: 54,051 variants, worst units {worst:?}, worst |Δ log10 p| {lp:.2e}");
}
