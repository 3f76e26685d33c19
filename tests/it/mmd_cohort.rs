//! `simulate` → `train` → `encode` → `mmd` on a small simulated cohort: the deep features
//! of the hippocampi, which shrink and change shape in AD, separate AD from CN, while the
//! hippocampi with the diagnosis labels shuffled are not detected at the same level.
//! (Structures with small AD effects are no negative control here: AD subjects are older,
//! and every volume shrinks with age, so several of them differ genuinely.)

use std::collections::HashMap;
use std::path::Path;

use crate::bgwas_ok;

/// Subjects whose images train the encoder: few, so the test stays fast; every subject of
/// the cohort is then encoded and tested.
const TRAIN_SUBJECTS: usize = 40;

/// `(structure, estimator, null_method)` → p-value from an `mmd` output folder.
fn p_values(out: &Path) -> HashMap<(String, String, String), f64> {
    let text = std::fs::read_to_string(out.join("mmd.tsv")).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (s, e, m, p) = (
        col("structure"),
        col("estimator"),
        col("null_method"),
        col("p_value"),
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let key = (f[s].to_string(), f[e].to_string(), f[m].to_string());
            (key, f[p].parse().unwrap())
        })
        .collect()
}

/// The permutation p-value of the unbiased MMD² for `structure`.
fn p_of(p: &HashMap<(String, String, String), f64>, structure: &str) -> f64 {
    p[&(
        structure.to_string(),
        "unbiased".to_string(),
        "permutation".to_string(),
    )]
}

fn mmd(features: &Path, pheno: &Path, out: &Path) -> HashMap<(String, String, String), f64> {
    bgwas_ok(&[
        "-q",
        "mmd",
        "--features",
        features.to_str().unwrap(),
        "--pheno",
        pheno.to_str().unwrap(),
        "--group-column",
        "diagnosis",
        "--pairs",
        "AD:CN",
        "--tests",
        "unbiased",
        "--permutations",
        "999",
        "--out",
        out.to_str().unwrap(),
    ]);
    p_values(out)
}

#[test]
fn deep_features_detect_ad_in_the_hippocampi_of_the_simulated_cohort() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sim = d.join("sim");
    bgwas_ok(&[
        "-q",
        "simulate",
        "--samples",
        "200",
        "--variants",
        "100",
        "--size",
        "32",
        "--seed",
        "3",
        "--out",
        sim.to_str().unwrap(),
    ]);
    let images = std::fs::read_to_string(sim.join("images.tsv")).unwrap();
    let subset: Vec<&str> = images.lines().take(1 + TRAIN_SUBJECTS).collect();
    std::fs::write(sim.join("train_images.tsv"), subset.join("\n") + "\n").unwrap();

    let model = d.join("train");
    bgwas_ok(&[
        "-q",
        "train",
        "--images",
        sim.join("train_images.tsv").to_str().unwrap(),
        "--labels",
        sim.join("labels.tsv").to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--epochs",
        "1",
        "--size",
        "16",
        "--feature-maps",
        "4,8",
        "--bottleneck",
        "4",
        "--head-hidden",
        "4",
        "--batch-size",
        "16",
        "--val-fraction",
        "0.1",
        "--test-fraction",
        "0.1",
    ]);
    let features = d.join("features.tsv");
    bgwas_ok(&[
        "-q",
        "encode",
        "--model",
        model.to_str().unwrap(),
        "--sim-dir",
        sim.to_str().unwrap(),
        "--size",
        "16",
        "--out",
        features.to_str().unwrap(),
    ]);

    let pheno = sim.join("phenotypes.tsv");
    let p = mmd(&features, &pheno, &d.join("mmd"));
    for s in ["left_hippocampus", "right_hippocampus"] {
        eprintln!("{s}: p = {}", p_of(&p, s));
        assert!(p_of(&p, s) < 0.01, "{s}: p = {}", p_of(&p, s));
    }

    // Negative control: the same features with the diagnosis labels shuffled (a seeded
    // Fisher–Yates shuffle), so group and features are independent.
    let text = std::fs::read_to_string(&pheno).unwrap();
    let mut rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    let mut labels: Vec<&str> = rows.iter().map(|r| r[2]).collect();
    let mut state = 7u64;
    for i in (1..labels.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        labels.swap(i, (state >> 33) as usize % (i + 1));
    }
    let mut shuffled = String::from("#FID\tIID\tdiagnosis\n");
    for (r, l) in rows.iter_mut().zip(&labels) {
        shuffled.push_str(&format!("{}\t{}\t{l}\n", r[0], r[1]));
    }
    let shuffled_path = d.join("shuffled.tsv");
    std::fs::write(&shuffled_path, shuffled).unwrap();
    let p = mmd(&features, &shuffled_path, &d.join("mmd_shuffled"));
    for s in ["left_hippocampus", "right_hippocampus"] {
        eprintln!("{s} (labels shuffled): p = {}", p_of(&p, s));
        assert!(
            p_of(&p, s) >= 0.01,
            "{s} (labels shuffled): p = {}",
            p_of(&p, s)
        );
    }
}
