//! The loadings file: a JSON document holding, per structure, everything needed to project
//! new subjects onto a saved fit (feature means, scales, components) and what the fit
//! explained. Numbers are written in shortest round-trip form, so applying a saved fit gives
//! bit-identical scores to the fit itself.

use std::path::Path;

use biomarker_tables::atomic::write_atomic;
use serde::{Deserialize, Serialize};

use crate::error::{ReduceError, Result};
use crate::pca::PcaFit;
use crate::sign::SignRule;

/// The `format` value of a loadings file.
pub const LOADINGS_FORMAT: &str = "biomarker-gwas/pca-loadings";
/// The current version of the loadings file layout.
pub const LOADINGS_VERSION: u32 = 1;

/// One structure's fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructureLoadings {
    /// Structure name, as in the FeatureTable.
    pub structure: String,
    /// Subjects in the fit.
    pub n_samples: usize,
    /// Feature means.
    pub mean: Vec<f64>,
    /// Feature scales (absent when the fit did not scale).
    pub scale: Option<Vec<f64>>,
    /// Components (rows), unit length, oriented by `sign_rules`.
    pub components: Vec<Vec<f64>>,
    /// Variance explained by each component.
    pub explained_variance: Vec<f64>,
    /// Fraction of the total variance explained by each component.
    pub explained_variance_ratio: Vec<f64>,
    /// The rule that fixed each component's sign.
    pub sign_rules: Vec<SignRule>,
}

impl StructureLoadings {
    /// Wraps a fit.
    pub fn from_fit(structure: &str, fit: &PcaFit, sign_rules: Vec<SignRule>) -> Self {
        Self {
            structure: structure.into(),
            n_samples: fit.n_samples,
            mean: fit.mean.clone(),
            scale: fit.scale.clone(),
            components: fit.components.clone(),
            explained_variance: fit.explained_variance.clone(),
            explained_variance_ratio: fit.explained_variance_ratio.clone(),
            sign_rules,
        }
    }

    /// The fit, to project with.
    pub fn to_fit(&self) -> PcaFit {
        PcaFit {
            mean: self.mean.clone(),
            scale: self.scale.clone(),
            components: self.components.clone(),
            explained_variance: self.explained_variance.clone(),
            explained_variance_ratio: self.explained_variance_ratio.clone(),
            singular_values: self
                .explained_variance
                .iter()
                .map(|ev| (ev * (self.n_samples.saturating_sub(1)) as f64).sqrt())
                .collect(),
            n_samples: self.n_samples,
        }
    }
}

/// A saved PCA of deep features: one fit per structure over the same feature columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Loadings {
    /// Always [`LOADINGS_FORMAT`].
    pub format: String,
    /// Layout version, [`LOADINGS_VERSION`].
    pub version: u32,
    /// The feature columns the fits expect, in order.
    pub feature_names: Vec<String>,
    /// Whether features were scaled to unit variance before the fit.
    pub scale: bool,
    /// Provenance copied from the fitted FeatureTable's metadata (checkpoint, layer).
    pub provenance: std::collections::BTreeMap<String, String>,
    /// The fits, in structure order of the input table.
    pub structures: Vec<StructureLoadings>,
}

impl Loadings {
    /// The fit of `structure`, if any.
    pub fn structure(&self, structure: &str) -> Option<&StructureLoadings> {
        self.structures.iter().find(|s| s.structure == structure)
    }

    /// Writes the file atomically as pretty JSON.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomic(path, |w| {
            serde_json::to_writer_pretty(&mut *w, self)?;
            w.write_all(b"\n")
        })?;
        Ok(())
    }

    /// Reads a loadings file and checks that its parts fit together.
    pub fn read(path: &Path) -> Result<Self> {
        let bad = |message: String| ReduceError::Loadings {
            path: path.into(),
            message,
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| biomarker_tables::TableError::io(path, e))?;
        let loadings: Loadings = serde_json::from_str(&text)
            .map_err(|e| bad(format!("line {}: not a loadings file: {e}", e.line())))?;
        if loadings.format != LOADINGS_FORMAT || loadings.version != LOADINGS_VERSION {
            return Err(bad(format!(
                "format {:?} version {}, expected {LOADINGS_FORMAT:?} version {LOADINGS_VERSION}",
                loadings.format, loadings.version
            )));
        }
        let d = loadings.feature_names.len();
        for s in &loadings.structures {
            let k = s.components.len();
            let shape_ok = s.mean.len() == d
                && s.scale.as_ref().is_none_or(|v| v.len() == d)
                && s.scale.is_some() == loadings.scale
                && k > 0
                && s.components.iter().all(|c| c.len() == d)
                && s.explained_variance.len() == k
                && s.explained_variance_ratio.len() == k
                && s.sign_rules.len() == k;
            if !shape_ok {
                return Err(bad(format!(
                    "structure {:?}: expected {d} means{}, and k ≥ 1 components of {d} loadings with k variances, \
                     ratios and sign rules; found {} means, {} components",
                    s.structure,
                    if loadings.scale { " and scales" } else { "" },
                    s.mean.len(),
                    k
                )));
            }
            let finite = s
                .mean
                .iter()
                .chain(s.scale.iter().flatten())
                .chain(s.components.iter().flatten())
                .all(|v| v.is_finite());
            if !finite {
                return Err(bad(format!(
                    "structure {:?}: a mean, scale or loading is not a finite number",
                    s.structure
                )));
            }
        }
        Ok(loadings)
    }
}
