//! The Snakemake workflow (scripts/workflow) run locally on a simulated cohort: plan, one
//! scan per chunk, merge; the merged result must be the unsplit scan's. Needs snakemake in
//! scripts/.venv (scripts/install/workflow.sh).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::scale::{assert_same_scan, scan, simulate};

const PHENOS: &str = "ad_vs_cn,null_trait,vol_left_hippocampus";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// scripts/.venv/bin/snakemake, or None (after saying so) when it is not installed; fails
/// when CI is set, where scripts/install/workflow.sh must have installed it.
fn snakemake() -> Option<PathBuf> {
    let path = repo_root().join("scripts/.venv/bin/snakemake");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "snakemake not installed at {} (run scripts/install/workflow.sh)",
        path.display()
    );
    println!("skipped: snakemake not installed");
    None
}

#[test]
fn the_snakemake_workflow_merges_to_the_unsplit_scan() {
    let Some(snakemake) = snakemake() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cohort = simulate(dir.path(), "150", "1200");
    let whole = dir.path().join("whole");
    scan(&cohort, &whole, &[]);

    // Relative paths, as a user's config has them: they resolve against --directory.
    let config = dir.path().join("config.yaml");
    let binary = env!("CARGO_BIN_EXE_biomarker-gwas");
    std::fs::write(
        &config,
        format!(
            "binary: {binary:?}\nbfile: sim/cohort\npheno: sim/phenotypes.tsv\n\
             covar: sim/covariates.tsv\nn_chunks: 3\nout: results/scan\n\
             scan_args: [\"--pheno-name\", \"{PHENOS}\"]\n"
        ),
    )
    .unwrap();
    let out = Command::new(&snakemake)
        .arg("--snakefile")
        .arg(repo_root().join("scripts/workflow/Snakefile"))
        .arg("--directory")
        .arg(dir.path())
        .arg("--configfile")
        .arg(&config)
        .args(["--cores", "2", "--quiet", "all"])
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .output()
        .expect("snakemake runs");
    assert!(
        out.status.success(),
        "snakemake failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let results = dir.path().join("results/scan");
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("plan.json")).unwrap()).unwrap();
    assert_eq!(plan["chunks"].as_array().unwrap().len(), 3);
    for k in 1..=3 {
        // Every chunk took the plan's digests: the .bed was hashed once, by `chunks`.
        let m: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(results.join(format!("chunks/{k}-of-3/manifest.json")))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(m["summary"]["input_digests"]["bed"], "plan", "chunk {k}");
    }
    assert_same_scan(&whole, &results.join("merged"), 1200);
}
