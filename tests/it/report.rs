//! `report`: a report from a GWAS table, a training log and a grid, its manifest, and the
//! errors a user sees for malformed inputs.

use biomarker_tables::{GwasRecord, GwasTable, RunManifest, TableKind};

use crate::{bgwas, bgwas_ok, s};

fn scan(path: &std::path::Path) {
    let mut records = Vec::new();
    for pheno in ["hippocampus_PC1", "thalamus_PC1"] {
        for i in 0..2_000i64 {
            let chrom = 1 + i / 100;
            let pos = 1_000 + (i % 100) * 20_000;
            // a deterministic spread of p-values in (0, 1), one hit on chromosome 3
            let mut p = ((i * 7_919 + 13) % 2_000) as f64 / 2_000.0 + 0.000_25;
            if pheno == "hippocampus_PC1" && chrom == 3 && i % 100 == 50 {
                p = 1e-12;
            }
            records.push(GwasRecord {
                pheno: pheno.into(),
                chrom: chrom.to_string(),
                pos,
                id: format!("v{chrom}_{pos}"),
                reference: "A".into(),
                alt: "G".into(),
                a1: "G".into(),
                omitted: "A".into(),
                a1_freq: Some(0.2),
                model: "linear".into(),
                test: "ADD".into(),
                obs_ct: 500,
                beta: Some(0.1),
                se: Some(0.02),
                p: Some(p),
                log10p: Some(-p.log10()),
                ..GwasRecord::default()
            });
        }
    }
    GwasTable {
        records,
        metadata: Default::default(),
    }
    .write(path)
    .unwrap();
}

#[test]
fn report_writes_the_page_figures_loci_and_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let gwas = dir.path().join("scan.tsv");
    scan(&gwas);
    let log = dir.path().join("train.jsonl");
    std::fs::write(&log, "{\"epoch\": 1, \"losses\": {\"recon\": 1.0}, \"weights\": {\"recon\": 1.0}}\n{\"epoch\": 2, \"losses\": {\"recon\": 0.5}, \"weights\": {\"recon\": 1.0}, \"extra\": [1]}\n").unwrap();
    let grid = dir.path().join("grid.tsv");
    std::fs::write(&grid, "alpha\tval_loss\n0.5\t0.3\n1.5\t0.2\n").unwrap();
    let out = dir.path().join("out");
    let stdout = bgwas_ok(&[
        "report",
        "--out",
        s(&out),
        "--gwas",
        s(&gwas),
        "--training-log",
        s(&log),
        "--grid",
        s(&grid),
        "--grid-rank",
        "val_loss",
        "--no-png",
        "--regional-top",
        "1",
    ]);
    assert!(stdout.contains("(5 sections, 1 loci)"), "{stdout}");
    assert!(stdout.contains("lambda_gc\thippocampus_PC1\t"), "{stdout}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for id in ["inputs", "training", "grid", "gwas", "loci"] {
        assert!(html.contains(&format!("<section id=\"{id}\"")), "{id}");
    }
    assert!(!html.contains("<section id=\"mmd\""));
    assert!(out.join("manhattan_all.svg").is_file() && !out.join("manhattan_all.png").exists());
    let loci = std::fs::read_to_string(out.join("top_loci.tsv")).unwrap();
    assert_eq!(loci.lines().count(), 2, "{loci}");
    assert!(
        loci.lines()
            .nth(1)
            .unwrap()
            .contains("\tv3_1001000\thippocampus_PC1\t"),
        "{loci}"
    );
    let manifest = RunManifest::read(&out.join("report.manifest.json")).unwrap();
    assert_eq!(manifest.subcommand, "report");
    assert_eq!(manifest.inputs.len(), 3);
    assert!(manifest
        .outputs
        .iter()
        .any(|o| o.path.ends_with("report.html")));
    assert_eq!(manifest.summary["top_loci"], 1);
}

#[test]
fn malformed_report_inputs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("train.jsonl");
    std::fs::write(
        &log,
        "{\"epoch\": 1, \"losses\": {\"recon\": 1.0}}\n{\"epoch\": 2, \"losses\": 5}\n",
    )
    .unwrap();
    let out = bgwas(&[
        "report",
        "--out",
        s(&dir.path().join("o")),
        "--training-log",
        s(&log),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("train.jsonl: line 2: losses: expected an object of task → number, found 5"),
        "{err}"
    );
    assert!(
        !dir.path().join("o").join("report.html").exists(),
        "no page from a failed run"
    );
    // the latent scatter needs the diagnosis
    let out = bgwas(&["report", "--out", "o", "--latent", "x.tsv"]);
    assert_eq!(out.status.code(), Some(2));
    let out = bgwas(&["report", "--out", "o", "--latent-features", "x.tsv"]);
    assert_eq!(out.status.code(), Some(2));
    // the PCA view needs two feature columns
    let features = dir.path().join("one.tsv");
    std::fs::write(&features, "IID\tstructure\tf1\nA\tx\t1\nB\tx\t2\nC\tx\t3\n").unwrap();
    let pheno = dir.path().join("dx.tsv");
    std::fs::write(&pheno, "IID\tdx\nA\t1\nB\t2\nC\t1\n").unwrap();
    let out = bgwas(&[
        "report",
        "--out",
        s(&dir.path().join("o")),
        "--latent-features",
        s(&features),
        "--pheno",
        s(&pheno),
        "--diagnosis-column",
        "dx",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("one.tsv")
            && err.contains("cannot keep 2 components of 3 subjects × 1 features"),
        "{err}"
    );
    assert!(!dir.path().join("o").join("report.html").exists());
}
