//! Writes a simulated PLINK file set with phenotypes and covariates for scan tests and
//! benchmarks (see `tests/support/scan_sim.rs` for what is simulated):
//! `cargo run -p biomarker-assoc --example scan_data -- OUT_PREFIX SAMPLES VARIANTS
//! MISSING_RATE QUANT_PHENOS [SEED]`.

#[path = "../tests/support/scan_sim.rs"]
mod scan_sim;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 6 {
        return Err(
            "usage: scan_data OUT_PREFIX SAMPLES VARIANTS MISSING_RATE QUANT_PHENOS [SEED]".into(),
        );
    }
    let seed: u64 = a.get(6).map_or(Ok(1), |s| s.parse())?;
    scan_sim::write_dataset(
        std::path::Path::new(&a[1]),
        a[2].parse()?,
        a[3].parse()?,
        a[4].parse()?,
        a[5].parse()?,
        seed,
    )
}
