//! The per-phenotype summary of a scan, kept in memory independent of the number of
//! variants: counts per ERRCODE, a 65,536-bin histogram of p for λGC (the median p is
//! interpolated inside its bin, good to about 1e-4 relative in λGC), and the ten smallest
//! p-values.

use std::collections::BTreeMap;

use super::TestResult;

const BINS: usize = 1 << 16;
const TOP: usize = 10;

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
    hist: Vec<u32>,
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
            hist: vec![0; BINS],
            top: Vec::new(),
        }
    }

    /// Adds one result.
    pub fn add(&mut self, r: &TestResult, hit: impl FnOnce() -> TopHit) {
        if let Some(e) = r.err {
            *self.errors.entry(e.as_str()).or_default() += 1;
            return;
        }
        self.tested += 1;
        if r.firth == Some(true) {
            self.firth += 1;
        }
        let p = r.ln_p.exp();
        self.hist[((p * BINS as f64) as usize).min(BINS - 1)] += 1;
        let log10p = super::format::log10p(r.ln_p);
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
        if self.tested == 0 {
            return None;
        }
        let target = self.tested as f64 / 2.0;
        let mut cum = 0.0;
        for (b, &c) in self.hist.iter().enumerate() {
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
