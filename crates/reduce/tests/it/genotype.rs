//! Genotype PCs against plink2 `--pca` on structured cohorts written by [`crate::cohort`]:
//! stored plink2 output (scripts/make-genotype-pca-fixtures.sh) and, where plink2 is
//! installed, a live run on a second cohort. Top 5 PCs must correlate |r| ≥ 0.99 with
//! plink2's and eigenvalues agree within 1%.

use std::path::Path;
use std::process::Command;

use biomarker_reduce::{genotype_pcs, GenotypePcaOptions, GenotypePcs, LdPruneOptions};
use biomarker_tables::plink::{fileset_paths, Fileset};
use biomarker_tables::FileDigest;

use crate::cohort::Cohort;
use crate::fixture;

/// plink2's .eigenvec (IID → PCs) and .eigenval.
fn read_plink2(prefix: &Path) -> (Vec<String>, Vec<Vec<f64>>, Vec<f64>) {
    let text = std::fs::read_to_string(prefix.with_extension("eigenvec")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    let first_pc = header.iter().position(|h| *h == "PC1").unwrap();
    let iid_col = header.iter().position(|h| *h == "IID").unwrap();
    let mut iids = Vec::new();
    let mut pcs = vec![Vec::new(); header.len() - first_pc];
    for line in lines {
        let f: Vec<&str> = line.split_whitespace().collect();
        iids.push(f[iid_col].to_owned());
        for (j, pc) in pcs.iter_mut().enumerate() {
            pc.push(f[first_pc + j].parse().unwrap());
        }
    }
    let eigenval = std::fs::read_to_string(prefix.with_extension("eigenval"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    (iids, pcs, eigenval)
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Asserts agreement of the top 5 PCs and returns (min |r|, max relative eigenvalue error).
fn assert_agrees(ours: &GenotypePcs, plink: &(Vec<String>, Vec<Vec<f64>>, Vec<f64>)) -> (f64, f64) {
    let (iids, pcs, eigenval) = plink;
    let our_iids: Vec<&str> = ours.samples.iter().map(|s| s.iid.as_str()).collect();
    assert_eq!(
        our_iids,
        iids.iter().map(String::as_str).collect::<Vec<_>>(),
        "sample order"
    );
    let (mut min_r, mut max_ev) = (1.0f64, 0.0f64);
    for j in 0..5 {
        let r = correlation(&ours.pcs[j], &pcs[j]).abs();
        let ev = (ours.eigenvalues[j] - eigenval[j]).abs() / eigenval[j];
        min_r = min_r.min(r);
        max_ev = max_ev.max(ev);
        assert!(r >= 0.99, "PC{}: |r| = {r} with plink2", j + 1);
        assert!(
            ev <= 0.01,
            "PC{}: eigenvalue {} vs plink2 {}",
            j + 1,
            ours.eigenvalues[j],
            eigenval[j]
        );
    }
    (min_r, max_ev)
}

fn options(k: usize) -> GenotypePcaOptions {
    GenotypePcaOptions {
        k,
        block: 300,
        ..GenotypePcaOptions::default()
    }
}

#[test]
fn matches_stored_plink2_pca_with_missing_calls() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("cohort");
    Cohort::structured(600, 4000, 0.01, 7).write(&prefix);
    let want = std::fs::read_to_string(fixture("genotype/cohort.bed.sha256")).unwrap();
    let [bed, _, _] = fileset_paths(&prefix);
    assert_eq!(
        FileDigest::of(&bed).unwrap().sha256,
        want.trim(),
        "the cohort generator changed: rerun scripts/make-genotype-pca-fixtures.sh"
    );
    let fileset = Fileset::open(&prefix).unwrap();
    let ours = genotype_pcs(&fileset, &options(5), &mut |_, _| {}).unwrap();
    assert!(ours.converged, "passes {}", ours.passes);
    assert_eq!(ours.variants_used.len(), 4000);
    let (r, ev) = assert_agrees(&ours, &read_plink2(&fixture("genotype/plink2")));
    eprintln!(
        "stored plink2 fixture: min |r| {r:.8}, max rel. eigenvalue diff {ev:.2e}, {} passes",
        ours.passes
    );
    // Unit-length PCs, largest entry positive.
    for pc in &ours.pcs {
        assert!((pc.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-10);
        let top = pc
            .iter()
            .copied()
            .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        assert!(top > 0.0);
    }
}

#[test]
fn matches_plink2_live_without_missing_calls() {
    if Command::new("plink2").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "plink2 is not installed (scripts/install/pca.sh installs it)"
        );
        eprintln!("skipped: plink2 not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("cohort");
    Cohort::structured(400, 3000, 0.0, 11).write(&prefix);
    let out = dir.path().join("plink2");
    let status = Command::new("plink2")
        .args([
            "--bfile",
            prefix.to_str().unwrap(),
            "--pca",
            "6",
            "--threads",
            "1",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "plink2 failed: {}",
        String::from_utf8_lossy(&status.stdout)
    );
    let fileset = Fileset::open(&prefix).unwrap();
    let ours = genotype_pcs(&fileset, &options(6), &mut |_, _| {}).unwrap();
    let (r, ev) = assert_agrees(&ours, &read_plink2(&out));
    eprintln!(
        "live plink2: min |r| {r:.8}, max rel. eigenvalue diff {ev:.2e}, {} passes",
        ours.passes
    );
}

#[test]
fn block_size_and_seed_do_not_change_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("cohort");
    Cohort::structured(300, 1500, 0.02, 3).write(&prefix);
    let fileset = Fileset::open(&prefix).unwrap();
    let a = genotype_pcs(
        &fileset,
        &GenotypePcaOptions {
            k: 4,
            block: 64,
            seed: 1,
            ..GenotypePcaOptions::default()
        },
        &mut |_, _| {},
    )
    .unwrap();
    let b = genotype_pcs(
        &fileset,
        &GenotypePcaOptions {
            k: 4,
            block: 1000,
            seed: 99,
            ..GenotypePcaOptions::default()
        },
        &mut |_, _| {},
    )
    .unwrap();
    for j in 0..4 {
        assert!((a.eigenvalues[j] - b.eigenvalues[j]).abs() < 1e-6 * a.eigenvalues[j]);
        let max_diff = a.pcs[j]
            .iter()
            .zip(&b.pcs[j])
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(max_diff < 1e-3, "PC{}: entries differ by {max_diff}", j + 1);
    }
}

#[test]
fn ld_pruning_drops_duplicated_variants_and_keeps_the_pcs() {
    use biomarker_tables::plink::{read_bim, write_bim, BedWriter, FamRecord};
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    Cohort::structured(300, 800, 0.0, 5).write(&base);
    let fileset = Fileset::open(&base).unwrap();
    // Every variant twice in a row: perfect LD between neighbours.
    let doubled = dir.path().join("doubled");
    let [bed, bim, fam] = fileset_paths(&doubled);
    let mut writer = BedWriter::create(&bed, 300).unwrap();
    let mut calls = vec![0i8; 300];
    let mut rows = Vec::new();
    for (j, v) in read_bim(&fileset_paths(&base)[1])
        .unwrap()
        .into_iter()
        .enumerate()
    {
        fileset.bed.read_alt_counts(j, &mut calls).unwrap();
        writer.write_variant(&calls).unwrap();
        writer.write_variant(&calls).unwrap();
        rows.push(v.clone());
        rows.push(biomarker_tables::plink::BimRecord {
            id: format!("{}_dup", v.id),
            ..v
        });
    }
    writer.finish().unwrap();
    write_bim(&bim, &rows).unwrap();
    std::fs::copy(fileset_paths(&base)[2].clone(), &fam).unwrap();
    let _: &[FamRecord] = &fileset.samples;
    let doubled_set = Fileset::open(&doubled).unwrap();
    let prune = LdPruneOptions {
        window: 10,
        r2: 0.9,
    };
    let pruned = genotype_pcs(
        &doubled_set,
        &GenotypePcaOptions {
            k: 3,
            prune: Some(prune),
            ..options(3)
        },
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(pruned.variants_used.len(), 800);
    assert!(
        pruned.variants_used.iter().all(|j| j % 2 == 0),
        "the first of each pair is kept"
    );
    let plain = genotype_pcs(&fileset, &options(3), &mut |_, _| {}).unwrap();
    for j in 0..3 {
        assert!((pruned.eigenvalues[j] - plain.eigenvalues[j]).abs() < 1e-8 * plain.eigenvalues[j]);
        assert!(correlation(&pruned.pcs[j], &plain.pcs[j]) > 0.999999);
    }
    let bad = LdPruneOptions { window: 1, r2: 0.5 };
    let err = genotype_pcs(
        &doubled_set,
        &GenotypePcaOptions {
            prune: Some(bad),
            ..options(3)
        },
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("expected a window of at least 2 variants"),
        "{err}"
    );
}

#[test]
fn too_many_pcs_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("c");
    Cohort::structured(30, 200, 0.0, 1).write(&prefix);
    let fileset = Fileset::open(&prefix).unwrap();
    let err = genotype_pcs(&fileset, &options(30), &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "genotype PCA: cannot extract 30 PCs from 30 samples (1 ≤ K < samples)"
    );
}
