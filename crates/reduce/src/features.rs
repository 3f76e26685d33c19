//! PCA of deep features per structure: each structure's subjects × bottleneck-units matrix is
//! fitted separately, components are oriented by the sign convention of [`crate::sign`], and
//! the first k scores become a FeatureTable (`PC1…PCk` per subject and structure). A saved fit
//! ([`Loadings`]) projects other subjects (a test split, a replication cohort) unchanged.

use std::collections::HashMap;

use biomarker_tables::{FeatureTable, PhenoTable, PhenoValues};

use crate::error::{ReduceError, Result};
use crate::loadings::{Loadings, StructureLoadings, LOADINGS_FORMAT, LOADINGS_VERSION};
use crate::pca::{PcaFit, PcaOptions};
use crate::sign::{largest_entry_sign, volume_sign, SignRule};

/// Metadata key of the output table that records how the PCs were made.
pub const META_PCA: &str = "pca";

/// Options of a per-structure fit.
#[derive(Debug, Clone, Default)]
pub struct FeaturePcaOptions {
    /// Components kept per structure, and scaling.
    pub pca: PcaOptions,
    /// Volumes per structure (a numeric column named after the structure), to orient PC
    /// signs; structures without a column use the largest-loading rule.
    pub volumes: Option<PhenoTable>,
}

/// The row-major matrix of one structure, refusing missing or non-finite values.
fn structure_matrix(
    table: &FeatureTable,
    structure: &str,
) -> Result<(Vec<biomarker_tables::SampleId>, Vec<f64>)> {
    let (samples, values) = table.structure_matrix(structure);
    let d = table.feature_names.len();
    if let Some(pos) = values.iter().position(|v| !v.is_finite()) {
        return Err(ReduceError::input(
            format!("structure {structure:?}"),
            format!(
                "sample {:?}, feature {:?}: value {} is missing or not finite; PCA needs complete features",
                samples[pos / d].iid,
                table.feature_names[pos % d],
                values[pos]
            ),
        ));
    }
    Ok((samples, values))
}

fn pc_names(k: usize) -> Vec<String> {
    (1..=k).map(|j| format!("PC{j}")).collect()
}

/// Fits one PCA per structure of `table` and returns the loadings and the scores table.
pub fn fit_features(
    table: &FeatureTable,
    options: &FeaturePcaOptions,
) -> Result<(Loadings, FeatureTable)> {
    let d = table.feature_names.len();
    if d == 0 || table.n_rows() == 0 {
        return Err(ReduceError::input(
            "features",
            format!("nothing to fit: {} rows × {d} features", table.n_rows()),
        ));
    }
    let k = options.pca.n_components;
    let mut out = FeatureTable::new(pc_names(k));
    out.metadata = table.metadata.clone();
    let mut fits = Vec::new();
    for structure in table.structure_names() {
        let context = format!("structure {structure:?}");
        let (samples, x) = structure_matrix(table, &structure)?;
        let mut fit = PcaFit::fit(&x, samples.len(), d, options.pca, &context)?;
        let mut scores = fit.transform(&x);
        let volume = options
            .volumes
            .as_ref()
            .and_then(|v| volume_column(v, &structure, &samples));
        let mut rules = Vec::with_capacity(k);
        for j in 0..k {
            let column: Vec<f64> = scores.iter().skip(j).step_by(k).copied().collect();
            let (sign, rule) = match volume.as_ref().and_then(|v| volume_sign(&column, v)) {
                Some(s) => (s, SignRule::Volume),
                None => (
                    largest_entry_sign(&fit.components[j]),
                    SignRule::LargestLoading,
                ),
            };
            if sign < 0.0 {
                fit.flip(j);
                scores.iter_mut().skip(j).step_by(k).for_each(|v| *v = -*v);
            }
            rules.push(rule);
        }
        for (i, s) in samples.iter().enumerate() {
            out.push(s.clone(), structure.clone(), &scores[i * k..(i + 1) * k]);
        }
        fits.push(StructureLoadings::from_fit(&structure, &fit, rules));
    }
    let loadings = Loadings {
        format: LOADINGS_FORMAT.into(),
        version: LOADINGS_VERSION,
        feature_names: table.feature_names.clone(),
        scale: options.pca.scale,
        provenance: table.metadata.clone(),
        structures: fits,
    };
    out.metadata
        .insert(META_PCA.into(), describe(&loadings, "fit"));
    Ok((loadings, out))
}

/// Projects every structure of `table` onto the saved fit of that structure.
pub fn apply_features(table: &FeatureTable, loadings: &Loadings) -> Result<FeatureTable> {
    if table.feature_names != loadings.feature_names {
        return Err(ReduceError::input(
            "features",
            format!(
                "feature columns {:?} differ from those of the saved fit {:?}",
                abbreviate(&table.feature_names),
                abbreviate(&loadings.feature_names)
            ),
        ));
    }
    let k = loadings
        .structures
        .iter()
        .map(|s| s.components.len())
        .max()
        .unwrap_or(1);
    let mut out = FeatureTable::new(pc_names(k));
    out.metadata = table.metadata.clone();
    for structure in table.structure_names() {
        let saved = loadings.structure(&structure).ok_or_else(|| {
            ReduceError::input(
                format!("structure {structure:?}"),
                "the saved fit has no loadings for this structure",
            )
        })?;
        let (samples, x) = structure_matrix(table, &structure)?;
        let fit = saved.to_fit();
        let kj = fit.n_components();
        let scores = fit.transform(&x);
        let mut row = vec![f64::NAN; k];
        for (i, s) in samples.iter().enumerate() {
            row[..kj].copy_from_slice(&scores[i * kj..(i + 1) * kj]);
            out.push(s.clone(), structure.clone(), &row);
        }
    }
    out.metadata
        .insert(META_PCA.into(), describe(loadings, "apply"));
    Ok(out)
}

/// The volume of each sample in `samples` from the column named `structure`, if numeric.
fn volume_column(
    volumes: &PhenoTable,
    structure: &str,
    samples: &[biomarker_tables::SampleId],
) -> Option<Vec<Option<f64>>> {
    let PhenoValues::Numeric(values) = &volumes.column(structure)?.values else {
        return None;
    };
    let index: HashMap<&str, usize> = volumes
        .samples
        .iter()
        .enumerate()
        .map(|(i, s)| (s.iid.as_str(), i))
        .collect();
    Some(
        samples
            .iter()
            .map(|s| index.get(s.iid.as_str()).and_then(|&i| values[i]))
            .collect(),
    )
}

fn abbreviate(names: &[String]) -> String {
    if names.len() <= 4 {
        names.join(",")
    } else {
        format!(
            "{},…,{} ({} columns)",
            names[..2].join(","),
            names[names.len() - 1],
            names.len()
        )
    }
}

/// One-line JSON summary for the output table's metadata.
fn describe(loadings: &Loadings, mode: &str) -> String {
    let per: serde_json::Map<String, serde_json::Value> = loadings
        .structures
        .iter()
        .map(|s| (s.structure.clone(), serde_json::json!({ "explained_variance_ratio": s.explained_variance_ratio, "n_samples": s.n_samples })))
        .collect();
    serde_json::json!({ "mode": mode, "scale": loadings.scale, "structures": per }).to_string()
}
