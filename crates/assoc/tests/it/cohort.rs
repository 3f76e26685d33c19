//! A simulated cohort at 5,000 samples: the planted causal variants reach genome-wide
//! significance at the simulated effect size (0.25 per allele, well powered from A1_FREQ
//! 0.25), nothing else does, and the null phenotype's λGC is within 1 ± 0.05.

#[path = "../support/scan_sim.rs"]
mod scan_sim;

use biomarker_assoc::scan::ScanConfig;
use biomarker_tables::{GwasTable, TableKind};

#[test]
fn planted_effects_found_and_null_calibrated() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("cohort");
    let (n, m) = (5000, 4000);
    scan_sim::write_dataset(&prefix, n, m, 0.01, 3, 2026).unwrap();
    let with = |ext: &str| dir.path().join(format!("cohort.{ext}"));
    let out = dir.path().join("out");
    let mut cfg = ScanConfig::new(prefix, with("pheno"), out.clone());
    cfg.covar = Some(with("covar"));
    cfg.pheno_names = vec!["q2".into(), "q3".into()];
    let report = super::common::run(&cfg).unwrap();
    let null = report.phenos.iter().find(|p| p.name == "q3").unwrap();
    let lambda = null.lambda_gc().unwrap();
    assert!(
        (lambda - 1.0).abs() < 0.05,
        "null phenotype lambda_gc {lambda}"
    );

    let t = GwasTable::read(&out.join("gwas.parquet")).unwrap();
    // Expected t at 0.25 SD per allele with the simulated polygenic background is ≈ 6.5 at
    // A1_FREQ 0.25 (power ≈ 0.9 at p < 5e-8): most planted variants there must be found.
    let (mut found, mut common) = (0, 0);
    for r in t.records.iter().filter(|r| r.pheno == "q2") {
        let j: usize = r.id[2..].parse::<usize>().unwrap() - 100;
        let causal = j == 5 || (j >= 50 && j.is_multiple_of(50));
        let significant = r.log10p.is_some_and(|l| l > -(5e-8f64).log10());
        if causal && r.a1_freq.unwrap() >= 0.25 {
            common += 1;
            found += usize::from(significant);
        } else if !causal && j > 5 {
            assert!(
                !significant,
                "{}: false positive, -log10 p {:?}",
                r.id, r.log10p
            );
        }
    }
    assert!(
        common >= 30,
        "only {common} planted variants with A1_FREQ ≥ 0.25"
    );
    assert!(
        found * 10 >= common * 8,
        "only {found} of {common} planted variants reached p < 5e-8"
    );
    eprintln!("cohort: {found} of {common} planted variants (A1_FREQ ≥ 0.25) at p < 5e-8, null lambda_gc {lambda:.4}");
}
