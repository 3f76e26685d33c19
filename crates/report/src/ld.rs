//! Linkage disequilibrium (r²) between variants of a PLINK .bed/.bim/.fam file set, for LD
//! clumping of top loci and colouring regional plots. Genotypes are decoded one variant at a
//! time on demand and cached up to a fixed memory budget, so memory stays bounded however
//! many variants are looked up.

use std::collections::HashMap;
use std::path::Path;

use biomarker_tables::plink::{Fileset, MISSING_CALL};

use crate::error::Result;

/// Bytes of decoded genotypes kept in the cache before it is emptied.
const CACHE_BYTES: usize = 256 << 20;

/// r² between two variants given as ALT counts (−1 = missing): the squared Pearson
/// correlation over the samples called at both, as `plink2 --r2-unphased` computes it from
/// hard calls. None when fewer than two samples are called at both or either is constant
/// there.
pub fn r2_of(a: &[i8], b: &[i8]) -> Option<f64> {
    let (mut n, mut sa, mut sb, mut saa, mut sbb, mut sab) = (0u64, 0i64, 0i64, 0i64, 0i64, 0i64);
    for (&x, &y) in a.iter().zip(b) {
        if x == MISSING_CALL || y == MISSING_CALL {
            continue;
        }
        let (x, y) = (i64::from(x), i64::from(y));
        n += 1;
        sa += x;
        sb += y;
        saa += x * x;
        sbb += y * y;
        sab += x * y;
    }
    if n < 2 {
        return None;
    }
    // Integer sums keep the centred cross-products exact.
    let n = n as i64;
    let cov = (n * sab - sa * sb) as f64;
    let va = (n * saa - sa * sa) as f64;
    let vb = (n * sbb - sb * sb) as f64;
    if va <= 0.0 || vb <= 0.0 {
        return None;
    }
    Some((cov * cov / (va * vb)).min(1.0))
}

/// Genotype access by variant for LD look-ups.
pub struct LdSource {
    fileset: Fileset,
    by_id: HashMap<String, usize>,
    by_pos: HashMap<(String, i64), usize>,
    cache: HashMap<usize, Vec<i8>>,
}

impl LdSource {
    /// Opens `prefix.{bed,bim,fam}`.
    pub fn open(prefix: &Path) -> Result<Self> {
        let fileset = Fileset::open(prefix)?;
        let mut by_id = HashMap::with_capacity(fileset.n_variants());
        let mut by_pos = HashMap::with_capacity(fileset.n_variants());
        for (i, v) in fileset.read_variants()?.into_iter().enumerate() {
            by_id.entry(v.id.clone()).or_insert(i);
            by_pos.entry((v.chrom.clone(), v.pos)).or_insert(i);
        }
        Ok(Self {
            fileset,
            by_id,
            by_pos,
            cache: HashMap::new(),
        })
    }

    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.fileset.samples.len()
    }

    /// The .bim row of a variant: by ID, else by chromosome and position.
    pub fn find(&self, id: &str, chrom: &str, pos: i64) -> Option<usize> {
        self.by_id
            .get(id)
            .or_else(|| self.by_pos.get(&(chrom.to_owned(), pos)))
            .copied()
    }

    fn load(&mut self, variant: usize) -> Result<()> {
        if self.cache.contains_key(&variant) {
            return Ok(());
        }
        let n = self.n_samples().max(1);
        if (self.cache.len() + 1) * n > CACHE_BYTES {
            self.cache.clear();
        }
        let mut g = vec![0i8; self.n_samples()];
        self.fileset.bed.read_alt_counts(variant, &mut g)?;
        self.cache.insert(variant, g);
        Ok(())
    }

    /// r² between two .bim rows (see [`r2_of`]).
    pub fn r2(&mut self, a: usize, b: usize) -> Result<Option<f64>> {
        if a == b {
            return Ok(Some(1.0));
        }
        self.load(a)?;
        self.load(b)?;
        Ok(r2_of(&self.cache[&a], &self.cache[&b]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r2_matches_hand_computed_values() {
        // identical and mirrored variants are in complete LD
        assert_eq!(r2_of(&[0, 1, 2, 1], &[0, 1, 2, 1]), Some(1.0));
        assert_eq!(r2_of(&[0, 1, 2, 1], &[2, 1, 0, 1]), Some(1.0));
        // x = 0 1 2 0 1 2, y = 0 0 1 1 2 2: r = 0.5 (numpy.corrcoef gives 0.25 for r²)
        let r2 = r2_of(&[0, 1, 2, 0, 1, 2], &[0, 0, 1, 1, 2, 2]).unwrap();
        assert!((r2 - 0.25).abs() < 1e-15, "{r2}");
        // missing calls drop the pair: the remaining samples are identical
        assert_eq!(r2_of(&[0, -1, 2, 1, 1], &[0, 0, 2, -1, 1]), Some(1.0));
        // constant variant
        assert_eq!(r2_of(&[1, 1, 1], &[0, 1, 2]), None);
        assert_eq!(r2_of(&[1, -1], &[0, 1]), None);
    }
}
