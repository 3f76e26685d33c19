//! End to end through the binary: `train` (and `--resume` extending the run), `encode` and
//! `experiment` (its finished runs skipped on rerun) on a tiny NIfTI cohort written here.

use std::path::{Path, PathBuf};

use biomarker_tables::{AssocTable, TableKind};
use ndarray::Array3;
use nifti::writer::WriterOptions;

use crate::bgwas_ok as run;

/// 12 subjects on a 16³ grid: label 1 a ball (radius varies), label 2 a box (size varies).
pub(crate) fn cohort(dir: &Path) {
    std::fs::create_dir_all(dir.join("img")).unwrap();
    let mut manifest = String::from("IID\tpath\n");
    for s in 0..12usize {
        let r = 2.0 + (s % 4) as f64 * 0.7;
        let half = 1 + (s % 3) as i64;
        let mut a = Array3::<f32>::zeros((16, 16, 16));
        for x in 0..16i64 {
            for y in 0..16i64 {
                for z in 0..16i64 {
                    let d2 = ((x - 5).pow(2) + (y - 8).pow(2) + (z - 8).pow(2)) as f64;
                    if d2 <= r * r {
                        a[[x as usize, y as usize, z as usize]] = 1.0;
                    } else if (x - 11).abs() <= half
                        && (y - 8).abs() <= half
                        && (z - 8).abs() <= half
                    {
                        a[[x as usize, y as usize, z as usize]] = 2.0;
                    }
                }
            }
        }
        WriterOptions::new(dir.join(format!("img/s{s}.nii.gz")))
            .write_nifti(&a)
            .unwrap();
        manifest.push_str(&format!("S{s}\timg/s{s}.nii.gz\n"));
    }
    std::fs::write(dir.join("images.tsv"), manifest).unwrap();
    let ages: String = (0..12).map(|s| format!("S{s}\t{}\n", 60 + 2 * s)).collect();
    std::fs::write(dir.join("covariates.tsv"), format!("IID\tage\n{ages}")).unwrap();
    // AD (2) vs CN (1): six of each, so 5-fold cross-validation has a case and a control in
    // every fold, and mixed over the sizes, so no structure separates them perfectly.
    let ad: String = [2, 1, 1, 2, 2, 1, 2, 1, 1, 2, 1, 2]
        .iter()
        .enumerate()
        .map(|(s, d)| format!("S{s}\t{d}\n"))
        .collect();
    std::fs::write(dir.join("phenotypes.tsv"), format!("IID\tad_vs_cn\n{ad}")).unwrap();
    std::fs::write(dir.join("labels.tsv"), "label\tname\n1\tball\n2\tbox\n").unwrap();
}

const TINY: &[&str] = &[
    "--size",
    "16",
    "--feature-maps",
    "4,8",
    "--bottleneck",
    "4",
    "--head-hidden",
    "4",
    "--batch-size",
    "8",
    "--val-fraction",
    "0.17",
    "--test-fraction",
    "0.34",
];

/// The arguments of `command` (`train` or `experiment`) on the tiny cohort in `sim`: quiet,
/// writing to `out`, `epochs` epochs (at index 7) of the tiny model ([`TINY`]), with `extra`
/// options.
pub(crate) fn tiny_args<'a>(
    command: &'a str,
    sim: &'a str,
    out: &'a str,
    epochs: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "-q",
        command,
        "--sim-dir",
        sim,
        "--out",
        out,
        "--epochs",
        epochs,
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(TINY);
    args
}

/// A subject table for the tiny cohort's transfer tests, written into `dir`: `big_ball`
/// (radius index ≥ 2, the head's target), `ball_r` (the radius index itself: a related
/// auxiliary column) and `parity` (the subject number's parity: an unrelated one).
pub(crate) fn ball_pheno(dir: &Path) -> PathBuf {
    let mut pheno = String::from("IID\tbig_ball\tball_r\tparity\n");
    for s in 0..12 {
        pheno.push_str(&format!(
            "S{s}\t{}\t{}\t{}\n",
            u8::from(s % 4 >= 2),
            s % 4,
            s % 2
        ));
    }
    let path = dir.join("pheno.tsv");
    std::fs::write(&path, pheno).unwrap();
    path
}

