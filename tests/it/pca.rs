//! End-to-end runs of `biomarker-gwas pca`: fit and apply on the deep-feature fixture, genotype
//! PCs on a small PLINK fileset, and usage errors.

use std::path::{Path, PathBuf};
use std::process::Command;

use biomarker_tables::plink::{
    fileset_paths, write_bim, write_fam, BedWriter, BimRecord, FamRecord,
};
use biomarker_tables::{FeatureTable, PhenoTable, PhenoValues, RunManifest, TableKind};

use crate::bin;

fn features_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../reduce/tests/fixtures/features/features.tsv")
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fit_then_apply_gives_the_same_pcs() {
    let dir = tempfile::tempdir().unwrap();
    let fit = dir.path().join("fit");
    run_ok(
        bin()
            .args(["-q", "pca", "--components", "2", "--scale"])
            .arg("--features")
            .arg(features_fixture())
            .arg("--out")
            .arg(&fit),
    );
    let apply = dir.path().join("apply");
    run_ok(
        bin()
            .args(["-q", "pca"])
            .arg("--features")
            .arg(features_fixture())
            .arg("--loadings")
            .arg(fit.join("pca-loadings.json"))
            .arg("--out")
            .arg(&apply),
    );
    let a = FeatureTable::read(&fit.join("feature-pcs.tsv")).unwrap();
    let b = FeatureTable::read(&apply.join("feature-pcs.tsv")).unwrap();
    assert_eq!(a.feature_names, vec!["PC1", "PC2"]);
    assert_eq!(a.values, b.values);
    let manifest = RunManifest::read(&apply.join("pca.manifest.json")).unwrap();
    assert_eq!(manifest.summary["features"]["mode"], "apply");
    assert_eq!(manifest.inputs.len(), 2);
}

/// 60 samples in two groups whose allele frequencies differ at every variant.
fn two_group_fileset(prefix: &Path) {
    let n = 60;
    let [bed, bim, fam] = fileset_paths(prefix);
    let fams: Vec<FamRecord> = (0..n)
        .map(|i| FamRecord {
            fid: "f".into(),
            iid: format!("i{i}"),
            father: "0".into(),
            mother: "0".into(),
            sex: 0,
            phenotype: None,
        })
        .collect();
    write_fam(&fam, &fams).unwrap();
    let mut writer = BedWriter::create(&bed, n).unwrap();
    let mut bims = Vec::new();
    for j in 0..200usize {
        // Deterministic pseudo-random calls: group 0 mostly REF, group 1 mostly ALT.
        let calls: Vec<i8> = (0..n)
            .map(|i| {
                let h = (i * 7919 + j * 104_729) % 97;
                let group_shift = if i < n / 2 { 20 } else { 60 };
                i8::from(h < group_shift) + i8::from((h * 31 + 11) % 97 < group_shift)
            })
            .collect();
        writer.write_variant(&calls).unwrap();
        bims.push(BimRecord {
            chrom: "1".into(),
            id: format!("v{j}"),
            cm: 0.0,
            pos: j as i64 + 1,
            alt: "A".into(),
            reference: "C".into(),
        });
    }
    writer.finish().unwrap();
    write_bim(&bim, &bims).unwrap();
}

#[test]
fn genotype_pcs_make_a_covariate_table() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("g");
    two_group_fileset(&prefix);
    let out = dir.path().join("out");
    run_ok(
        bin()
            .args(["-q", "pca", "--genotype-pcs", "2", "--ld-r2", "0.8"])
            .arg("--bfile")
            .arg(&prefix)
            .arg("--out")
            .arg(&out),
    );
    let covar = PhenoTable::read(&out.join("genotype-pcs.tsv")).unwrap();
    assert_eq!(
        covar
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        vec!["PC1", "PC2"]
    );
    let PhenoValues::Numeric(pc1) = &covar.columns[0].values else {
        panic!("PC1 is numeric")
    };
    // PC1 separates the two groups.
    let mean = |r: std::ops::Range<usize>| {
        r.clone().map(|i| pc1[i].unwrap()).sum::<f64>() / r.len() as f64
    };
    let (a, b) = (mean(0..30), mean(30..60));
    assert!(
        a.signum() != b.signum() && (a - b).abs() > 0.1,
        "group means {a} {b}"
    );
    let eigenval = std::fs::read_to_string(out.join("genotype-pcs.eigenval")).unwrap();
    assert_eq!(eigenval.lines().count(), 2);
    assert!(out.join("genotype-pcs.prune.in").exists());
}

#[test]
fn usage_errors_exit_2_and_input_errors_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["pca", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bin()
        .args(["pca", "--bfile", "x", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .args(["pca", "--bfile"])
        .arg(dir.path().join("absent"))
        .args(["--genotype-pcs", "2", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("absent.fam"), "{stderr}");
}
