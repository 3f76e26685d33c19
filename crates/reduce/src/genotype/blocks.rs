//! The standardized genotype matrix X (samples × selected variants) as a stream of blocks of
//! variants: each block is read from the .bed, decoded and standardized in parallel into one
//! reused column-major buffer, so memory is O(samples × block) whatever the variant count.

use biomarker_tables::plink::BedReader;
use faer::MatRef;
use rayon::prelude::*;

use super::standardize::{standardize_into, variant_stats, VariantStats};
use crate::error::Result;

/// Selected variants of a .bed with their frequencies, streamed block by block.
pub struct StandardizedBlocks<'a> {
    bed: &'a BedReader,
    /// Indices of the variants that enter X, increasing.
    selected: Vec<usize>,
    /// Statistics of each selected variant.
    stats: Vec<VariantStats>,
    block: usize,
}

impl<'a> StandardizedBlocks<'a> {
    /// X over the variants of `bed` for which `keep` holds and which are polymorphic (one
    /// pass over the file to count alleles). `progress` gets the number of variants read.
    pub fn new(
        bed: &'a BedReader,
        keep: &[bool],
        block: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Self> {
        let n = bed.n_samples();
        let per = bed.bytes_per_variant();
        let block = block.max(1);
        let mut selected = Vec::new();
        let mut stats = Vec::new();
        let mut packed = Vec::new();
        for first in (0..bed.n_variants()).step_by(block) {
            let count = block.min(bed.n_variants() - first);
            bed.read_packed(first, count, &mut packed)?;
            let found: Vec<(usize, VariantStats)> = packed
                .par_chunks(per)
                .enumerate()
                .filter(|(j, _)| keep[first + j])
                .map(|(j, codes)| (first + j, variant_stats(codes, n)))
                .filter(|(_, s)| s.is_polymorphic())
                .collect();
            for (j, s) in found {
                selected.push(j);
                stats.push(s);
            }
            progress(count);
        }
        Ok(Self {
            bed,
            selected,
            stats,
            block,
        })
    }

    /// Samples (rows of X).
    pub fn n_samples(&self) -> usize {
        self.bed.n_samples()
    }

    /// Variants in X (columns).
    pub fn n_variants(&self) -> usize {
        self.selected.len()
    }

    /// The .bed indices of the variants in X.
    pub fn selected(&self) -> &[usize] {
        &self.selected
    }

    /// Calls `f` with each block of X in order (an `n × b` column-major matrix) and the
    /// number of variants before it.
    pub fn for_each_block(&self, mut f: impl FnMut(usize, MatRef<'_, f64>)) -> Result<()> {
        let n = self.n_samples();
        let per = self.bed.bytes_per_variant();
        let mut buf = vec![0.0f64; n * self.block.min(self.selected.len().max(1))];
        let mut packed = Vec::new();
        for (b, chunk) in self.selected.chunks(self.block).enumerate() {
            let first = chunk[0];
            let last = chunk[chunk.len() - 1];
            // One read of the span the block covers (selected variants may have gaps).
            self.bed.read_packed(first, last - first + 1, &mut packed)?;
            let stats = &self.stats[b * self.block..b * self.block + chunk.len()];
            buf[..n * chunk.len()]
                .par_chunks_mut(n)
                .zip(chunk.par_iter().zip(stats))
                .for_each(|(out, (&j, &s))| {
                    standardize_into(&packed[(j - first) * per..(j - first + 1) * per], s, out)
                });
            f(
                b * self.block,
                MatRef::from_column_major_slice(&buf[..n * chunk.len()], n, chunk.len()),
            );
        }
        Ok(())
    }
}
