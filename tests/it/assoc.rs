//! `assoc` on a simulated cohort: hippocampal volume is associated with Alzheimer's disease
//! and with age (the simulator's truth), a null trait is not, and the deep-vs-volume
//! comparison is written; bad options fail with the cause named.

use std::path::Path;

use biomarker_tables::{AssocTable, ComparisonTable, PhenoTable, RunManifest, TableKind};

use crate::{bgwas, bgwas_ok, s};

fn simulate(out: &Path) {
    // 32 voxels per edge: at 16 the hippocampus is a handful of voxels and its volume is too
    // coarse to carry the planted effects.
    bgwas_ok(&[
        "-q",
        "simulate",
        "--out",
        s(out),
        "--samples",
        "300",
        "--variants",
        "200",
        "--size",
        "32",
    ]);
}

/// A FeatureTable whose `PC1` is the simulator's latent log-volume of each hippocampus: a
/// stand-in for a deep feature that sees more than the voxel count.
fn write_features(cohort: &Path, path: &Path) {
    let truth = PhenoTable::read(&cohort.join("truth_subjects.tsv")).unwrap();
    let mut text = String::from("IID\tstructure\tPC1\n");
    for st in ["left_hippocampus", "right_hippocampus"] {
        let col = truth.column(&format!("lv_{st}")).unwrap();
        let biomarker_tables::PhenoValues::Numeric(v) = &col.values else {
            panic!("numeric")
        };
        for (sample, x) in truth.samples.iter().zip(v) {
            text.push_str(&format!("{}\t{st}\t{}\n", sample.iid, x.unwrap()));
        }
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn assoc_finds_the_simulated_truth() {
    let dir = tempfile::tempdir().unwrap();
    let cohort = dir.path().join("cohort");
    simulate(&cohort);
    let pheno = cohort.join("phenotypes.tsv");
    let covar = cohort.join("covariates.tsv");

    // Logistic: AD vs CN on hippocampal volume (and a null trait), adjusted for age and sex.
    let out = dir.path().join("ad");
    let stdout = bgwas_ok(&[
        "-q",
        "assoc",
        "--pheno",
        s(&pheno),
        "--covar",
        s(&covar),
        "--model",
        "logistic",
        "--outcome",
        "ad_vs_cn",
        "--predictor",
        "vol_*hippocampus,null_trait",
        "--cv-folds",
        "5",
        "--seed",
        "3",
        "--out",
        s(&out),
    ]);
    assert!(
        stdout.contains("ad_vs_cn ~ vol_left_hippocampus"),
        "{stdout}"
    );
    let t = AssocTable::read(&out.join("assoc.parquet")).unwrap();
    assert_eq!(t, AssocTable::read(&out.join("assoc.tsv")).unwrap());
    assert_eq!(t.records.len(), 3);
    for r in &t.records {
        assert_eq!(r.analysis, "logistic");
        assert_eq!(r.covariates, "age,sex");
        assert_eq!(r.n, 232, "AD + CN subjects, MCI missing");
        let (lo, hi) = (r.ci_low.unwrap(), r.ci_high.unwrap());
        assert!(lo < r.beta && r.beta < hi);
        assert!((r.odds_ratio.unwrap() - r.beta.exp()).abs() < 1e-12);
        assert!((r.aic.unwrap() - r.deviance.unwrap() - 8.0).abs() < 1e-9);
        assert!(r.auc_cv.unwrap() <= r.auc.unwrap() + 0.02);
        if r.predictor.contains("hippocampus") {
            assert!(r.beta < 0.0 && r.p < 1e-3, "{r:?}");
            assert_eq!(r.structure.as_deref(), Some(&r.predictor[4..]));
        } else {
            assert!(r.p > 0.01, "null trait {r:?}");
        }
    }
    let m = RunManifest::read(&out.join("assoc.manifest.json")).unwrap();
    assert_eq!(m.subcommand, "assoc");
    assert_eq!(m.seeds["cv_folds"], 3);
    assert_eq!(m.summary["samples"], 300);
    assert!(m.summary["alignments"][0]
        .as_str()
        .unwrap()
        .contains("300 samples in common"));

    // OLS: hippocampal volume on age, adjusted for sex; then the comparison with a deep feature.
    let features = dir.path().join("features.tsv");
    write_features(&cohort, &features);
    let out = dir.path().join("age");
    bgwas_ok(&[
        "-q",
        "assoc",
        "--pheno",
        s(&pheno),
        "--covar",
        s(&covar),
        "--covar-name",
        "sex",
        "--features",
        s(&features),
        "--outcome",
        "vol_*hippocampus",
        "--predictor",
        "age",
        "--out",
        s(&out),
    ]);
    let t = AssocTable::read(&out.join("assoc.tsv")).unwrap();
    assert_eq!(t.records.len(), 2);
    for r in &t.records {
        assert_eq!(
            (r.analysis.as_str(), r.n, r.covariates.as_str()),
            ("ols", 300, "sex")
        );
        assert!(r.beta < 0.0 && r.p < 1e-6, "{r:?}");
        assert!(r.r2.unwrap() > r.adj_r2.unwrap() && r.f_p.unwrap() < 1e-6);
    }

    let out = dir.path().join("compare");
    bgwas_ok(&[
        "-q",
        "assoc",
        "--pheno",
        s(&pheno),
        "--covar",
        s(&covar),
        "--features",
        s(&features),
        "--model",
        "logistic",
        "--outcome",
        "ad_vs_cn",
        "--compare",
        "--out",
        s(&out),
    ]);
    let c = ComparisonTable::read(&out.join("comparison.parquet")).unwrap();
    assert_eq!(c.records.len(), 2);
    for r in &c.records {
        assert_eq!(r.volume, format!("vol_{}", r.structure));
        assert_eq!(r.deep, format!("{}_PC1", r.structure));
        assert!(r.r2_volume.is_none() && r.auc_cv_both.is_some());
        // Both features carry the planted AD effect; the combined model is at least as good.
        assert!(r.auc_both.unwrap() >= r.auc_volume.unwrap().max(r.auc_deep.unwrap()) - 0.01);
        assert!(r.lr_deep_stat >= 0.0 && r.lr_volume_stat >= 0.0);
        let better = if r.aic_deep < r.aic_volume {
            "deep"
        } else {
            "volume"
        };
        assert_eq!(r.better, better);
        // The stand-in deep feature is the continuous latent volume, the volume column its
        // voxel count: the latent one explains the diagnosis better and adds to the count.
        assert_eq!(r.better, "deep", "{r:?}");
        assert!(r.lr_deep_p < 1e-6, "{r:?}");
    }
}

#[test]
fn assoc_errors_name_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let cohort = dir.path().join("cohort");
    simulate(&cohort);
    let pheno = cohort.join("phenotypes.tsv");
    let out = s(&dir.path().join("o")).to_owned();
    let run = |extra: &[&str]| {
        let mut a = vec!["assoc", "--pheno", s(&pheno), "--out", &out];
        a.extend_from_slice(extra);
        bgwas(&a)
    };
    let o = run(&["--outcome", "nope", "--predictor", "null_trait"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("outcome \"nope\" matches no column"), "{err}");
    let o = run(&[
        "--model",
        "logistic",
        "--outcome",
        "null_trait",
        "--predictor",
        "vol_*",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("outcome null_trait is not case/control"),
        "{err}"
    );
    let o = run(&["--outcome", "null_trait", "--compare"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("needs a feature table"), "{err}");
    let o = run(&[
        "--outcome",
        "null_trait",
        "--predictor",
        "x",
        "--model",
        "probit",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let covar = cohort.join("covariates.tsv");
    let o = run(&[
        "--covar",
        s(&covar),
        "--outcome",
        "vol_*",
        "--predictor",
        "age",
        "--covar",
        s(&covar),
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--covar given twice is a usage error"
    );
    let o = bgwas(&[
        "assoc",
        "--pheno",
        s(&covar),
        "--covar",
        s(&covar),
        "--outcome",
        "age",
        "--predictor",
        "sex",
        "--out",
        &out,
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("column age is also in another input"), "{err}");
    assert!(!dir.path().join("o/assoc.tsv").exists());
}
