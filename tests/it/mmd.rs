//! `biomarker-gwas mmd` end to end: a small cohort in, MmdTable (TSV + Parquet) and manifest
//! out; bad input gives a clear error and leaves no output table.

use std::path::Path;

use biomarker_tables::{MmdTable, TableKind};

use crate::bin;

/// 36 subjects, AD / MCI / CN, two structures; AD's hippocampus is shifted.
fn cohort(dir: &Path) {
    let mut features = String::from("IID\tstructure\tz_0\tz_1\n");
    let mut pheno = String::from("#FID IID DX\n");
    for i in 0..36 {
        let dx = ["AD", "MCI", "CN"][i % 3];
        pheno.push_str(&format!("f s{i} {dx}\n"));
        // A deterministic spread of values: no random generator needed.
        let (u, v) = (((i * 7) % 11) as f64 / 11.0, ((i * 5) % 13) as f64 / 13.0);
        let shift = if dx == "AD" { 1.5 } else { 0.0 };
        features.push_str(&format!("s{i}\thippocampus\t{}\t{v}\n", u + shift));
        features.push_str(&format!("s{i}\tcaudate\t{v}\t{u}\n"));
    }
    std::fs::write(dir.join("features.tsv"), features).unwrap();
    std::fs::write(dir.join("pheno.txt"), pheno).unwrap();
}

#[test]
fn writes_tsv_parquet_and_manifest() {
    let dir = tempfile::tempdir().unwrap();
    cohort(dir.path());
    let out = dir.path().join("out");
    let status = bin()
        .args(["-q", "mmd", "--features"])
        .arg(dir.path().join("features.tsv"))
        .arg("--pheno")
        .arg(dir.path().join("pheno.txt"))
        .args([
            "--group-column",
            "DX",
            "--pairs",
            "AD:CN,MCI:CN",
            "--permutations",
            "199",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let tsv = MmdTable::read(&out.join("mmd.tsv")).unwrap();
    let parquet = MmdTable::read(&out.join("mmd.parquet")).unwrap();
    assert_eq!(tsv.records, parquet.records);
    // 2 structures × 2 pairs × (unbiased, biased, gamma, linear, dfda, hotelling, energy).
    assert_eq!(tsv.records.len(), 2 * 2 * 7);
    let hit = tsv
        .records
        .iter()
        .find(|r| r.structure == "hippocampus" && r.group_a == "AD" && r.estimator == "unbiased")
        .unwrap();
    assert!(hit.p_value < 0.01 && hit.p_fwer.unwrap() < 0.01, "{hit:?}");
    let manifest = std::fs::read_to_string(out.join("mmd.manifest.json")).unwrap();
    assert!(manifest.contains("\"subcommand\": \"mmd\""));
}

#[test]
fn bad_input_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    cohort(dir.path());
    let out = dir.path().join("out");
    let run = |args: &[&str]| {
        let o = bin()
            .args(["mmd", "--features"])
            .arg(dir.path().join("features.tsv"))
            .arg("--pheno")
            .arg(dir.path().join("pheno.txt"))
            .args(args)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["--group-column", "DX", "--pairs", "AD:XX"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("no group \"XX\"; the groups are [\"AD\", \"CN\", \"MCI\"]"),
        "{err}"
    );
    let (code, err) = run(&["--group-column", "DIAG"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no column \"DIAG\"; the file has DX"), "{err}");
    let (code, err) = run(&["--group-column", "DX", "--tests", "unbiased,quadratic"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("unknown test \"quadratic\""), "{err}");
    assert!(!out.join("mmd.tsv").exists());
    // A malformed feature table: the error names the file and line.
    std::fs::write(
        dir.path().join("features.tsv"),
        "IID\tstructure\tz_0\ns0\thippocampus\tabc\n",
    )
    .unwrap();
    let (code, err) = run(&["--group-column", "DX"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("features.tsv") && err.contains("line 2"),
        "{err}"
    );
}
