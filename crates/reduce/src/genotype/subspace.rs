//! Randomized subspace iteration (Halko, Martinsson & Tropp 2011, "Finding structure with
//! randomness", SIAM Review, Algorithms 4.3/4.4 with the Rayleigh–Ritz step of §5.5) for the
//! top eigenpairs of G = X·Xᵀ, where X (samples × variants) is only ever seen block by block.
//!
//! Starting from an orthonormalized Gaussian sample-space matrix Q (n × l, l = K +
//! oversampling), each pass over the genotypes forms Y = G·Q = Σ_b X_b (X_bᵀ Q) — memory
//! n × l plus one block — then the Ritz pairs of G on span(Q) from T = Qᵀ Y (l × l), and the
//! next Q = orth(Y). Iteration stops when the top K Ritz values change by less than `tol`
//! (relative) between passes, or after `max_passes`. Because GQ = Y exactly, the residual
//! ‖G u − λ u‖ of every Ritz pair is known without another pass and is reported.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par, Side};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{ReduceError, Result};

/// Settings of the iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubspaceOptions {
    /// Eigenpairs wanted.
    pub k: usize,
    /// Extra dimensions of the subspace (l = k + oversampling).
    pub oversampling: usize,
    /// Most passes over the data.
    pub max_passes: usize,
    /// Stop once every top-k Ritz value changes by less than this, relatively.
    pub tol: f64,
    /// Seed of the Gaussian start.
    pub seed: u64,
}

/// The result: top-k eigenvalues of G (descending), orthonormal eigenvectors (n × k), and how
/// the iteration went.
#[derive(Debug, Clone)]
pub struct SubspaceResult {
    /// Eigenvalues of G = X·Xᵀ, descending.
    pub values: Vec<f64>,
    /// Eigenvectors, column j for `values[j]`.
    pub vectors: Mat<f64>,
    /// Passes over the data.
    pub passes: usize,
    /// Whether the Ritz values met `tol` before `max_passes`.
    pub converged: bool,
    /// ‖G u − λ u‖ / λ of each returned pair.
    pub relative_residuals: Vec<f64>,
}

fn orthonormalize(y: MatRef<'_, f64>) -> Mat<f64> {
    y.qr().compute_thin_Q()
}

/// Runs the iteration; `apply` computes G·Q for a given Q (one pass over the data).
pub fn top_eigen(
    n: usize,
    options: SubspaceOptions,
    mut apply: impl FnMut(MatRef<'_, f64>) -> Result<Mat<f64>>,
) -> Result<SubspaceResult> {
    let l = (options.k + options.oversampling).min(n);
    let k = options.k.min(l);
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let start = Mat::<f64>::from_fn(n, l, |_, _| StandardNormal.sample(&mut rng));
    let mut q = orthonormalize(start.as_ref());
    let mut previous: Option<Vec<f64>> = None;
    let mut passes = 0;
    loop {
        let y = apply(q.as_ref())?;
        passes += 1;
        let mut t = Mat::<f64>::zeros(l, l);
        matmul(
            t.as_mut(),
            Accum::Replace,
            q.transpose(),
            y.as_ref(),
            1.0,
            Par::Seq,
        );
        let t = Mat::<f64>::from_fn(l, l, |i, j| 0.5 * (t[(i, j)] + t[(j, i)]));
        let eig = t.self_adjoint_eigen(Side::Lower).map_err(|e| {
            ReduceError::numeric(
                "genotype PCA",
                format!("the {l} × {l} Ritz eigenproblem failed: {e:?}"),
            )
        })?;
        // faer sorts ascending; take the top k from the end.
        let s = eig.S().column_vector();
        let w = eig.U();
        let order: Vec<usize> = (0..l).rev().take(k).collect();
        let values: Vec<f64> = order.iter().map(|&i| s[i]).collect();
        let wk = Mat::<f64>::from_fn(l, k, |i, j| w[(i, order[j])]);
        let converged = previous.as_ref().is_some_and(|p| {
            values
                .iter()
                .zip(p)
                .all(|(v, p)| (v - p).abs() <= options.tol * v.abs())
        });
        if converged || passes >= options.max_passes {
            let mut vectors = Mat::<f64>::zeros(n, k);
            matmul(
                vectors.as_mut(),
                Accum::Replace,
                q.as_ref(),
                wk.as_ref(),
                1.0,
                Par::Seq,
            );
            let mut gu = Mat::<f64>::zeros(n, k);
            matmul(
                gu.as_mut(),
                Accum::Replace,
                y.as_ref(),
                wk.as_ref(),
                1.0,
                Par::Seq,
            );
            let relative_residuals = (0..k)
                .map(|j| {
                    let r: f64 = (0..n)
                        .map(|i| (gu[(i, j)] - values[j] * vectors[(i, j)]).powi(2))
                        .sum();
                    r.sqrt() / values[j].abs().max(f64::MIN_POSITIVE)
                })
                .collect();
            return Ok(SubspaceResult {
                values,
                vectors,
                passes,
                converged,
                relative_residuals,
            });
        }
        previous = Some(values);
        q = orthonormalize(y.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_top_eigenpairs_of_a_known_matrix() {
        // G = V diag(λ) Vᵀ with a known orthonormal V (from a QR of a fixed matrix).
        let n = 40;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let a = Mat::<f64>::from_fn(n, n, |_, _| StandardNormal.sample(&mut rng));
        let v = a.qr().compute_thin_Q();
        let lambda: Vec<f64> = (0..n)
            .map(|i| 100.0 * 0.6f64.powi(i as i32) + 0.01)
            .collect();
        let g = Mat::<f64>::from_fn(n, n, |i, j| {
            (0..n).map(|m| v[(i, m)] * lambda[m] * v[(j, m)]).sum()
        });
        let options = SubspaceOptions {
            k: 3,
            oversampling: 5,
            max_passes: 50,
            tol: 1e-12,
            seed: 1,
        };
        let out = top_eigen(n, options, |q| {
            let mut y = Mat::<f64>::zeros(n, q.ncols());
            matmul(y.as_mut(), Accum::Replace, g.as_ref(), q, 1.0, Par::Seq);
            Ok(y)
        })
        .unwrap();
        assert!(out.converged);
        for j in 0..3 {
            assert!(
                (out.values[j] - lambda[j]).abs() < 1e-9 * lambda[j],
                "{:?}",
                out.values
            );
            let dot: f64 = (0..n).map(|i| out.vectors[(i, j)] * v[(i, j)]).sum();
            assert!(
                (dot.abs() - 1.0).abs() < 1e-9,
                "vector {j}: |dot| = {}",
                dot.abs()
            );
            assert!(
                out.relative_residuals[j] < 1e-5,
                "{:?}",
                out.relative_residuals
            );
        }
    }
}
