//! The PCA view of the latent space for `report --latent-features`: the first two principal
//! components of each structure's bottleneck vectors, fitted by the feature PCA of `pca`
//! (crates/reduce, unscaled, signs by the largest loading), written as a FeatureTable
//! (`PC1 PC2`) beside the report and drawn next to the t-SNE view.

use std::path::{Path, PathBuf};

use anyhow::Context;
use biomarker_reduce::{fit_features, FeaturePcaOptions, PcaOptions};
use biomarker_tables::{FeatureTable, TableKind};

/// File name of the PCA view in the report folder.
pub const FILE: &str = "latent_pca.tsv";

/// Fits the two-component PCA of every structure of `features` and writes the scores to
/// `out_dir/latent_pca.tsv`; returns that path.
pub fn write(features: &Path, out_dir: &Path) -> anyhow::Result<PathBuf> {
    let table = FeatureTable::read(features)?;
    let options = FeaturePcaOptions {
        pca: PcaOptions {
            n_components: 2,
            scale: false,
        },
        volumes: None,
    };
    let (_, scores) = fit_features(&table, &options)
        .with_context(|| format!("PCA view of {}", features.display()))?;
    let path = out_dir.join(FILE);
    scores.write(&path)?;
    Ok(path)
}
