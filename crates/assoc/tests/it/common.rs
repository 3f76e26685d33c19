//! Shared helpers: fixture paths, running a scan into a temporary folder, reading PLINK 2
//! text output and comparing printed numbers digit by digit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use biomarker_assoc::scan::{scan, ScanConfig, ScanReport};

/// The simulated fixture's folder.
pub fn sim_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scan_sim")
}

/// A config for the simulated fixture writing into `out`.
pub fn sim_config(out: &Path) -> ScanConfig {
    let d = sim_dir();
    let mut cfg = ScanConfig::new(d.join("sim"), d.join("sim.pheno"), out.to_path_buf());
    cfg.covar = Some(d.join("sim.covar"));
    cfg.block = 64; // several blocks even on the small fixture
    cfg
}

/// Runs a scan with two threads.
pub fn run(cfg: &ScanConfig) -> biomarker_assoc::Result<ScanReport> {
    scan(cfg, 2, &|_| {})
}

/// A text table (PLINK 2 .glm or similar): header fields → row maps keyed by `key`.
pub fn read_table(
    path: &Path,
    key: &str,
) -> (Vec<String>, HashMap<String, HashMap<String, String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .trim_start_matches('#')
        .split('\t')
        .map(str::to_owned)
        .collect();
    let ki = header.iter().position(|h| h == key).expect("key column");
    let mut rows = HashMap::new();
    for l in lines {
        let f: Vec<&str> = l.split('\t').collect();
        assert_eq!(f.len(), header.len(), "{}: {l}", path.display());
        rows.insert(
            f[ki].to_owned(),
            header
                .iter()
                .cloned()
                .zip(f.iter().map(|s| (*s).to_owned()))
                .collect(),
        );
    }
    (header, rows)
}

/// log10 of a printed positive number, exact for values below the double range
/// (`7.88514e-334`).
pub fn log10_printed(s: &str) -> f64 {
    match s.split_once(['e', 'E']) {
        Some((m, e)) => m.parse::<f64>().unwrap().log10() + e.parse::<f64>().unwrap(),
        None => s.parse::<f64>().unwrap().log10(),
    }
}

/// How many units of plink2's 6th significant digit separate two printed numbers.
pub fn digit_units(ours: &str, theirs: &str) -> f64 {
    if ours == theirs {
        return 0.0;
    }
    let (a, b) = (ours.parse::<f64>(), theirs.parse::<f64>());
    match (a, b) {
        (Ok(a), Ok(b)) if b != 0.0 && a.is_finite() && b.is_finite() => {
            let e = b.abs().log10().floor();
            (a - b).abs() / 10f64.powf(e - 5.0)
        }
        _ => f64::INFINITY,
    }
}

/// Compares the named columns of two PLINK 2 layout files (by variant ID); text columns must
/// be equal, numeric ones within `max_units` of the 6th significant digit. Returns the worst
/// unit distance per numeric column.
pub fn compare_glm(
    ours: &Path,
    theirs: &Path,
    text_cols: &[&str],
    num_cols: &[&str],
    max_units: f64,
) -> HashMap<String, f64> {
    let (_, a) = read_table(ours, "ID");
    let (_, b) = read_table(theirs, "ID");
    assert_eq!(
        a.len(),
        b.len(),
        "row counts differ: {} vs {}",
        ours.display(),
        theirs.display()
    );
    let mut worst: HashMap<String, f64> = HashMap::new();
    for (id, rb) in &b {
        let ra = a
            .get(id)
            .unwrap_or_else(|| panic!("{id} missing from {}", ours.display()));
        for c in text_cols {
            assert_eq!(ra[*c], rb[*c], "{id} column {c}");
        }
        for c in num_cols {
            if rb[*c] == "NA" {
                assert_eq!(ra[*c], "NA", "{id} column {c}");
                continue;
            }
            let u = digit_units(&ra[*c], &rb[*c]);
            assert!(
                u <= max_units,
                "{id} column {c}: ours {} vs plink2 {} ({u} units)",
                ra[*c],
                rb[*c]
            );
            let w = worst.entry((*c).to_owned()).or_default();
            *w = w.max(u);
        }
    }
    worst
}

/// `-log10 p` per variant ID from a scan's GwasTable, for one phenotype.
pub fn log10p_by_id(out: &Path, pheno: &str) -> HashMap<String, Option<f64>> {
    use biomarker_tables::{GwasTable, TableKind};
    let t = GwasTable::read(&out.join("gwas.parquet")).unwrap();
    t.records
        .into_iter()
        .filter(|r| r.pheno == pheno)
        .map(|r| (r.id, r.log10p))
        .collect()
}

/// Checks our full-precision −log10 p against plink2's printed P (to `tol` absolute).
pub fn compare_log10p(out: &Path, pheno: &str, plink2: &Path, tol: f64) -> f64 {
    let ours = log10p_by_id(out, pheno);
    let (_, theirs) = read_table(plink2, "ID");
    let mut worst = 0.0f64;
    for (id, row) in &theirs {
        let p = &row["P"];
        if p == "NA" {
            assert_eq!(ours[id], None, "{id}");
            continue;
        }
        let want = -log10_printed(p);
        let got = ours[id].unwrap_or_else(|| panic!("{id}: no LOG10P"));
        // plink2 prints 6 digits: allow their rounding on top of the tolerance.
        let slack = tol + 5e-6 / std::f64::consts::LN_10 * 10.0;
        assert!(
            (got - want).abs() <= slack,
            "{id}: -log10 p ours {got} vs plink2 {want}"
        );
        worst = worst.max((got - want).abs());
    }
    worst
}
