//! Genotype principal components: the top eigenvectors of PLINK 2's variance-standardized
//! relationship matrix GRM = X·Xᵀ / M (X: samples × M variants, standardized by
//! √(2p(1 − p)), missing calls mean-imputed — plink2 `--pca meanimpute`; without missing
//! calls this is plain `--pca`), found by randomized subspace iteration over blocks of
//! variants ([`subspace`]). Memory is O(samples × (K + oversampling)) plus one block.
//! Optional LD pruning ([`prune`]) runs first. The PCs are the unit-length eigenvectors (as
//! in plink2's `.eigenvec`), each oriented so that its entry of largest magnitude is
//! positive, and the eigenvalues are those of the GRM (plink2's `.eigenval`).

pub mod blocks;
pub mod prune;
pub mod standardize;
pub mod subspace;

use biomarker_tables::plink::Fileset;
use biomarker_tables::{PhenoColumn, PhenoTable, PhenoValues, SampleId};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

pub use blocks::StandardizedBlocks;
pub use prune::{ld_prune, LdPruneOptions};
pub use subspace::{top_eigen, SubspaceOptions};

use crate::error::{ReduceError, Result};
use crate::sign::largest_entry_sign;

/// Memory of one block of standardized genotypes when the block size is automatic.
pub const AUTO_BLOCK_BYTES: usize = 256 << 20;

/// Options of a genotype PCA.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenotypePcaOptions {
    /// Principal components wanted.
    pub k: usize,
    /// Extra subspace dimensions of the randomized iteration.
    pub oversampling: usize,
    /// Most passes over the genotypes.
    pub max_passes: usize,
    /// Relative change of the top Ritz values below which the iteration stops.
    pub tol: f64,
    /// Variants per streamed block; 0 picks one so that a block of f64 values takes about
    /// [`AUTO_BLOCK_BYTES`] (between 16 and 1024 variants).
    pub block: usize,
    /// Seed of the random start.
    pub seed: u64,
    /// LD pruning before the PCA, if any.
    pub prune: Option<LdPruneOptions>,
}

impl Default for GenotypePcaOptions {
    fn default() -> Self {
        Self {
            k: 10,
            oversampling: 10,
            max_passes: 30,
            tol: 1e-7,
            block: 0,
            seed: 1,
            prune: None,
        }
    }
}

/// What a genotype PCA found.
#[derive(Debug, Clone)]
pub struct GenotypePcs {
    /// The samples (from the .fam), in order.
    pub samples: Vec<SampleId>,
    /// Unit-length eigenvectors: `pcs[j][i]` is sample i on PC j+1.
    pub pcs: Vec<Vec<f64>>,
    /// Eigenvalues of the relationship matrix, descending.
    pub eigenvalues: Vec<f64>,
    /// Indices (in the .bim) of the variants used.
    pub variants_used: Vec<usize>,
    /// Passes of the iteration over the genotypes.
    pub passes: usize,
    /// Whether the iteration met its tolerance.
    pub converged: bool,
    /// ‖GRM·u − λu‖/λ of each PC.
    pub relative_residuals: Vec<f64>,
}

impl GenotypePcs {
    /// The PCs as a covariate table (`FID IID PC1 … PCk`), as `scan --covar` reads it.
    pub fn to_covariates(&self) -> PhenoTable {
        PhenoTable {
            path: "genotype-pcs".into(),
            samples: self.samples.clone(),
            columns: self
                .pcs
                .iter()
                .enumerate()
                .map(|(j, v)| PhenoColumn {
                    name: format!("PC{}", j + 1),
                    values: PhenoValues::Numeric(v.iter().copied().map(Some).collect()),
                })
                .collect(),
        }
    }
}

/// Progress of a genotype PCA: (step name, variants just processed).
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize);

/// Computes the top `options.k` genotype PCs of a fileset.
pub fn genotype_pcs(
    fileset: &Fileset,
    options: &GenotypePcaOptions,
    progress: Progress<'_>,
) -> Result<GenotypePcs> {
    let n = fileset.samples.len();
    let context = "genotype PCA";
    if options.k == 0 || options.k >= n {
        return Err(ReduceError::input(
            context,
            format!(
                "cannot extract {} PCs from {n} samples (1 ≤ K < samples)",
                options.k
            ),
        ));
    }
    let block = match options.block {
        0 => (AUTO_BLOCK_BYTES / 8 / n.max(1)).clamp(16, 1024),
        b => b,
    };
    let keep = match options.prune {
        Some(prune) => ld_prune(&fileset.bed, &fileset.read_variants()?, prune, &mut |c| {
            progress("LD pruning", c)
        })?,
        None => vec![true; fileset.bed.n_variants()],
    };
    let x = StandardizedBlocks::new(&fileset.bed, &keep, block, &mut |c| {
        progress("allele frequencies", c)
    })?;
    let m = x.n_variants();
    if m <= options.k {
        return Err(ReduceError::input(
            context,
            format!(
                "{m} polymorphic variants{} left: too few for {} PCs",
                if options.prune.is_some() {
                    " after pruning"
                } else {
                    ""
                },
                options.k
            ),
        ));
    }
    let par = Par::rayon(0);
    let sub = SubspaceOptions {
        k: options.k,
        oversampling: options.oversampling,
        max_passes: options.max_passes.max(1),
        tol: options.tol,
        seed: options.seed,
    };
    let mut z = Mat::<f64>::zeros(block, options.k + options.oversampling);
    let result = top_eigen(n, sub, |q| {
        let l = q.ncols();
        let mut y = Mat::<f64>::zeros(n, l);
        x.for_each_block(|_, xb| {
            let b = xb.ncols();
            let mut zb = z.as_mut().subrows_mut(0, b).subcols_mut(0, l);
            matmul(zb.as_mut(), Accum::Replace, xb.transpose(), q, 1.0, par);
            matmul(y.as_mut(), Accum::Add, xb, zb.as_ref(), 1.0, par);
            progress("PCA passes", b);
        })?;
        Ok(y)
    })?;
    let pcs = (0..options.k)
        .map(|j| {
            let v: Vec<f64> = result.vectors.col(j).iter().copied().collect();
            let s = largest_entry_sign(&v);
            v.into_iter().map(|x| x * s).collect()
        })
        .collect();
    Ok(GenotypePcs {
        samples: fileset
            .samples
            .iter()
            .map(|s| SampleId::with_fid(s.fid.clone(), s.iid.clone()))
            .collect(),
        pcs,
        eigenvalues: result.values.iter().map(|v| v / m as f64).collect(),
        variants_used: x.selected().to_vec(),
        passes: result.passes,
        converged: result.converged,
        relative_residuals: result.relative_residuals,
    })
}
