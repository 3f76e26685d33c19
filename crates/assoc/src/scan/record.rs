//! What a scan records about itself in its run manifest's `summary`, and what `merge` reads
//! back: the identity hash of its inputs and parameters, which chunk it is and where that
//! chunk lies in the unsplit scan's selection, and the per-phenotype summaries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::run::ScanReport;

/// Parameters that may differ between the chunks of one scan: which chunk, where it is
/// written, how it is computed (threads, block size) and where the inputs lie (their
/// contents enter the hash instead).
pub const HASH_IGNORES: &[&str] = &[
    "chunk", "chunks", "out", "threads", "block", "bfile", "pheno", "covar", "keep", "remove",
];

/// The identity of a scan's result: SHA-256 (hex) of the tool version, every parameter that
/// changes the result (`parameters` minus [`HASH_IGNORES`]) and the SHA-256 of each input by
/// role (`bed`, `bim`, `fam`, `pheno`, `covar`, `keep`, `remove`). Chunks of one scan share it.
pub fn scan_hash(version: &str, parameters: &serde_json::Value, inputs: &[(&str, &str)]) -> String {
    let mut params = parameters.as_object().cloned().unwrap_or_default();
    for key in HASH_IGNORES {
        params.remove(*key);
    }
    // serde_json's map is ordered by key, so this text is canonical.
    let canonical = serde_json::json!({
        "version": version,
        "parameters": params,
        "inputs": inputs.iter().map(|(role, sha)| serde_json::json!([role, sha])).collect::<Vec<_>>(),
    });
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Which chunk of how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkId {
    /// 1-based chunk number.
    pub k: usize,
    /// Number of chunks.
    pub n: usize,
}

/// Positions `start..end` of a selection of `total` variants (see [`super::Selection`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionRecord {
    /// Variants the unsplit scan selects.
    pub total: usize,
    /// First position of this chunk.
    pub start: usize,
    /// One past its last position.
    pub end: usize,
}

/// One of a phenotype's strongest associations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopRecord {
    /// Variant ID.
    pub id: String,
    /// Chromosome.
    pub chrom: String,
    /// Position.
    pub pos: i64,
    /// Tested allele.
    pub a1: String,
    /// Effect of A1 (log OR for logistic models).
    pub beta: Option<f64>,
    /// −log10 p.
    pub log10p: f64,
}

/// A phenotype's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhenoRecord {
    /// Name.
    pub phenotype: String,
    /// `linear` or `logistic`.
    pub model: String,
    /// Samples with the phenotype and every covariate.
    pub samples: usize,
    /// Variants tested.
    pub tested: usize,
    /// Variants that used Firth regression.
    pub firth: usize,
    /// Variants not tested, per ERRCODE.
    pub errcodes: BTreeMap<String, usize>,
    /// λGC, from a histogram of the p-values (good to ~1e-4 relative); merge fills the same
    /// histogram from the chunks, so a merged scan reports the unsplit scan's value.
    pub lambda_gc: Option<f64>,
    /// Strongest associations, smallest p first.
    pub top: Vec<TopRecord>,
}

/// The `summary` of a scan's (or a merge's) run manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanSummary {
    /// See [`scan_hash`].
    pub scan_hash: String,
    /// This chunk; None for an unsplit scan.
    pub chunk: Option<ChunkId>,
    /// Where this chunk lies in the unsplit selection.
    pub selection: SelectionRecord,
    /// Samples kept.
    pub samples: usize,
    /// Variants selected (this chunk's).
    pub variants_selected: usize,
    /// Variants tested.
    pub variants_tested: usize,
    /// Phenotype groups.
    pub phenotype_groups: usize,
    /// Covariate design columns.
    pub covariates: Vec<String>,
    /// Per phenotype, in phenotype order.
    pub phenotypes: Vec<PhenoRecord>,
}

impl ScanSummary {
    /// The summary of a finished scan.
    pub fn of(report: &ScanReport, scan_hash: String, chunk: Option<(usize, usize)>) -> Self {
        Self {
            scan_hash,
            chunk: chunk.map(|(k, n)| ChunkId { k, n }),
            selection: SelectionRecord {
                total: report.selection.total,
                start: report.selection.start,
                end: report.selection.end,
            },
            samples: report.samples,
            variants_selected: report.variants_selected,
            variants_tested: report.variants_tested,
            phenotype_groups: report.groups,
            covariates: report.covariates.clone(),
            phenotypes: report
                .phenos
                .iter()
                .map(|s| PhenoRecord {
                    phenotype: s.name.clone(),
                    model: s.model.into(),
                    samples: s.samples,
                    tested: s.tested,
                    firth: s.firth,
                    errcodes: s.errors.iter().map(|(k, v)| ((*k).into(), *v)).collect(),
                    lambda_gc: s.lambda_gc(),
                    top: s
                        .top
                        .iter()
                        .map(|t| TopRecord {
                            id: t.id.clone(),
                            chrom: t.chrom.clone(),
                            pos: t.pos,
                            a1: t.a1.clone(),
                            beta: t.beta.is_finite().then_some(t.beta),
                            log10p: t.log10p,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_ignores_chunk_and_paths_but_not_results_parameters() {
        let a = serde_json::json!({"chunk": "1/3", "out": "a", "maf": 0.01, "bfile": "x"});
        let b = serde_json::json!({"chunk": "2/3", "out": "b", "maf": 0.01, "bfile": "/y/x"});
        let c = serde_json::json!({"chunk": "2/3", "out": "b", "maf": 0.05, "bfile": "x"});
        let inputs = [("bed", "00"), ("bim", "11")];
        let h = scan_hash("0.1.0", &a, &inputs);
        assert_eq!(h.len(), 64);
        assert_eq!(h, scan_hash("0.1.0", &b, &inputs));
        assert_ne!(h, scan_hash("0.1.0", &c, &inputs));
        assert_ne!(h, scan_hash("0.1.1", &a, &inputs));
        assert_ne!(h, scan_hash("0.1.0", &a, &[("bed", "00"), ("bim", "12")]));
    }
}
