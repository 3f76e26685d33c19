//! A structured cohort for genotype PCA tests and benchmarks: subpopulations of different
//! sizes whose allele frequencies drift by different amounts from shared ancestral
//! frequencies, so the top PCs separate them with distinct eigenvalues. Only uniform draws
//! of ChaCha8 are used, so the files are the same on every machine and rand version.

use std::path::Path;

use biomarker_tables::plink::{
    fileset_paths, write_bim, write_fam, BedWriter, BimRecord, FamRecord,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Cohort shape.
pub struct Cohort {
    /// Samples.
    pub samples: usize,
    /// Variants.
    pub variants: usize,
    /// Relative sizes of the subpopulations.
    pub populations: Vec<f64>,
    /// Largest frequency shift of each subpopulation.
    pub drift: Vec<f64>,
    /// Probability that a call is missing.
    pub missing: f64,
    /// Random seed.
    pub seed: u64,
}

impl Cohort {
    /// Seven subpopulations of unequal sizes and drifts: six structure PCs.
    pub fn structured(samples: usize, variants: usize, missing: f64, seed: u64) -> Self {
        Self {
            samples,
            variants,
            populations: vec![0.25, 0.2, 0.16, 0.13, 0.11, 0.09, 0.06],
            drift: vec![0.05, 0.3, 0.12, 0.22, 0.17, 0.26, 0.09],
            missing,
            seed,
        }
    }

    /// Writes `prefix.{bed,bim,fam}`; returns each sample's subpopulation.
    pub fn write(&self, prefix: &Path) -> Vec<usize> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let total: f64 = self.populations.iter().sum();
        let mut pop = Vec::with_capacity(self.samples);
        let mut acc = 0.0;
        for (k, w) in self.populations.iter().enumerate() {
            acc += w / total;
            let upto = if k + 1 == self.populations.len() {
                self.samples
            } else {
                (acc * self.samples as f64).round() as usize
            };
            while pop.len() < upto {
                pop.push(k);
            }
        }
        let [bed, bim, fam] = fileset_paths(prefix);
        let fam_rows: Vec<FamRecord> = (0..self.samples)
            .map(|i| FamRecord {
                fid: format!("pop{}", pop[i]),
                iid: format!("s{i:05}"),
                father: "0".into(),
                mother: "0".into(),
                sex: 0,
                phenotype: None,
            })
            .collect();
        write_fam(&fam, &fam_rows).unwrap();
        let mut bim_rows = Vec::with_capacity(self.variants);
        let mut writer = BedWriter::create(&bed, self.samples).unwrap();
        let mut calls = vec![0i8; self.samples];
        let mut freqs = vec![0.0; self.populations.len()];
        let mut j = 0;
        while j < self.variants {
            let ancestral = 0.1 + 0.8 * rng.random::<f64>();
            for (f, d) in freqs.iter_mut().zip(&self.drift) {
                *f = (ancestral + d * (2.0 * rng.random::<f64>() - 1.0)).clamp(0.01, 0.99);
            }
            let mut alt = 0;
            for (slot, &k) in calls.iter_mut().zip(&pop) {
                let g = i8::from(rng.random::<f64>() < freqs[k])
                    + i8::from(rng.random::<f64>() < freqs[k]);
                alt += i32::from(g);
                *slot = if rng.random::<f64>() < self.missing {
                    -1
                } else {
                    g
                };
            }
            // Keep only clearly polymorphic variants, so every tool uses the same set.
            if alt < 10 || alt > 2 * self.samples as i32 - 10 {
                continue;
            }
            writer.write_variant(&calls).unwrap();
            bim_rows.push(BimRecord {
                chrom: (1 + j * 22 / self.variants).to_string(),
                id: format!("v{j}"),
                cm: 0.0,
                pos: 1000 + 100 * j as i64,
                alt: "A".into(),
                reference: "G".into(),
            });
            j += 1;
        }
        writer.finish().unwrap();
        write_bim(&bim, &bim_rows).unwrap();
        pop
    }
}
