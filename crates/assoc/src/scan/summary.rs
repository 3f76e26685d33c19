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
#[derive(Debug, Clone)]
pub struct PHistogram {
    bins: Vec<u32>,
    count: usize,
}

impl Default for PHistogram {
    fn default() -> Self {
        Self {
            bins: vec![0; BINS],
            count: 0,
        }
    }
}

impl PHistogram {
    /// Counts one p-value.
    pub fn add(&mut self, p: f64) {
        self.bins[((p * BINS as f64) as usize).min(BINS - 1)] += 1;
        self.count += 1;
    }

    /// Genomic inflation λGC: the χ²(1) quantile of the median p (interpolated inside its
    /// bin) over [`biomarker_stats::LAMBDA_GC_MEDIAN`]; None before any p-value.
    pub fn lambda_gc(&self) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let target = self.count as f64 / 2.0;
        let mut cum = 0.0;
        for (b, &c) in self.bins.iter().enumerate() {
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
