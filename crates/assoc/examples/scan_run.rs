//! Runs one scan from the library, without the command-line tool (for profiling the scan
//! alone): `scan_run BFILE PHENO COVAR NAMES OUT THREADS`, NAMES comma-separated.

use std::path::PathBuf;

use biomarker_assoc::scan::{scan, ScanConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 7 {
        return Err("usage: scan_run BFILE PHENO COVAR NAMES OUT THREADS".into());
    }
    let mut cfg = ScanConfig::new(
        a[1].clone().into(),
        a[2].clone().into(),
        a[5].clone().into(),
    );
    cfg.covar = Some(PathBuf::from(&a[3]));
    cfg.pheno_names = a[4].split(',').map(str::to_owned).collect();
    let t = std::time::Instant::now();
    let report = scan(&cfg, a[6].parse()?, &|_| {})?;
    eprintln!(
        "{} variants, {} phenotypes, {} groups in {:.2} s",
        report.variants_tested,
        report.phenos.len(),
        report.groups,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
