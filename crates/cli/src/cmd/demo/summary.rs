//! The demo's closing summary: the planted truth (truth.json) against what the study found.

use std::path::Path;

use anyhow::Context;
use biomarker_tables::{ComparisonTable, GwasRecord, GwasTable, MmdTable, TableKind};

use crate::cmd::run::config::StudyConfig;
use crate::cmd::run::StudyRun;

/// Genome-wide significance.
pub const GENOME_WIDE: f64 = 5e-8;
/// Half-width of the window around a causal variant in which a hit counts as finding it.
pub const WINDOW_BP: i64 = 250_000;

/// The strongest association near `chrom:pos` (±[`WINDOW_BP`]) among `phenos`.
pub fn best_near<'a>(
    gwas: &'a [GwasRecord],
    phenos: &[String],
    chrom: &str,
    pos: i64,
) -> Option<&'a GwasRecord> {
    gwas.iter()
        .filter(|r| r.test == "ADD" && r.chrom == chrom && (r.pos - pos).abs() <= WINDOW_BP)
        .filter(|r| phenos.contains(&r.pheno) && r.log10p.is_some())
        .max_by(|a, b| a.log10p.unwrap().total_cmp(&b.log10p.unwrap()))
}

/// Prints the summary of a finished demo study.
pub fn print(truth_path: &Path, cfg: &StudyConfig, study: &StudyRun) -> anyhow::Result<()> {
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(truth_path)
            .with_context(|| format!("reading {}", truth_path.display()))?,
    )
    .with_context(|| format!("parsing {}", truth_path.display()))?;
    let gwas = GwasTable::read(&study.gwas)?.records;
    let prefix = &cfg.data.volume_prefix;

    println!("planted causal variants (found: p < {GENOME_WIDE:.0e} within ±250 kb):");
    for c in truth["causal"].as_array().into_iter().flatten() {
        let id = c["id"].as_str().unwrap_or("?");
        let chrom = c["chrom"].as_str().unwrap_or("?");
        let pos = c["pos"].as_i64().unwrap_or(0);
        let effect = c["effect"].as_str().unwrap_or("?");
        let structures: Vec<&str> = c["structures"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str())
            .collect();
        // A volume variant should show in the volume scans; a shape variant only in the
        // deep PCs, so each is looked for where it can be found.
        let phenos: Vec<String> = structures
            .iter()
            .map(|s| match effect {
                "volume" => format!("{prefix}{s}"),
                _ => format!("{s}_PC1"),
            })
            .collect();
        let verdict = match best_near(&gwas, &phenos, chrom, pos) {
            Some(r) => {
                let lp = r.log10p.unwrap_or(0.0);
                format!(
                    "{:<9} best p {:.1e} ({} at {})",
                    if lp > -GENOME_WIDE.log10() {
                        "found"
                    } else {
                        "not found"
                    },
                    10f64.powf(-lp),
                    r.pheno,
                    r.id
                )
            }
            None => "not tested".into(),
        };
        // Simulated IDs are chrom:pos already; others (rsIDs) get their position added.
        let place = format!("{chrom}:{pos}");
        let name = if id == place {
            place
        } else {
            format!("{id} ({place})")
        };
        println!(
            "  {name:<16} {effect:<6} {:<38} {verdict}",
            structures.join(",")
        );
    }
    let null_hits = gwas
        .iter()
        .filter(|r| r.pheno == "null_trait" && r.p.is_some_and(|p| p < GENOME_WIDE))
        .count();
    if gwas.iter().any(|r| r.pheno == "null_trait") {
        println!("  null_trait (pure noise): {null_hits} variants with p < {GENOME_WIDE:.0e}");
    }

    let mmd = MmdTable::read(&study.mmd)?;
    println!("AD vs CN, MMD of the deep features (permutation p):");
    for r in mmd.records.iter().filter(|r| {
        let pair = [r.group_a.as_str(), r.group_b.as_str()];
        (pair == ["AD", "CN"] || pair == ["CN", "AD"]) && r.null_method == "permutation"
    }) {
        println!(
            "  {:<18} {:<9} p {:.4}{}",
            r.structure,
            r.estimator,
            r.p_value,
            r.p_adjusted
                .map_or(String::new(), |q| format!("  (adjusted {q:.4})"))
        );
    }

    if let Some(path) = &study.comparison {
        let t = ComparisonTable::read(path)?;
        println!("deep PC1 against volume (same covariates; AUC for case/control, else R²):");
        for r in &t.records {
            let (v, d) = match (r.auc_volume, r.auc_deep) {
                (Some(v), Some(d)) => (v, d),
                _ => (
                    r.r2_volume.unwrap_or(f64::NAN),
                    r.r2_deep.unwrap_or(f64::NAN),
                ),
            };
            println!(
                "  {:<18} {} volume {v:.3}  deep {d:.3}  better {:<6}  deep adds to volume: LR p {:.2e}",
                r.structure, r.outcome, r.better, r.lr_deep_p
            );
        }
    }
    Ok(())
}
