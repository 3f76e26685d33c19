//! `bench-train`: a tiny CPU run prints and writes one timing per step with its manifest; a
//! CUDA device without the `cuda` feature is refused with the reason.

use crate::{bgwas, bgwas_ok, s};

#[test]
fn bench_train_times_steps_and_names_missing_cuda() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.tsv");
    let stdout = bgwas_ok(&[
        "bench-train",
        "--size",
        "8",
        "--batch",
        "2",
        "--steps",
        "3",
        "--balance",
        "equal",
        "--out",
        s(&out),
    ]);
    let lines: Vec<Vec<f64>> = stdout
        .lines()
        .map(|l| l.split(' ').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l[0], (i + 1) as f64, "{l:?}");
        assert!(l[2] > 0.0, "{l:?}");
    }
    let tsv = std::fs::read_to_string(&out).unwrap();
    assert!(tsv.starts_with("step\tseconds\tvolumes_per_second\n"));
    let rows: Vec<Vec<f64>> = tsv
        .lines()
        .skip(1)
        .map(|l| l.split('\t').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 3);
    for r in &rows {
        // volumes/s is the batch over the step's seconds (both rounded in the file)
        assert!(r[1] > 0.0 && (r[2] * r[1] - 2.0).abs() < 1e-2, "{r:?}");
    }
    let manifest = dir.path().join("bench.tsv.manifest.json");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    assert!(m["summary"]["median_seconds"].as_f64().unwrap() > 0.0);

    let bad = bgwas(&["bench-train", "--size", "12", "--steps", "1"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--size 12"));

    if !cfg!(feature = "cuda") {
        let out = bgwas(&["bench-train", "--size", "8", "--device", "cuda:0"]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cuda:0") && err.contains("built without CUDA support"),
            "{err}"
        );
    }
}
