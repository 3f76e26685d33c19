//! `simulate` writes a complete cohort and a manifest that names its outputs.

use biomarker_tables::{PhenoTable, RunManifest};

#[test]
fn simulate_writes_a_cohort_and_its_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cohort");
    let stdout = crate::bgwas_ok(&[
        "-q",
        "simulate",
        "--out",
        crate::s(&out),
        "--samples",
        "60",
        "--variants",
        "400",
        "--size",
        "16",
        "--seed",
        "3",
    ]);
    assert!(stdout.starts_with("simulated 60 subjects ("), "{stdout}");
    for name in [
        "cohort.bed",
        "cohort.bim",
        "cohort.fam",
        "phenotypes.tsv",
        "covariates.tsv",
        "images.tsv",
        "labels.tsv",
        "truth.json",
        "truth_subjects.tsv",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    assert_eq!(
        std::fs::read_dir(out.join("labelmaps")).unwrap().count(),
        60
    );
    let manifest = RunManifest::read(&out.join("simulate.manifest.json")).unwrap();
    assert_eq!(manifest.subcommand, "simulate");
    assert_eq!(manifest.seeds["simulation"], 3);
    assert_eq!(manifest.parameters["samples"], 60);
    assert_eq!(manifest.summary["variants"], 400);
    let bed = manifest
        .outputs
        .iter()
        .find(|o| o.path.ends_with("cohort.bed"))
        .unwrap();
    assert_eq!(bed.bytes, 3 + 400 * 15);
    let covar = PhenoTable::read(&out.join("covariates.tsv")).unwrap();
    assert_eq!(covar.samples.len(), 60);
    // No temporary file is left anywhere.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .chain(std::fs::read_dir(out.join("labelmaps")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
