//! Scan options, validated once when built: which files, which phenotypes and covariates,
//! which samples and variants, which allele is tested and how results are written.

use std::path::PathBuf;
use std::str::FromStr;

use crate::error::AssocError;

/// Which allele of each variant is tested (A1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum A1Choice {
    /// The minor allele among the samples kept (REF when frequencies tie), as PLINK 2.
    #[default]
    Minor,
    /// Always the ALT allele (.bim column 5), as PLINK 2's `omit-ref`.
    Alt,
    /// Always the REF allele (.bim column 6).
    Ref,
}

impl FromStr for A1Choice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "minor" => Ok(Self::Minor),
            "alt" => Ok(Self::Alt),
            "ref" => Ok(Self::Ref),
            _ => Err(format!("expected minor, alt or ref, found {s:?}")),
        }
    }
}

/// Layout of the per-phenotype text files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// PLINK 2 `.glm.linear` / `.glm.logistic.hybrid`.
    #[default]
    Plink2,
    /// REGENIE step 2 (`.regenie`).
    Regenie,
    /// GWAS-SSF (GWAS Catalog summary statistics, `.tsv` + `-meta.yaml`).
    Ssf,
}

impl FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "plink2" => Ok(Self::Plink2),
            "regenie" => Ok(Self::Regenie),
            "ssf" => Ok(Self::Ssf),
            _ => Err(format!("expected plink2, regenie or ssf, found {s:?}")),
        }
    }
}

/// A chromosome interval, inclusive on both ends (`chr:from-to`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Chromosome code as in the .bim.
    pub chrom: String,
    /// First base-pair position.
    pub from: i64,
    /// Last base-pair position.
    pub to: i64,
}

impl FromStr for Region {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("expected chr:from-to (e.g. 19:45000000-46000000), found {s:?}");
        let (chrom, range) = s.split_once(':').ok_or_else(bad)?;
        let (from, to) = range.split_once('-').ok_or_else(bad)?;
        let num = |t: &str| t.replace(',', "").parse::<i64>().map_err(|_| bad());
        let (from, to) = (num(from)?, num(to)?);
        if chrom.is_empty() || from > to || from < 0 {
            return Err(bad());
        }
        Ok(Self {
            chrom: chrom.into(),
            from,
            to,
        })
    }
}

/// Parses `K/N` (1-based chunk K of N).
pub fn parse_chunk(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("expected K/N with 1 ≤ K ≤ N (e.g. 3/10), found {s:?}");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// Everything a scan needs.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// PLINK file set prefix.
    pub bfile: PathBuf,
    /// Phenotype file.
    pub pheno: PathBuf,
    /// Phenotype columns to test (empty: all).
    pub pheno_names: Vec<String>,
    /// Covariate file.
    pub covar: Option<PathBuf>,
    /// Covariate columns to use (empty: all).
    pub covar_names: Vec<String>,
    /// Keep only these samples (`FID IID` or `IID` per line).
    pub keep: Option<PathBuf>,
    /// Remove these samples.
    pub remove: Option<PathBuf>,
    /// Minimum minor-allele frequency among kept samples.
    pub maf: Option<f64>,
    /// Maximum missing-call rate among kept samples.
    pub geno: Option<f64>,
    /// Chromosomes to scan (empty: all).
    pub chr: Vec<String>,
    /// Region to scan.
    pub region: Option<Region>,
    /// Chunk K of N (1-based) of the selected variants, contiguous in .bim order.
    pub chunk: Option<(usize, usize)>,
    /// Only the variants on these .bim lines (0-based, half-open `start..end`): one range of
    /// a chunk plan. Applied after `chr`/`region` and instead of the equal split of `chunk`.
    pub variant_range: Option<(usize, usize)>,
    /// Which allele is A1.
    pub a1: A1Choice,
    /// Use Firth for every logistic regression, not only as fallback.
    pub firth_always: bool,
    /// Variants per block.
    pub block: usize,
    /// Correlation limit between predictors (PLINK 2's `--max-corr`).
    pub max_corr: f64,
    /// VIF limit (PLINK 2's `--vif`).
    pub max_vif: f64,
    /// Output folder.
    pub out: PathBuf,
    /// Layout of the per-phenotype text files.
    pub format: OutputFormat,
}

impl ScanConfig {
    /// A configuration with PLINK 2's defaults.
    pub fn new(bfile: PathBuf, pheno: PathBuf, out: PathBuf) -> Self {
        Self {
            bfile,
            pheno,
            pheno_names: Vec::new(),
            covar: None,
            covar_names: Vec::new(),
            keep: None,
            remove: None,
            maf: None,
            geno: None,
            chr: Vec::new(),
            region: None,
            chunk: None,
            variant_range: None,
            a1: A1Choice::Minor,
            firth_always: false,
            block: 1024,
            max_corr: 0.999,
            max_vif: 50.0,
            out,
            format: OutputFormat::Plink2,
        }
    }

    /// Checks ranges and combinations.
    pub fn validate(&self) -> Result<(), AssocError> {
        if let Some(m) = self.maf {
            if !(0.0..=0.5).contains(&m) {
                return Err(AssocError::Option(format!(
                    "--maf must be in [0, 0.5], found {m}"
                )));
            }
        }
        if let Some(g) = self.geno {
            if !(0.0..=1.0).contains(&g) {
                return Err(AssocError::Option(format!(
                    "--geno must be in [0, 1], found {g}"
                )));
            }
        }
        if let Some((start, end)) = self.variant_range {
            if start >= end {
                return Err(AssocError::Option(format!(
                    "the variant range {start}..{end} is empty"
                )));
            }
        }
        if self.block == 0 {
            return Err(AssocError::Option("--block must be at least 1".into()));
        }
        if !(self.max_corr > 0.0 && self.max_corr <= 1.0) || self.max_vif <= 1.0 {
            return Err(AssocError::Option(
                "the correlation limit must be in (0, 1] and the VIF limit above 1".into(),
            ));
        }
        Ok(())
    }
}
