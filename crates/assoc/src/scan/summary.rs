//! The per-phenotype summary of a scan, kept in memory independent of the number of
//! variants: counts per ERRCODE, a 65,536-bin histogram of p for λGC ([`PHistogram`]: the
//! median p is interpolated inside its bin, good to about 1e-4 relative in λGC), and the ten
//! smallest p-values. `merge` fills the same histogram from the chunks' tables, so a merged
//! scan reports the λGC of the unsplit one.

use std::collections::BTreeMap;

use super::TestResult;

const BINS: usize = 1 << 16;
const TOP: usize = 10;

/// A histogram of p-values in 65,536 equal bins on [0, 1]: λGC in constant memory. The
/// counts do not depend on the order the p-values come in.
///
/// The bins (256 KB) of dozens of phenotypes outgrow the cache, and counting one p-value at a
/// time waited for a line from memory at every count. Bins are therefore counted in batches:
/// one pass reads every bin the batch needs (independent loads, which the processor overlaps),
/// the next increments them in the cache.
#[derive(Debug, Clone)]
pub struct PHistogram {
    bins: Vec<u32>,
    count: usize,
    /// Bins of p-values counted in `count` but not yet in `bins`.
    pending: Vec<u32>,
}

/// p-values per batch.
const BATCH: usize = 1024;

impl Default for PHistogram {
    fn default() -> Self {
        Self {
            bins: vec![0; BINS],
            count: 0,
            pending: Vec::with_capacity(BATCH),
        }
    }
}

impl PHistogram {
    /// Counts one p-value.
    pub fn add(&mut self, p: f64) {
        self.pending
            .push(((p * BINS as f64) as usize).min(BINS - 1) as u32);
        self.count += 1;
        if self.pending.len() == BATCH {
            Self::count_into(&mut self.bins, &self.pending);
            self.pending.clear();
        }
    }

    /// Adds one to each bin of `batch`, having first read them all.
    fn count_into(bins: &mut [u32], batch: &[u32]) {
        let touched = batch
            .iter()
            .fold(0u32, |s, &b| s.wrapping_add(bins[b as usize]));
        std::hint::black_box(touched);
        for &b in batch {
            bins[b as usize] += 1;
        }
    }

    /// Genomic inflation λGC: the χ²(1) quantile of the median p (interpolated inside its
    /// bin) over [`biomarker_stats::LAMBDA_GC_MEDIAN`]; None before any p-value.
    pub fn lambda_gc(&self) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let mut bins = std::borrow::Cow::Borrowed(&self.bins);
        if !self.pending.is_empty() {
            Self::count_into(bins.to_mut(), &self.pending);
        }
        let target = self.count as f64 / 2.0;
        let mut cum = 0.0;
        for (b, &c) in bins.iter().enumerate() {
            let c = c as f64;
            if c > 0.0 && cum + c >= target {
                let p = (b as f64 + (target - cum) / c) / BINS as f64;
                let chi = biomarker_stats::chi2_isf_ln(p.ln(), 1.0);
                return Some(chi / biomarker_stats::LAMBDA_GC_MEDIAN);
            }
            cum += c;
        }
        None
    }
}

/// One of the strongest associations of a phenotype.
#[derive(Debug, Clone, PartialEq)]
pub struct TopHit {
    /// Variant ID.
    pub id: String,
    /// Chromosome.
    pub chrom: String,
    /// Position.
    pub pos: i64,
    /// −log10 p.
    pub log10p: f64,
    /// Effect of A1.
    pub beta: f64,
    /// The tested allele.
    pub a1: String,
}

/// What a scan found for one phenotype.
#[derive(Debug, Clone)]
pub struct PhenoSummary {
    /// Phenotype name.
    pub name: String,
    /// `linear` or `logistic`.
    pub model: &'static str,
    /// Samples with the phenotype and every covariate.
    pub samples: usize,
    /// Variants with a test result.
    pub tested: usize,
    /// Variants that used Firth regression.
    pub firth: usize,
    /// Variants not tested, per ERRCODE.
    pub errors: BTreeMap<&'static str, usize>,
    hist: PHistogram,
    /// Strongest associations, smallest p first.
    pub top: Vec<TopHit>,
}

impl PhenoSummary {
    /// An empty summary.
    pub fn new(name: String, model: &'static str, samples: usize) -> Self {
        Self {
            name,
            model,
            samples,
            tested: 0,
            firth: 0,
            errors: BTreeMap::new(),
            hist: PHistogram::default(),
            top: Vec::new(),
        }
    }

    /// Adds one result, whose p and −log10 p are `p` and `log10p`.
    pub fn add(&mut self, r: &TestResult, p: f64, log10p: f64, hit: impl FnOnce() -> TopHit) {
        if let Some(e) = r.err {
            *self.errors.entry(e.as_str()).or_default() += 1;
            return;
        }
        self.tested += 1;
        if r.firth == Some(true) {
            self.firth += 1;
        }
        self.hist.add(p);
        if self.top.len() < TOP || log10p > self.top[TOP - 1].log10p {
            let mut h = hit();
            h.log10p = log10p;
            let at = self.top.partition_point(|t| t.log10p >= log10p);
            self.top.insert(at, h);
            self.top.truncate(TOP);
        }
    }

    /// Genomic inflation λGC from the p-value histogram; None before any test.
    pub fn lambda_gc(&self) -> Option<f64> {
        self.hist.lambda_gc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// λGC from counts made one at a time, as the histogram's formula reads them.
    fn lambda_of(ps: &[f64]) -> f64 {
        let mut bins = vec![0u32; BINS];
        for &p in ps {
            bins[((p * BINS as f64) as usize).min(BINS - 1)] += 1;
        }
        let target = ps.len() as f64 / 2.0;
        let mut cum = 0.0;
        for (b, &c) in bins.iter().enumerate() {
            let c = c as f64;
            if c > 0.0 && cum + c >= target {
                let p = (b as f64 + (target - cum) / c) / BINS as f64;
                return biomarker_stats::chi2_isf_ln(p.ln(), 1.0)
                    / biomarker_stats::LAMBDA_GC_MEDIAN;
            }
            cum += c;
        }
        unreachable!("a median")
    }

    #[test]
    fn batched_counts_give_the_lambda_of_single_counts() {
        // Two whole batches and a part: the part is counted only when λGC is asked for.
        let ps: Vec<f64> = (0..2 * BATCH + 377)
            .map(|i| ((i * 7919) % 10_007) as f64 / 10_007.0 * 0.9)
            .chain([1.0, 0.0])
            .collect();
        let mut h = PHistogram::default();
        for &p in &ps {
            h.add(p);
        }
        assert_eq!(h.lambda_gc(), Some(lambda_of(&ps)));
        assert!(
            (h.lambda_gc().unwrap() - 1.0).abs() > 0.01,
            "not a trivial λ"
        );
        // The order the p-values come in changes nothing.
        let mut r = PHistogram::default();
        for &p in ps.iter().rev() {
            r.add(p);
        }
        assert_eq!(r.lambda_gc(), h.lambda_gc());
        assert_eq!(PHistogram::default().lambda_gc(), None);
    }
}
