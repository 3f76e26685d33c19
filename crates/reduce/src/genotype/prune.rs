//! LD pruning by a window of variants and an r² threshold, in one sequential pass: a variant
//! is kept when its squared correlation with every variant already kept among the previous
//! `window` variants of the same chromosome is at most `r2`. Correlations are taken over all
//! samples with missing calls mean-imputed. This greedy rule differs from PLINK's
//! `--indep-pairwise` (which removes the lower-MAF member of each offending pair within
//! sliding windows), so the kept sets are similar, not identical; the kept variant IDs are
//! written out so the same set can be handed to plink2 with `--extract`.

use std::collections::VecDeque;

use biomarker_tables::plink::{BedReader, BimRecord};
use rayon::prelude::*;

use super::standardize::{standardize_into, variant_stats};
use crate::error::{ReduceError, Result};

/// Pruning settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LdPruneOptions {
    /// Window length in variants (≥ 2).
    pub window: usize,
    /// Largest squared correlation allowed between two kept variants in a window.
    pub r2: f64,
}

impl LdPruneOptions {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if self.window < 2 || !(self.r2 > 0.0 && self.r2 < 1.0) {
            return Err(ReduceError::input(
                "LD pruning",
                format!(
                    "window {} and r² {} : expected a window of at least 2 variants and 0 < r² < 1",
                    self.window, self.r2
                ),
            ));
        }
        Ok(())
    }
}

/// Returns which variants of `bed` survive pruning (monomorphic ones never do).
pub fn ld_prune(
    bed: &BedReader,
    variants: &[BimRecord],
    options: LdPruneOptions,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<bool>> {
    options.validate()?;
    let n = bed.n_samples();
    let mut keep = vec![false; bed.n_variants()];
    // Kept variants in the window: (index, unit-length centred genotypes).
    let mut window: VecDeque<(usize, Vec<f64>)> = VecDeque::new();
    let mut packed = Vec::new();
    let mut column = vec![0.0; n];
    for j in 0..bed.n_variants() {
        bed.read_packed(j, 1, &mut packed)?;
        progress(1);
        let stats = variant_stats(&packed, n);
        if !stats.is_polymorphic() {
            continue;
        }
        // Mean-imputed standardized values have mean zero, so normalizing gives unit length.
        standardize_into(&packed, stats, &mut column);
        let norm = column.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        column.iter_mut().for_each(|v| *v /= norm);
        while window.front().is_some_and(|(i, _)| {
            j - i >= options.window || variants[*i].chrom != variants[j].chrom
        }) {
            window.pop_front();
        }
        let linked = window.par_iter().any(|(_, other)| {
            other
                .iter()
                .zip(&column)
                .map(|(a, b)| a * b)
                .sum::<f64>()
                .powi(2)
                > options.r2
        });
        if !linked {
            keep[j] = true;
            window.push_back((j, column.clone()));
        }
    }
    Ok(keep)
}
