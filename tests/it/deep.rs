//! End to end through the binary: `train` (and `--resume` extending the run), `encode` and
//! `experiment` (its finished runs skipped on rerun) on a tiny NIfTI cohort written here.

use std::path::Path;

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
    std::fs::write(dir.join("labels.tsv"), "label\tname\n1\tball\n2\tbox\n").unwrap();
}

pub(crate) const TINY: &[&str] = &[
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

#[test]
fn train_resume_encode_and_experiment() {
    let dir = tempfile::tempdir().unwrap();
    cohort(dir.path());
    let sim = dir.path().to_str().unwrap();
    let out = dir.path().join("train");
    let out_s = out.to_str().unwrap();
    let mut args = vec![
        "-q",
        "train",
        "--sim-dir",
        sim,
        "--out",
        out_s,
        "--epochs",
        "1",
    ];
    args.extend_from_slice(TINY);
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
    let mut args = vec![
        "-q",
        "experiment",
        "--sim-dir",
        sim,
        "--out",
        exp.to_str().unwrap(),
        "--epochs",
        "1",
    ];
    args.extend_from_slice(TINY);
    let table = run(&args);
    assert_eq!(table.lines().count(), 10, "header + 9 runs:\n{table}");
    assert!(table
        .lines()
        .next()
        .unwrap()
        .ends_with("pc1_volume_abs_r\tpc1_age_abs_r"));
    for line in table.lines().skip(1) {
        let age_r: f64 = line
            .rsplit('\t')
            .next()
            .unwrap()
            .parse()
            .expect("PC1-age correlation");
        assert!((0.0..=1.0).contains(&age_r), "{line}");
    }
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

/// `simulate` → `train` at 16³: the classifier beats chance clearly and the volume head
/// explains most of the volume target on the test split. Left/right twins look alike after
/// centroid cropping, so accuracy is capped well below 1. The within-structure R² is printed,
/// not asserted: on this tiny grid a structure is a handful of voxels.
#[test]
fn simulated_cohort_classifier_beats_chance_and_volume_is_learned() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let out = dir.path().join("train");
    run(&[
        "simulate",
        "--out",
        sim.to_str().unwrap(),
        "--samples",
        "48",
        "--variants",
        "100",
        "--size",
        "16",
        "--seed",
        "3",
        "-q",
    ]);
    run(&[
        "train",
        "--sim-dir",
        sim.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--size",
        "16",
        "--feature-maps",
        "4,8,16",
        "--bottleneck",
        "32",
        "--epochs",
        "5",
        "--lr",
        "0.003",
        "--seed",
        "1",
        "-q",
    ]);
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
    let r2 = metrics["volume_r2"].as_f64().unwrap();
    eprintln!(
        "accuracy {accuracy} (chance {chance}), volume R² {r2}, within-structure R² {}",
        metrics["volume_r2_within"]
    );
    assert!(
        accuracy > 3.0 * chance,
        "accuracy {accuracy}, chance {chance}"
    );
    assert!(r2 > 0.5, "volume R² {r2}");
}
