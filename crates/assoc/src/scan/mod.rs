//! Genome-wide association scans over PLINK .bed/.bim/.fam files with PLINK 2 `--glm`
//! semantics (A1 = minor allele unless told otherwise, missing calls dropped per variant,
//! ERRCODEs instead of silent NA, Firth fallback for logistic models, p-values in log space).
//!
//! The scan streams blocks of variants (memory O(samples × block)) and tests every
//! phenotype in one pass: phenotypes with the same missingness pattern share one covariate
//! projection, and those lacking only a few of a group's samples join it ([`model`]), each
//! thread takes a tile of variants ([`tile`]) whose dosages the
//! linear models meet in one dense, vectorised product with the covariate basis and the
//! residualised phenotypes ([`kernel`]; rare variants go through the sparse carrier lists of
//! [`geno`]), plus a small correction for missing calls ([`linear`]); logistic models run
//! IRLS warm-started from the covariate-only fit ([`binary`]). [`output`] writes the GwasTable and PLINK 2,
//! REGENIE or GWAS-SSF text files, atomically. [`plan`] splits a scan into chunks for a
//! cluster and [`merge`] joins the chunks' outputs into those of the unsplit scan.

pub mod binary;
pub mod checks;
pub mod config;
pub mod format;
pub mod geno;
pub mod input;
pub mod kernel;
pub mod linear;
pub mod merge;
pub mod missing;
pub mod model;
pub mod output;
pub mod plan;
pub mod record;
pub mod run;
pub mod summary;
pub mod table;
pub mod tile;

pub use config::{A1Choice, OutputFormat, Region, ScanConfig};
pub use input::Selection;
pub use plan::{ChunkPlan, ChunkRange};
pub use run::{scan, ScanReport};
pub use summary::{PhenoSummary, TopHit};

/// Why a variant could not be tested for a phenotype (PLINK 2's ERRCODE column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrCode {
    /// Too few samples with calls for the number of predictors.
    SampleCtLtePredictorCt,
    /// The genotype is constant among the samples tested.
    ConstOmittedAllele,
    /// Two predictors correlate beyond the limit (|r| > 0.999).
    CorrTooHigh,
    /// The predictor correlation matrix is singular.
    VifInfinite,
    /// A predictor's variance inflation factor exceeds the limit (50).
    VifTooHigh,
    /// Logistic regression did not converge and Firth was not allowed.
    LogisticConvergeFail,
    /// Firth regression did not converge.
    FirthConvergeFail,
    /// The fit produced a non-finite or zero standard error.
    InvalidResult,
}

impl ErrCode {
    /// The text PLINK 2 prints.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrCode::SampleCtLtePredictorCt => "SAMPLE_CT<=PREDICTOR_CT",
            ErrCode::ConstOmittedAllele => "CONST_OMITTED_ALLELE",
            ErrCode::CorrTooHigh => "CORR_TOO_HIGH",
            ErrCode::VifInfinite => "VIF_INFINITE",
            ErrCode::VifTooHigh => "VIF_TOO_HIGH",
            ErrCode::LogisticConvergeFail => "LOGISTIC_CONVERGE_FAIL",
            ErrCode::FirthConvergeFail => "FIRTH_CONVERGE_FAIL",
            ErrCode::InvalidResult => "INVALID_RESULT",
        }
    }
}

/// One variant × phenotype result, before it is joined with the variant's .bim fields.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// Samples in the regression (with a call, the phenotype and every covariate).
    pub obs_ct: usize,
    /// A1 frequency among those samples.
    pub a1_freq: f64,
    /// Effect per A1 allele (log OR for logistic models); NaN when not tested.
    pub beta: f64,
    /// Standard error of `beta`.
    pub se: f64,
    /// t (linear) or Wald Z (logistic).
    pub stat: f64,
    /// Natural log of the two-sided p-value.
    pub ln_p: f64,
    /// The two-sided p-value: `exp(ln_p)` to a few ulps, 0 where that underflows.
    pub p: f64,
    /// Logistic only: whether Firth regression produced the estimate.
    pub firth: Option<bool>,
    /// Why it was not tested.
    pub err: Option<ErrCode>,
}

impl TestResult {
    /// A result for a variant that could not be tested.
    pub fn failed(obs_ct: usize, a1_freq: f64, firth: Option<bool>, err: ErrCode) -> Self {
        Self {
            obs_ct,
            a1_freq,
            beta: f64::NAN,
            se: f64::NAN,
            stat: f64::NAN,
            ln_p: f64::NAN,
            p: f64::NAN,
            firth,
            err: Some(err),
        }
    }
}
