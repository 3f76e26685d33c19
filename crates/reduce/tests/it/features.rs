//! Deep-feature PCA against scikit-learn (scripts/make-pca-feature-fixtures.py): fit on the
//! first 40 subjects of each structure, apply the saved loadings to all 60.

use std::collections::HashMap;

use biomarker_reduce::{apply_features, fit_features, FeaturePcaOptions, Loadings, PcaOptions};
use biomarker_tables::{FeatureTable, PhenoColumn, PhenoTable, PhenoValues, TableKind};

use crate::fixture;

const K: usize = 4;
const N_FIT: usize = 40;

/// sklearn's numbers: (structure, component 1-based, kind) → values by index.
type Reference = HashMap<(String, usize, String), Vec<f64>>;

fn reference(mode: &str) -> Reference {
    let text = std::fs::read_to_string(fixture(&format!("features/sklearn-{mode}.tsv"))).unwrap();
    let mut out: Reference = HashMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let v = out
            .entry((f[0].into(), f[1].parse().unwrap(), f[2].into()))
            .or_default();
        let i: usize = f[3].parse().unwrap();
        v.resize(v.len().max(i + 1), f64::NAN);
        v[i] = f[4].parse().unwrap();
    }
    out
}

fn input() -> FeatureTable {
    FeatureTable::read(&fixture("features/features.tsv")).unwrap()
}

