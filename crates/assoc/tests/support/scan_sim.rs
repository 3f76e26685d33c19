//! Simulated PLINK file sets with phenotypes and covariates for scan tests and benchmarks
//! (shared by `examples/scan_data.rs` and the integration tests).
//!
//! Genotypes are drawn under Hardy–Weinberg with minor-allele frequencies uniform on
//! [0.02, 0.5] (ALT the minor allele for half of the variants), each call missing with
//! probability `miss`. Quantitative phenotypes `q1..` get effects of 0.25 per allele from
//! every 50th variant (variant index ≥ 50) plus covariates and unit noise, except `q3`, which
//! is null; `q2` (when present) also has 3% missing values; a binary phenotype `b1` (1/2
//! coded, as PLINK reads it) follows a logistic model. Covariates `age sex pc1 pc2 pc3`, age
//! missing for 0.5% of the samples. The first variants are edge cases: monomorphic, all
//! heterozygous, a copy of the sex coding, nearly all missing, one carried only by cases, and
//! one with an enormous effect on `q1` (p ≈ 1e-400 at 400 samples).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use biomarker_tables::plink::{write_bim, write_fam, BedWriter, BimRecord, FamRecord};

/// SplitMix64: a tiny, fixed generator so the data never change with a crate upgrade.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Writes `prefix.{bed,bim,fam,pheno,covar}`: `n` samples, `m` variants, each call missing
/// with probability `miss`, `n_q` quantitative phenotypes plus `b1`.
pub fn write_dataset(
    prefix: &Path,
    n: usize,
    m: usize,
    miss: f64,
    n_q: usize,
    seed: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let prefix = prefix.to_path_buf();
    let mut rng = Rng(seed);
    let path = |ext: &str| {
        let mut s = prefix.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    };

    let age: Vec<f64> = (0..n).map(|_| 60.0 + 8.0 * rng.normal()).collect();
    let sex: Vec<f64> = (0..n)
        .map(|_| if rng.uniform() < 0.5 { 1.0 } else { 2.0 })
        .collect();
    let pcs: Vec<[f64; 3]> = (0..n)
        .map(|_| [rng.normal(), rng.normal(), rng.normal()])
        .collect();
    let mut lin_q = vec![vec![0.0; n]; n_q];
    let mut lin_b = vec![0.0; n];
    let mut bed = BedWriter::create(&path(".bed"), n)?;
    let mut bim = Vec::with_capacity(m);
    let mut g = vec![0i8; n];
    // The binary trait's liability is drawn first so that the separating edge case can use it.
    let case_noise: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    let mut is_case = vec![false; n];
    for j in 0..m {
        let maf = 0.02 + 0.48 * rng.uniform();
        let alt_minor = j % 2 == 0;
        let p_alt = if alt_minor { maf } else { 1.0 - maf };
        for (i, gi) in g.iter_mut().enumerate() {
            let d = u8::from(rng.uniform() < p_alt) + u8::from(rng.uniform() < p_alt);
            *gi = if rng.uniform() < miss { -1 } else { d as i8 };
            let _ = i;
        }
        match j {
            0 => g.iter_mut().for_each(|x| *x = 0),
            1 => g.iter_mut().for_each(|x| *x = 1),
            2 => g
                .iter_mut()
                .zip(&sex)
                .for_each(|(x, s)| *x = (*s - 1.0) as i8),
            3 => g
                .iter_mut()
                .enumerate()
                .for_each(|(i, x)| *x = if i < 6 { (i % 3) as i8 } else { -1 }),
            4 if j < m => g
                .iter_mut()
                .enumerate()
                .for_each(|(i, x)| *x = i8::from(i % 7 == 0 && is_case[i])),
            _ => {}
        }
        if j == 3 {
            // Decide case status once the first variants are drawn: it depends on
            // covariates and variant 5 onwards only through lin_b below, so draw it here from
            // covariates alone and add genetic effects afterwards.
            for i in 0..n {
                let l = -0.3 + 0.03 * (age[i] - 60.0) + 0.4 * pcs[i][0];
                is_case[i] = case_noise[i] < 1.0 / (1.0 + (-l).exp());
            }
        }
        bed.write_variant(&g)?;
        let chrom = if j < m / 2 { "1" } else { "2" };
        let pos = 10_000 + 1_000 * (j as i64 % (m as i64 / 2).max(1));
        let (alt, reference) = if j % 3 == 0 { ("A", "G") } else { ("C", "T") };
        bim.push(BimRecord {
            chrom: chrom.into(),
            id: format!("rs{}", 100 + j),
            cm: 0.0,
            pos,
            alt: alt.into(),
            reference: reference.into(),
        });
        let effect_every = 50;
        if j >= 5 && j % effect_every == 0 || j == 5 {
            for (q, lin) in lin_q.iter_mut().enumerate() {
                if q == 2 {
                    continue; // q3 is null
                }
                // Variant 5 has a huge effect on q1 (p far below the double range); the
                // other phenotypes see it as an ordinary planted variant.
                let size = match (j, q) {
                    (5, 0) => 12.0,
                    _ => 0.25,
                };
                for i in 0..n {
                    if g[i] >= 0 {
                        lin[i] += size * g[i] as f64;
                    }
                }
            }
            if j != 5 {
                for i in 0..n {
                    if g[i] >= 0 {
                        lin_b[i] += 0.5 * g[i] as f64;
                    }
                }
            }
        }
    }
    bed.finish()?;
    write_bim(&path(".bim"), &bim)?;
    let fam: Vec<FamRecord> = (0..n)
        .map(|i| FamRecord {
            fid: format!("f{i}"),
            iid: format!("s{i}"),
            father: "0".into(),
            mother: "0".into(),
            sex: sex[i] as u8,
            phenotype: None,
        })
        .collect();
    write_fam(&path(".fam"), &fam)?;

    let mut ph = std::io::BufWriter::new(std::fs::File::create(path(".pheno"))?);
    write!(ph, "#FID\tIID")?;
    for q in 0..n_q {
        write!(ph, "\tq{}", q + 1)?;
    }
    writeln!(ph, "\tb1")?;
    for i in 0..n {
        write!(ph, "f{i}\ts{i}")?;
        for (q, lin) in lin_q.iter().enumerate() {
            let y = lin[i] + 0.02 * (age[i] - 60.0) + 0.3 * pcs[i][1] + rng.normal();
            if q == 1 && rng.uniform() < 0.03 {
                write!(ph, "\tNA")?;
            } else {
                write!(ph, "\t{y:.6}")?;
            }
        }
        // Genetic effects shift the odds on top of the covariate-only draw.
        let extra = 1.0 / (1.0 + (-(lin_b[i] - 1.0)).exp());
        let case = is_case[i] || rng.uniform() < 0.3 * extra;
        writeln!(ph, "\t{}", if case { 2 } else { 1 })?;
    }
    let mut cv = std::io::BufWriter::new(std::fs::File::create(path(".covar"))?);
    writeln!(cv, "#FID\tIID\tage\tsex\tpc1\tpc2\tpc3")?;
    for i in 0..n {
        let a = if rng.uniform() < 0.005 {
            "NA".to_string()
        } else {
            format!("{:.3}", age[i])
        };
        writeln!(
            cv,
            "f{i}\ts{i}\t{a}\t{}\t{:.6}\t{:.6}\t{:.6}",
            sex[i], pcs[i][0], pcs[i][1], pcs[i][2]
        )?;
    }
    Ok(())
}
