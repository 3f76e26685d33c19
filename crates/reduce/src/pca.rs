//! PCA of one dense matrix (subjects × features) through a thin SVD of the centred (and
//! optionally scaled) data, with the conventions of scikit-learn's `PCA`: explained variance
//! is s²/(n − 1), its ratio is relative to the total variance of the (scaled) data, and
//! scaling divides by the population standard deviation (ddof = 0, as `StandardScaler` does;
//! constant columns are left unscaled).

use faer::Mat;

use crate::error::{ReduceError, Result};

/// How to fit a PCA.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PcaOptions {
    /// Number of components kept (at least 1, at most min(samples, features)).
    pub n_components: usize,
    /// Divide each feature by its standard deviation before the SVD.
    pub scale: bool,
}

impl Default for PcaOptions {
    fn default() -> Self {
        Self {
            n_components: 1,
            scale: false,
        }
    }
}

/// A fitted PCA: what is needed to project new subjects, and how much variance each
/// component explains.
#[derive(Debug, Clone, PartialEq)]
pub struct PcaFit {
    /// Feature means of the fitting data.
    pub mean: Vec<f64>,
    /// Feature scales (standard deviations, 1 for constant features) when scaling was asked.
    pub scale: Option<Vec<f64>>,
    /// Components, one row of `mean.len()` loadings each, unit length, by decreasing variance.
    pub components: Vec<Vec<f64>>,
    /// Variance of the scores of each component (s²/(n − 1)).
    pub explained_variance: Vec<f64>,
    /// `explained_variance` divided by the total variance of the (scaled) data.
    pub explained_variance_ratio: Vec<f64>,
    /// Singular values of the centred (scaled) data.
    pub singular_values: Vec<f64>,
    /// Number of subjects the fit used.
    pub n_samples: usize,
}

impl PcaFit {
    /// Fits a PCA to the row-major `n × d` matrix `x` (no missing values). `context` names the
    /// data in errors (e.g. the structure).
    pub fn fit(x: &[f64], n: usize, d: usize, options: PcaOptions, context: &str) -> Result<Self> {
        assert_eq!(x.len(), n * d, "matrix size");
        let k = options.n_components;
        if n < 2 {
            return Err(ReduceError::input(
                context,
                format!("PCA needs at least 2 subjects, found {n}"),
            ));
        }
        if k == 0 || k > n.min(d) {
            return Err(ReduceError::input(
                context,
                format!(
                    "cannot keep {k} components of {n} subjects × {d} features (1 ≤ k ≤ {})",
                    n.min(d)
                ),
            ));
        }
        let mut mean = vec![0.0; d];
        for row in x.chunks_exact(d) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let scale = options.scale.then(|| {
            let mut ss = vec![0.0; d];
            for row in x.chunks_exact(d) {
                for ((s, v), m) in ss.iter_mut().zip(row).zip(&mean) {
                    *s += (v - m) * (v - m);
                }
            }
            // Constant columns keep scale 1, as scikit-learn's StandardScaler does.
            ss.into_iter()
                .map(|s| (s / n as f64).sqrt())
                .map(|s| if s > 0.0 { s } else { 1.0 })
                .collect::<Vec<_>>()
        });
        let centred = Mat::<f64>::from_fn(n, d, |i, j| {
            let v = x[i * d + j] - mean[j];
            scale.as_ref().map_or(v, |s| v / s[j])
        });
        let total_variance: f64 = centred
            .col_iter()
            .map(|c| c.iter().map(|v| v * v).sum::<f64>())
            .sum::<f64>()
            / (n - 1) as f64;
        let svd = centred.thin_svd().map_err(|e| {
            ReduceError::numeric(context, format!("the SVD did not converge: {e:?}"))
        })?;
        let s = svd.S().column_vector();
        let v = svd.V();
        let singular_values: Vec<f64> = (0..k).map(|j| s[j]).collect();
        let explained_variance: Vec<f64> = singular_values
            .iter()
            .map(|s| s * s / (n - 1) as f64)
            .collect();
        let explained_variance_ratio = explained_variance
            .iter()
            .map(|ev| {
                if total_variance > 0.0 {
                    ev / total_variance
                } else {
                    0.0
                }
            })
            .collect();
        let components = (0..k)
            .map(|j| (0..d).map(|i| v[(i, j)]).collect())
            .collect();
        Ok(Self {
            mean,
            scale,
            components,
            explained_variance,
            explained_variance_ratio,
            singular_values,
            n_samples: n,
        })
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.mean.len()
    }

    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.components.len()
    }

    /// Projects the row-major `n × d` matrix `x` onto the components: row-major `n × k` scores.
    pub fn transform(&self, x: &[f64]) -> Vec<f64> {
        let d = self.n_features();
        assert_eq!(x.len() % d.max(1), 0, "matrix width");
        let mut out = Vec::with_capacity(x.len() / d.max(1) * self.n_components());
        let mut z = vec![0.0; d];
        for row in x.chunks_exact(d) {
            for j in 0..d {
                let c = row[j] - self.mean[j];
                z[j] = self.scale.as_ref().map_or(c, |s| c / s[j]);
            }
            out.extend(
                self.components
                    .iter()
                    .map(|comp| comp.iter().zip(&z).map(|(a, b)| a * b).sum::<f64>()),
            );
        }
        out
    }

    /// Reverses the direction of component `j` (loadings and hence scores).
    pub fn flip(&mut self, j: usize) {
        self.components[j].iter_mut().for_each(|v| *v = -*v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_dimensional_line_has_one_component() {
        // Points on the line y = 2x: all variance on (1, 2)/√5.
        let x: Vec<f64> = (0..5).flat_map(|i| [i as f64, 2.0 * i as f64]).collect();
        let fit = PcaFit::fit(
            &x,
            5,
            2,
            PcaOptions {
                n_components: 2,
                scale: false,
            },
            "t",
        )
        .unwrap();
        let c = &fit.components[0];
        assert!(
            (c[0].abs() - 1.0 / 5f64.sqrt()).abs() < 1e-12
                && (c[1].abs() - 2.0 / 5f64.sqrt()).abs() < 1e-12
        );
        // Var(x) + Var(y) = 2.5 + 10.
        assert!(
            (fit.explained_variance[0] - 12.5).abs() < 1e-10,
            "{:?}",
            fit.explained_variance
        );
        assert!(fit.explained_variance[1].abs() < 1e-10);
        assert!((fit.explained_variance_ratio[0] - 1.0).abs() < 1e-12);
        let scores = fit.transform(&x);
        assert!(
            (scores[0].abs() - 2.0 * 5f64.sqrt()).abs() < 1e-10,
            "{scores:?}"
        );
    }

    #[test]
    fn rejects_too_many_components_and_too_few_subjects() {
        let err = PcaFit::fit(
            &[1.0, 2.0, 3.0, 4.0],
            2,
            2,
            PcaOptions {
                n_components: 3,
                scale: false,
            },
            "hippocampus",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "hippocampus: cannot keep 3 components of 2 subjects × 2 features (1 ≤ k ≤ 2)"
        );
        let err = PcaFit::fit(&[1.0, 2.0], 1, 2, PcaOptions::default(), "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least 2 subjects, found 1"), "{err}");
    }
}