/// The rows of the first `n` subjects of every structure.
fn first_subjects(table: &FeatureTable, n: usize) -> FeatureTable {
    let mut out = FeatureTable::new(table.feature_names.clone());
    out.metadata = table.metadata.clone();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for i in 0..table.n_rows() {
        let c = seen.entry(table.structures[i].clone()).or_default();
        if *c < n {
            out.push(
                table.samples[i].clone(),
                table.structures[i].clone(),
                table.row(i),
            );
        }
        *c += 1;
    }
    out
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

fn compare_with_sklearn(mode: &str, scale: bool) {
    let all = input();
    let fit_on = first_subjects(&all, N_FIT);
    let options = FeaturePcaOptions {
        pca: PcaOptions {
            n_components: K,
            scale,
        },
        volumes: None,
    };
    let (loadings, fitted) = fit_features(&fit_on, &options).unwrap();
    // Round trip through the file, then apply to all subjects without refitting.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loadings.json");
    loadings.write(&path).unwrap();
    let loadings = Loadings::read(&path).unwrap();
    let applied = apply_features(&all, &loadings).unwrap();
    let reference = reference(mode);
    let (mut max_ev, mut max_load, mut max_score) = (0.0f64, 0.0f64, 0.0f64);
    for s in &loadings.structures {
        let (_, scores) = applied.structure_matrix(&s.structure);
        let (_, fitted_scores) = fitted.structure_matrix(&s.structure);
        for c in 0..K {
            let key = |kind: &str| (s.structure.clone(), c + 1, kind.to_owned());
            max_ev = max_ev.max(rel(
                s.explained_variance[c],
                reference[&key("explained_variance")][0],
            ));
            max_ev = max_ev.max(rel(
                s.explained_variance_ratio[c],
                reference[&key("explained_variance_ratio")][0],
            ));
            let want = &reference[&key("loading")];
            let ours = &s.components[c];
            let sign = ours
                .iter()
                .zip(want)
                .map(|(a, b)| a * b)
                .sum::<f64>()
                .signum();
            for (a, b) in ours.iter().zip(want) {
                max_load = max_load.max((sign * a - b).abs());
            }
            for (i, want) in reference[&key("score")].iter().enumerate() {
                max_score =
                    max_score.max((sign * scores[i * K + c] - want).abs() / (1.0 + want.abs()));
                if i < N_FIT {
                    // Fitted scores and applied scores of the fitting subjects are the same numbers.
                    assert_eq!(
                        fitted_scores[i * K + c],
                        scores[i * K + c],
                        "{mode} {} PC{} subject {i}",
                        s.structure,
                        c + 1
                    );
                }
            }
        }
    }
    eprintln!("{mode}: max rel. explained variance diff {max_ev:.2e}, max loading diff {max_load:.2e}, max score diff {max_score:.2e}");
    assert!(
        max_ev < 1e-8,
        "{mode}: explained variance differs from scikit-learn by {max_ev:e} (relative)"
    );
    assert!(
        max_load < 1e-8,
        "{mode}: loadings differ from scikit-learn by {max_load:e}"
    );
    assert!(
        max_score < 1e-8,
        "{mode}: scores differ from scikit-learn by {max_score:e}"
    );
}

#[test]
fn centred_pca_matches_scikit_learn() {
    compare_with_sklearn("raw", false);
}

#[test]
fn scaled_pca_matches_scikit_learn_with_standard_scaler() {
    compare_with_sklearn("scaled", true);
}

#[test]
fn signs_follow_volume_else_largest_loading_and_do_not_depend_on_row_order() {
    let all = input();
    let options = FeaturePcaOptions {
        pca: PcaOptions {
            n_components: 2,
            scale: false,
        },
        volumes: None,
    };
    let (plain, scores) = fit_features(&all, &options).unwrap();
    for s in &plain.structures {
        for comp in &s.components {
            let top = comp
                .iter()
                .copied()
                .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
            assert!(
                top > 0.0,
                "{}: largest loading {top} should be positive",
                s.structure
            );
        }
    }
    // Reversed row order: the same components, signs included.
    let mut reversed = FeatureTable::new(all.feature_names.clone());
    for i in (0..all.n_rows()).rev() {
        reversed.push(
            all.samples[i].clone(),
            all.structures[i].clone(),
            all.row(i),
        );
    }
    let (again, _) = fit_features(&reversed, &options).unwrap();
    for a in &plain.structures {
        let b = again.structure(&a.structure).unwrap();
        for (ca, cb) in a.components.iter().zip(&b.components) {
            for (x, y) in ca.iter().zip(cb) {
                assert!((x - y).abs() < 1e-10, "{}: {ca:?} vs {cb:?}", a.structure);
            }
        }
    }
    // A volume that falls as PC1 rises flips PC1 for that structure only.
    let (samples, x) = scores.structure_matrix("hippocampus_left");
    let volume: Vec<Option<f64>> = x.chunks(2).map(|r| Some(1000.0 - 3.0 * r[0])).collect();
    let volumes = PhenoTable {
        path: "volumes".into(),
        samples,
        columns: vec![PhenoColumn {
            name: "hippocampus_left".into(),
            values: PhenoValues::Numeric(volume),
        }],
    };
    let with_volume = FeaturePcaOptions {
        volumes: Some(volumes),
        ..options
    };
    let (oriented, _) = fit_features(&all, &with_volume).unwrap();
    let hip = oriented.structure("hippocampus_left").unwrap();
    let before = plain.structure("hippocampus_left").unwrap();
    for (x, y) in hip.components[0].iter().zip(&before.components[0]) {
        assert!((x + y).abs() < 1e-12);
    }
    assert_eq!(format!("{:?}", hip.sign_rules), "[Volume, Volume]");
    let thal = oriented.structure("thalamus_right").unwrap();
    assert_eq!(
        thal.components,
        plain.structure("thalamus_right").unwrap().components
    );
    assert_eq!(
        format!("{:?}", thal.sign_rules),
        "[LargestLoading, LargestLoading]"
    );
}

#[test]
fn output_table_round_trips_with_pc_columns() {
    let all = input();
    let options = FeaturePcaOptions {
        pca: PcaOptions {
            n_components: 1,
            scale: false,
        },
        volumes: None,
    };
    let (_, scores) = fit_features(&all, &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pcs.tsv");
    scores.write(&path).unwrap();
    let back = FeatureTable::read(&path).unwrap();
    assert_eq!(back.feature_names, vec!["PC1"]);
    assert_eq!(back.n_rows(), 120);
    assert_eq!(back.values, scores.values);
    assert_eq!(back.metadata["checkpoint_sha256"], "fixture");
    assert!(
        back.metadata["pca"].contains("\"mode\":\"fit\""),
        "{}",
        back.metadata["pca"]
    );
}

#[test]
fn errors_name_the_structure_sample_and_file() {
    let mut all = input();
    all.values[5 * 8 + 3] = f64::NAN;
    let options = FeaturePcaOptions::default();
    let err = fit_features(&all, &options).unwrap_err().to_string();
    assert_eq!(
        err,
        "structure \"hippocampus_left\": sample \"s005\", feature \"z_3\": value NaN is missing or not finite; PCA needs complete features"
    );
    let clean = input();
    let (mut loadings, _) = fit_features(&clean, &options).unwrap();
    loadings
        .structures
        .retain(|s| s.structure != "thalamus_right");
    let err = apply_features(&clean, &loadings).unwrap_err().to_string();
    assert_eq!(
        err,
        "structure \"thalamus_right\": the saved fit has no loadings for this structure"
    );
    let mut renamed = clean.clone();
    renamed.feature_names[0] = "w_0".into();
    let err = apply_features(&renamed, &loadings).unwrap_err().to_string();
    assert!(
        err.starts_with("features: feature columns \"w_0,z_1,…,z_7 (8 columns)\" differ"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, "{\"format\": 3}").unwrap();
    let err = Loadings::read(&path).unwrap_err().to_string();
    assert!(
        err.contains("bad.json: line 1: not a loadings file"),
        "{err}"
    );
    let mut short = loadings.clone();
    short.structures[0].mean.pop();
    short.write(&path).unwrap();
    let err = Loadings::read(&path).unwrap_err().to_string();
    assert!(
        err.contains("structure \"hippocampus_left\": expected 8 means"),
        "{err}"
    );
}