/// Runs `experiment --grid` with the rows `grid` on the tiny cohort in `sim` for `epochs`
/// epochs into `dir/exp` and returns its results.tsv.
pub(crate) fn grid_results(
    dir: &Path,
    sim: &str,
    epochs: &str,
    grid: &str,
    extra: &[&str],
) -> String {
    let grid_path = dir.join("grid.txt");
    std::fs::write(&grid_path, grid).unwrap();
    let exp = dir.join("exp");
    let mut options = vec!["--grid", crate::s(&grid_path)];
    options.extend_from_slice(extra);
    run(&tiny_args(
        "experiment",
        sim,
        crate::s(&exp),
        epochs,
        &options,
    ));
    std::fs::read_to_string(exp.join("results.tsv")).unwrap()
}

#[test]
fn train_resume_encode_and_experiment() {
    let dir = tempfile::tempdir().unwrap();
    cohort(dir.path());
    let sim = dir.path().to_str().unwrap();
    let out = dir.path().join("train");
    let out_s = out.to_str().unwrap();
    let mut args = tiny_args("train", sim, out_s, "1", &[]);
    assert!(run(&args).contains("test: dice"));
    // Extending the run by one epoch resumes from the checkpoint of epoch 1.
    args[7] = "2";
    args.push("--resume");
    run(&args);
    let log = std::fs::read_to_string(out.join("train_log.jsonl")).unwrap();
    let epochs: Vec<u64> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["epoch"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(epochs, vec![1, 2]);
    for f in [
        "model.safetensors",
        "model.json",
        "split.tsv",
        "test_metrics.json",
        "manifest.json",
        "checkpoints/epoch-0002.safetensors",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }

    let features = dir.path().join("features.tsv");
    run(&[
        "-q",
        "encode",
        "--model",
        out_s,
        "--sim-dir",
        sim,
        "--size",
        "16",
        "--out",
        features.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&features).unwrap();
    assert!(text.contains("checkpoint_sha256="));
    let rows = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("IID"))
        .count();
    assert_eq!(rows, 24, "12 subjects × 2 structures");

    let exp = dir.path().join("exp");
    let args = tiny_args("experiment", sim, crate::s(&exp), "1", &[]);
    let table = run(&args);
    assert_eq!(table.lines().count(), 10, "header + 9 runs:\n{table}");
    let header: Vec<&str> = table.lines().next().unwrap().split('\t').collect();
    assert_eq!(
        header,
        [
            "run",
            "tasks",
            "balance",
            "dice",
            "recon_mse",
            "accuracy",
            "volume_r2",
            "pc1_volume_abs_r",
            "pc1_age_abs_r",
            "ad_auc_cv",
            "head_target",
            "head_auc",
            "head_accuracy",
            "head_sensitivity",
            "head_specificity",
            "aux_kept"
        ]
    );
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    let number = |v: &str| -> f64 { v.parse().unwrap_or_else(|_| panic!("{v:?} in\n{table}")) };
    for row in &rows {
        let has = |t: &str| row[1].split(',').any(|x| x == t);
        // A task's metrics are given exactly when the run trained it.
        for (col, task) in [(3, "recon"), (4, "recon"), (5, "class"), (6, "volume")] {
            assert_eq!(row[col] != "NA", has(task), "{row:?}");
        }
        if has("recon") {
            assert!((0.0..=1.0).contains(&number(row[3])), "{row:?}");
            assert!((0.0..=1.0).contains(&number(row[4])), "{row:?}");
        }
        if has("class") {
            assert!((0.0..=1.0).contains(&number(row[5])), "{row:?}");
        }
        if has("volume") {
            assert!(number(row[6]) <= 1.0, "{row:?}");
        }
        // Every run's features have a downstream value.
        for col in [7, 8] {
            assert!((0.0..=1.0).contains(&number(row[col])), "{row:?}");
        }
        assert!((0.0..=1.0).contains(&number(row[9])), "{row:?}");
    }
    downstream_matches_pca_and_assoc(&exp, "recon+class+volume.gradnorm", &rows[8]);
    let modified =
        std::fs::metadata(exp.join("runs/recon+class+volume.gradnorm/model.safetensors"))
            .unwrap()
            .modified()
            .unwrap();
    let again = run(&args);
    assert_eq!(again, table, "a rerun reuses the finished runs");
    let after = std::fs::metadata(exp.join("runs/recon+class+volume.gradnorm/model.safetensors"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(modified, after, "finished runs are not retrained");
}

/// The named run's downstream numbers equal what `pca` and `assoc` give on its features.
fn downstream_matches_pca_and_assoc(exp: &Path, name: &str, row: &[&str]) {
    assert_eq!(row[0], name);
    let runs = exp.join("runs").join(name);
    let pcs = exp.join("check-pca");
    run(&[
        "-q",
        "pca",
        "--features",
        crate::s(&runs.join("features.tsv")),
        "--out",
        crate::s(&pcs),
    ]);
    let ours = std::fs::read_to_string(runs.join("feature-pcs.tsv")).unwrap();
    let theirs = std::fs::read_to_string(pcs.join("feature-pcs.tsv")).unwrap();
    let data = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(data(&ours), data(&theirs), "PC1 scores differ from `pca`");
    // Per structure: (|r| of PC1 with the volume, |r| with age, CV AUC) from downstream.tsv;
    // None where the experiment could not fit the model (NA).
    type Row = (String, [Option<f64>; 3]);
    let per: Vec<Row> = std::fs::read_to_string(runs.join("downstream.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let v = |i: usize| f[i].parse::<f64>().ok();
            (
                f[0].to_owned(),
                [v(2).map(f64::abs), v(3).map(f64::abs), v(5)],
            )
        })
        .collect();
    assert_eq!(per.len(), 2);
    let assoc = |args: &[&str]| -> biomarker_tables::AssocRecord {
        let out = exp.join("check-assoc");
        let features = pcs.join("feature-pcs.tsv");
        let mut all = vec!["-q", "assoc", "--features", crate::s(&features)];
        all.extend_from_slice(&["--out", crate::s(&out)]);
        all.extend_from_slice(args);
        run(&all);
        // The Parquet copy: the text one writes the empty covariate list as NA, which its
        // reader refuses.
        let t = AssocTable::read(&out.join("assoc.parquet")).unwrap();
        assert_eq!(t.records.len(), 1);
        t.records[0].clone()
    };
    let targets = exp.join("test-targets.tsv");
    let pheno = exp.parent().unwrap().join("phenotypes.tsv");
    let mut compared = 0;
    for (structure, [vol_r, age_r, auc]) in &per {
        let predictor = format!("{structure}_PC1");
        for (outcome, want) in [(format!("vol_{structure}"), vol_r), ("age".into(), age_r)] {
            let Some(want) = want else { continue };
            let r2 = assoc(&[
                "--pheno",
                crate::s(&targets),
                "--outcome",
                &outcome,
                "--predictor",
                &predictor,
            ])
            .r2
            .unwrap();
            assert!(
                (r2.sqrt() - want).abs() < 1e-6,
                "{outcome} ~ {predictor}: assoc R² {r2}, experiment |r| {want}"
            );
            compared += 1;
        }
        if let Some(auc) = auc {
            let got = assoc(&[
                "--pheno",
                crate::s(&pheno),
                "--model",
                "logistic",
                "--outcome",
                "ad_vs_cn",
                "--predictor",
                &predictor,
            ])
            .auc_cv
            .unwrap();
            assert!(
                (got - auc).abs() < 1e-6,
                "{structure}: assoc CV AUC {got}, experiment {auc}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 3, "too few numbers to compare: {per:?}");
    // The table's cells are the means over the structures that have a value.
    for (k, col) in [7, 8, 9].into_iter().enumerate() {
        let have: Vec<f64> = per.iter().filter_map(|p| p.1[k]).collect();
        let mean = have.iter().sum::<f64>() / have.len() as f64;
        let cell: f64 = row[col].parse().unwrap();
        assert!((cell - mean).abs() < 1e-6, "column {col}: {cell} vs {mean}");
    }
}

#[test]
fn bad_inputs_fail_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("images.tsv"), "S1\tmissing.nii.gz\n").unwrap();
    std::fs::write(dir.path().join("labels.tsv"), "1\tball\n").unwrap();
    let out = crate::bin()
        .args([
            "-q",
            "train",
            "--sim-dir",
            dir.path().to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
            "--size",
            "16",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing.nii.gz"), "{err}");
    let out = crate::bin()
        .args(["train", "--sim-dir", "x", "--out", "y", "--device", "tpu"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected cpu or cuda:N"));
}

/// `simulate` → `train` at 16³: the classifier beats chance clearly. The volume R² (within
/// structure) is printed, not asserted: five epochs of all three tasks do not get past the
/// volume loss's plateau (see the next test).
#[test]
fn simulated_cohort_classifier_beats_chance() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, out) = simulate_and_train(dir.path(), "16", &["--epochs", "5"]);
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("test_metrics.json")).unwrap())
            .unwrap();
    let structures = std::fs::read_to_string(sim.join("labels.tsv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let chance = 1.0 / structures as f64;
    let accuracy = metrics["accuracy"].as_f64().unwrap();
    eprintln!(
        "accuracy {accuracy} (chance {chance}), volume R² within structure {}",
        metrics["volume_r2"]
    );
    assert!(
        accuracy > 3.0 * chance,
        "accuracy {accuracy}, chance {chance}"
    );
}

/// `simulate` (32³ images) → `train` of the volume head alone on 16³ crops: each subject's
/// volume is learned within its structure (test-split R², averaged over structures, > 0.5).
/// The loss sits near 1 for about eight epochs before it falls, hence twenty.
#[test]
fn simulated_cohort_volume_is_learned_within_structure() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out) = simulate_and_train(
        dir.path(),
        "32",
        &[
            "--tasks",
            "volume",
            "--balance",
            "equal",
            "--epochs",
            "20",
            "--patience",
            "0",
        ],
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("test_metrics.json")).unwrap())
            .unwrap();
    let r2 = metrics["volume_r2"].as_f64().unwrap();
    eprintln!("volume R² within structure {r2}");
    assert!(r2 > 0.5, "volume R² within structure {r2}");
}

/// Simulates 48 subjects (100 variants, `size`³ images, seed 3) into `dir/sim` and trains on
/// 16³ crops of them into `dir/train` (feature maps 4,8,16, bottleneck 32, lr 0.003, seed 1)
/// with `extra` options; returns (sim, train).
fn simulate_and_train(dir: &Path, size: &str, extra: &[&str]) -> (PathBuf, PathBuf) {
    let sim = dir.join("sim");
    let out = dir.join("train");
    run(&[
        "simulate",
        "--out",
        crate::s(&sim),
        "--samples",
        "48",
        "--variants",
        "100",
        "--size",
        size,
        "--seed",
        "3",
        "-q",
    ]);
    let mut args = vec![
        "train",
        "--sim-dir",
        crate::s(&sim),
        "--out",
        crate::s(&out),
        "--size",
        "16",
        "--feature-maps",
        "4,8,16",
        "--bottleneck",
        "32",
        "--lr",
        "0.003",
        "--seed",
        "1",
        "-q",
    ];
    args.extend_from_slice(extra);
    run(&args);
    (sim, out)
}
