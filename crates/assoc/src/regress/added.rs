//! Logistic regression of a case/control response on fixed covariates plus one tested
//! column that is sparse and small-integer (an allele dosage 0/1/2), as a genome scan fits it
//! once per variant. It is Newton–Raphson with exactly the start, step and stopping rule of
//! [`super::logistic::logistic_cols`] (start at the covariate-only fit with 0 for the tested
//! term, converged when the Newton decrement is below 1e-14·n), organised for speed:
//!
//! - the first iteration sits at the covariate-only fit, whose weights, residuals and
//!   `CᵀWC` are the same for every variant: it is computed once per phenotype
//!   ([`NullModel`]) and per variant only corrected for the samples with a missing call and
//!   completed over the tested column's carriers (samples with dosage 0 add nothing);
//! - later iterations take the linear predictor over the covariate columns, a vectorisable
//!   sigmoid ([`super::exp`]), and `Cᵀ[WC | Wg | y − μ]` as one small matrix product
//!   (matrixmultiply's kernels, chosen for the CPU at run time); the tested column's own
//!   terms are sums over its carriers;
//! - samples with a missing call stay in place with zero weight and residual, so nothing is
//!   copied per variant.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2};

use super::exp::exp;
use super::logistic::{newton_step, wald, LogisticFit};
use crate::error::Result;

/// Maximum Newton iterations, as [`super::LogisticOptions`]' default.
const MAX_ITER: usize = 25;

/// `μ = σ(η)`, `w = μ(1 − μ)` and `y − μ` with one `exp`; `1 − μ` is formed as
/// `e^{−η}/(1 + e^{−η})` so that it keeps its relative precision when μ is near 1.
#[inline(always)]
fn sigmoid_terms(eta: f64, y: f64) -> (f64, f64) {
    let e = exp(-eta);
    let mu = 1.0 / (1.0 + e);
    (mu * (e * mu), y - mu)
}

/// The covariate-only fit of one case/control phenotype and everything about it that every
/// variant's first iteration needs.
#[derive(Debug, Clone)]
pub struct NullModel {
    n: usize,
    /// `n` rounded up to a multiple of [`LANES`]; the padding samples have zero covariates
    /// (so they add nothing to `Cᵀ…`) and a zero response.
    n_pad: usize,
    k: usize,
    /// `k` rounded up to a multiple of [`PANEL`].
    kp: usize,
    /// Covariates, sample-major `n_pad × kp` with zero padding: rows for the sparse sums
    /// over carriers, and the layout the matrix product copies fastest.
    rows: Vec<f64>,
    /// The same, column-major with columns of length `n_pad` (for the dense passes).
    cols: Vec<f64>,
    /// Response, padded to `n_pad`.
    y: Vec<f64>,
    coef: Vec<f64>,
    /// Weights `μ(1 − μ)` and residuals `y − μ` at the covariate-only fit.
    w0: Vec<f64>,
    r0: Vec<f64>,
    /// `CᵀW₀C` (`k × k`) and `Cᵀr₀` over all samples.
    cwc: Vec<f64>,
    cr: Vec<f64>,
}

impl NullModel {
    /// Precomputes the covariate-only model from sample-major covariates `rows` (`n × k`,
    /// intercept included when wanted), the 0/1 response and the covariate-only coefficients.
    pub fn new(rows: &[f64], n: usize, k: usize, y: Vec<f64>, coef: Vec<f64>) -> Self {
        assert_eq!(rows.len(), n * k, "covariate matrix shape");
        assert_eq!(y.len(), n, "response length");
        assert_eq!(coef.len(), k, "coefficient count");
        let n_pad = n.next_multiple_of(LANES);
        let kp = k.next_multiple_of(PANEL);
        let mut cols = vec![0.0; n_pad * k];
        let mut padded = vec![0.0; n_pad * kp];
        for i in 0..n {
            for j in 0..k {
                cols[j * n_pad + i] = rows[i * k + j];
                padded[i * kp + j] = rows[i * k + j];
            }
        }
        let mut w0 = vec![0.0; n];
        let mut r0 = vec![0.0; n];
        let mut cwc = vec![0.0; k * k];
        let mut cr = vec![0.0; k];
        for i in 0..n {
            let row = &rows[i * k..(i + 1) * k];
            let eta: f64 = row.iter().zip(&coef).map(|(c, b)| c * b).sum();
            let (w, r) = sigmoid_terms(eta, y[i]);
            w0[i] = w;
            r0[i] = r;
            for a in 0..k {
                cr[a] += r * row[a];
                for b in 0..k {
                    cwc[a * k + b] += w * row[a] * row[b];
                }
            }
        }
        let mut y = y;
        y.resize(n_pad, 0.0);
        Self {
            n,
            n_pad,
            k,
            kp,
            rows: padded,
            cols,
            y,
            coef,
            w0,
            r0,
            cwc,
            cr,
        }
    }

    /// Samples.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The 0/1 response.
    pub fn y(&self) -> &[f64] {
        &self.y[..self.n]
    }

    /// The covariate-only coefficients.
    pub fn coef(&self) -> &[f64] {
        &self.coef
    }
}

/// One tested column with values in {0, 1, 2}, given by the samples where it is 1 and 2;
/// `missing` lists the samples left out of the fit.
#[derive(Debug, Clone, Copy)]
pub struct Tested<'a> {
    /// Samples where the column is 1.
    pub ones: &'a [u32],
    /// Samples where the column is 2.
    pub twos: &'a [u32],
    /// Samples without a value (excluded from the fit).
    pub missing: &'a [u32],
}

impl Tested<'_> {
    /// `(sample, value)` over the non-zero entries.
    fn carriers(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        let ones = self.ones.iter().map(|&i| (i as usize, 1.0));
        ones.chain(self.twos.iter().map(|&i| (i as usize, 2.0)))
    }
}

/// Reusable buffers of [`fit_added`].
#[derive(Default)]
pub struct AddedWorkspace {
    /// Weights and residuals per sample.
    w: Vec<f64>,
    r: Vec<f64>,
    /// The tested column, dense (`n_pad`; zero again between fits).
    g: Vec<f64>,
    /// `[WC | Wg | r | 0…]`, sample-major `n_pad × bw` (`bw`: `k + 2` rounded up to
    /// [`PANEL`]; the padding columns stay zero).
    b: Vec<f64>,
    /// `Cᵀ b`, `k × (k + 2)`.
    m: Array2<f64>,
}

/// Information matrix (`p × p`, row-major) and score (`p`) at the start `(coef, 0)`.
fn first_iteration(nm: &NullModel, t: &Tested, h: &mut [f64], grad: &mut [f64]) {
    let (k, kp, p) = (nm.k, nm.kp, nm.k + 1);
    for a in 0..k {
        grad[a] = nm.cr[a];
        h[a * p..a * p + k].copy_from_slice(&nm.cwc[a * k..(a + 1) * k]);
    }
    for &i in t.missing {
        let i = i as usize;
        let (w, r) = (nm.w0[i], nm.r0[i]);
        let row = &nm.rows[i * kp..i * kp + k];
        for a in 0..k {
            grad[a] -= r * row[a];
            for b in 0..k {
                h[a * p + b] -= w * row[a] * row[b];
            }
        }
    }
    let mut hg = vec![0.0; k];
    let (mut hgg, mut gg) = (0.0, 0.0);
    for (i, gi) in t.carriers() {
        let wg = nm.w0[i] * gi;
        let row = &nm.rows[i * kp..i * kp + k];
        for (s, c) in hg.iter_mut().zip(row) {
            *s += wg * c;
        }
        hgg += wg * gi;
        gg += nm.r0[i] * gi;
    }
    for a in 0..k {
        h[a * p + k] = hg[a];
        h[k * p + a] = hg[a];
    }
    h[k * p + k] = hgg;
    grad[k] = gg;
}

/// Rows and columns of the small matrix product are padded to a multiple of this (the
/// widest register panel of matrixmultiply's kernels): the product then copies its operands
/// in whole contiguous panels instead of element by element.
const PANEL: usize = 8;

/// Samples per step of the fused pass (a multiple of the SIMD width, so that the lane
/// arithmetic below compiles to vector instructions).
const LANES: usize = 4;

#[inline(always)]
fn lanes(s: &[f64], at: usize) -> [f64; LANES] {
    s[at..at + LANES].try_into().expect("lane slice")
}

/// The weights `w` and residuals `r` at `beta` in one pass over the samples, for `K`
/// covariate columns known at compile time (the linear predictor and the sigmoid stay in
/// registers and vectorise across samples).
fn weights_fused<const K: usize>(
    nm: &NullModel,
    beta: &[f64],
    g: &[f64],
    w: &mut [f64],
    r: &mut [f64],
) {
    let np = nm.n_pad;
    let bc: [f64; K] = beta[..K].try_into().expect("K coefficients");
    let bg = beta[K];
    for at in (0..np).step_by(LANES) {
        let mut eta = lanes(g, at).map(|x| x * bg);
        for (j, &b) in bc.iter().enumerate() {
            let c = lanes(&nm.cols[j * np..], at);
            for l in 0..LANES {
                eta[l] += c[l] * b;
            }
        }
        let yv = lanes(&nm.y, at);
        let mut wv = [0.0; LANES];
        let mut rv = [0.0; LANES];
        for l in 0..LANES {
            (wv[l], rv[l]) = sigmoid_terms(eta[l], yv[l]);
        }
        w[at..at + LANES].copy_from_slice(&wv);
        r[at..at + LANES].copy_from_slice(&rv);
    }
}

/// [`weights_fused`] for any number of covariate columns, one pass per column.
fn weights_generic(nm: &NullModel, beta: &[f64], g: &[f64], w: &mut [f64], r: &mut [f64]) {
    let (np, k) = (nm.n_pad, nm.k);
    let cols = &nm.cols;
    for (e, x) in w.iter_mut().zip(g) {
        *e = x * beta[k];
    }
    for j in 0..k {
        let bj = beta[j];
        for (e, c) in w.iter_mut().zip(&cols[j * np..(j + 1) * np]) {
            *e += c * bj;
        }
    }
    for ((w, r), y) in w.iter_mut().zip(r.iter_mut()).zip(&nm.y) {
        (*w, *r) = sigmoid_terms(*w, *y);
    }
}

/// Rows `[w·c | w·g | r | 0…]` of `b` (`bw` wide) for `K` covariates.
fn rows_fused<const K: usize>(nm: &NullModel, ws: &mut AddedWorkspace, bw: usize) {
    let rows = nm.rows.chunks_exact(nm.kp);
    let b = ws.b.chunks_exact_mut(bw);
    for ((((brow, crow), &w), &r), &g) in b.zip(rows).zip(&ws.w).zip(&ws.r).zip(&ws.g) {
        let c: &[f64; K] = crow[..K].try_into().expect("K covariates");
        let out: &mut [f64; K] = (&mut brow[..K]).try_into().expect("K columns");
        for j in 0..K {
            out[j] = w * c[j];
        }
        brow[K] = w * g;
        brow[K + 1] = r;
    }
}

/// [`rows_fused`] for any number of covariates.
fn rows_generic(nm: &NullModel, ws: &mut AddedWorkspace, bw: usize) {
    let k = nm.k;
    let rows = nm.rows.chunks_exact(nm.kp);
    let b = ws.b.chunks_exact_mut(bw);
    for ((((brow, crow), &w), &r), &g) in b.zip(rows).zip(&ws.w).zip(&ws.r).zip(&ws.g) {
        for (o, c) in brow[..k].iter_mut().zip(&crow[..k]) {
            *o = w * c;
        }
        brow[k] = w * g;
        brow[k + 1] = r;
    }
}

/// Fills `ws.b` at `beta` (with code specialised for up to 12 covariate columns); returns
/// its width.
fn fill(nm: &NullModel, beta: &[f64], ws: &mut AddedWorkspace, generic: bool) -> usize {
    let bw = (nm.k + 2).next_multiple_of(PANEL);
    if ws.b.len() != nm.n_pad * bw {
        ws.b.clear();
        ws.b.resize(nm.n_pad * bw, 0.0);
    }
    ws.w.resize(nm.n_pad, 0.0);
    ws.r.resize(nm.n_pad, 0.0);
    macro_rules! fused {
        ($($k:literal)*) => {
            match nm.k {
                $($k if !generic => {
                    weights_fused::<$k>(nm, beta, &ws.g, &mut ws.w, &mut ws.r);
                    rows_fused::<$k>(nm, ws, bw);
                })*
                _ => {
                    weights_generic(nm, beta, &ws.g, &mut ws.w, &mut ws.r);
                    rows_generic(nm, ws, bw);
                }
            }
        };
    }
    fused!(1 2 3 4 5 6 7 8 9 10 11 12);
    bw
}

/// Information matrix and score at `beta` (one pass over all samples, then one small matrix
/// product).
fn full_iteration(
    nm: &NullModel,
    t: &Tested,
    beta: &[f64],
    ws: &mut AddedWorkspace,
    generic: bool,
    h: &mut [f64],
    grad: &mut [f64],
) {
    let (np, k, p) = (nm.n_pad, nm.k, nm.k + 1);
    let bw = fill(nm, beta, ws, generic);
    // Samples with a missing call take no part (padding samples have zero covariates).
    for &i in t.missing {
        ws.b[i as usize * bw..(i as usize + 1) * bw].fill(0.0);
    }
    let (mut hgg, mut gg) = (0.0, 0.0);
    for (i, gi) in t.carriers() {
        hgg += ws.b[i * bw + k] * gi;
        gg += ws.b[i * bw + k + 1] * gi;
    }
    let c = ArrayView2::from_shape((np, nm.kp), &nm.rows).expect("covariate shape");
    let b = ArrayView2::from_shape((np, bw), &ws.b).expect("design shape");
    if ws.m.dim() != (nm.kp, bw) {
        ws.m = Array2::zeros((nm.kp, bw));
    }
    general_mat_mul(1.0, &c.t(), &b, 0.0, &mut ws.m);
    for a in 0..k {
        for c in 0..k {
            h[a * p + c] = ws.m[(a, c)];
        }
        h[a * p + k] = ws.m[(a, k)];
        h[k * p + a] = ws.m[(a, k)];
        grad[a] = ws.m[(a, k + 1)];
    }
    h[k * p + k] = hgg;
    grad[k] = gg;
}

/// Fits the covariates plus the tested column by Newton–Raphson from `(coef, 0)`. Same
/// iterations, stopping rule and reported quantities as [`super::logistic::logistic_cols`]
/// with that start and `deviance: false` (the deviance is NaN; the information matrix is the
/// last iterate's).
pub fn fit_added(nm: &NullModel, t: &Tested, ws: &mut AddedWorkspace) -> Result<LogisticFit> {
    fit_with(nm, t, ws, false)
}

/// [`fit_added`], with `generic` forcing the per-column passes instead of the fused one.
fn fit_with(
    nm: &NullModel,
    t: &Tested,
    ws: &mut AddedWorkspace,
    generic: bool,
) -> Result<LogisticFit> {
    ws.g.resize(nm.n_pad, 0.0);
    for (i, gi) in t.carriers() {
        ws.g[i] = gi;
    }
    let fit = newton(nm, t, ws, generic);
    for (i, _) in t.carriers() {
        ws.g[i] = 0.0;
    }
    fit
}

fn newton(
    nm: &NullModel,
    t: &Tested,
    ws: &mut AddedWorkspace,
    generic: bool,
) -> Result<LogisticFit> {
    let p = nm.k + 1;
    let n_obs = nm.n - t.missing.len();
    let tol = 1e-14 * (n_obs as f64 + 0.1);
    let mut beta = nm.coef.clone();
    beta.push(0.0);
    let mut h = vec![0.0; p * p];
    let mut grad = vec![0.0; p];
    let mut delta = vec![0.0; p];
    let mut converged = false;
    let mut iterations = 0;
    for it in 1..=MAX_ITER {
        iterations = it;
        if it == 1 {
            first_iteration(nm, t, &mut h, &mut grad);
        } else {
            full_iteration(nm, t, &beta, ws, generic, &mut h, &mut grad);
        }
        let Some(decrement) = newton_step(&mut h, p, &grad, &mut delta, &mut beta)? else {
            break;
        };
        if decrement < tol {
            converged = true;
            break;
        }
    }
    let inv = crate::linalg::chol_inverse(&h, p);
    Ok(wald(beta, inv, f64::NAN, iterations, converged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regress::logistic::{logistic_cols, Workspace};
    use crate::regress::LogisticOptions;
    use rand::{Rng, SeedableRng};

    /// A simulated cohort: intercept + 3 covariates, a dosage with missing calls.
    fn cohort(n: usize, seed: u64, effect: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<u32>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let k = 4;
        let mut rows = vec![0.0; n * k];
        let mut g = vec![0.0; n];
        let mut y = vec![0.0; n];
        let mut missing = Vec::new();
        for i in 0..n {
            rows[i * k] = 1.0;
            for j in 1..k {
                rows[i * k + j] = rng.random::<f64>() * 2.0 - 1.0 + j as f64 * 0.1;
            }
            let u: f64 = rng.random();
            g[i] = if u < 0.09 {
                2.0
            } else if u < 0.42 {
                1.0
            } else {
                0.0
            };
            let eta = -0.7 + 0.5 * rows[i * k + 1] - 0.3 * rows[i * k + 2] + effect * g[i];
            y[i] = f64::from(u8::from(rng.random::<f64>() < 1.0 / (1.0 + (-eta).exp())));
            if rng.random::<f64>() < 0.02 {
                missing.push(i as u32);
                g[i] = 0.0;
            }
        }
        (rows, g, y, missing)
    }

    #[test]
    fn matches_the_general_solver() {
        for (seed, effect) in [(1, 0.0), (2, 0.25), (3, -0.6), (4, 1.5)] {
            let n = 1500 + seed as usize; // not always a multiple of the lane count
            let k = 4;
            let (rows, g, y, missing) = cohort(n, seed, effect);
            let of =
                |v: f64| -> Vec<u32> { (0..n as u32).filter(|&i| g[i as usize] == v).collect() };
            let (ones, twos) = (of(1.0), of(2.0));
            let design = ArrayView2::from_shape((n, k), &rows).unwrap();
            let null = crate::regress::logistic(design, &y, &LogisticOptions::default())
                .unwrap()
                .coef;
            let nm = NullModel::new(&rows, n, k, y.clone(), null.clone());
            let t = Tested {
                ones: &ones,
                twos: &twos,
                missing: &missing,
            };
            let mut ws = AddedWorkspace::default();
            let fast = fit_added(&nm, &t, &mut ws).unwrap();
            // The per-column passes (used beyond 12 covariates) give the same fit.
            let generic = fit_with(&nm, &t, &mut ws, true).unwrap();
            assert!(ws.g.iter().all(|&v| v == 0.0), "dense column reset");
            assert_eq!(fast.iterations, generic.iterations);
            for (a, b) in fast.coef.iter().zip(&generic.coef) {
                assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
            }
            // The general solver on the compacted design.
            let kept: Vec<usize> = (0..n).filter(|i| !missing.contains(&(*i as u32))).collect();
            let m = kept.len();
            let mut cols = vec![0.0; m * (k + 1)];
            for (r, &i) in kept.iter().enumerate() {
                for j in 0..k {
                    cols[j * m + r] = rows[i * k + j];
                }
                cols[k * m + r] = g[i];
            }
            let yk: Vec<f64> = kept.iter().map(|&i| y[i]).collect();
            let mut start = null.clone();
            start.push(0.0);
            let opts = LogisticOptions {
                start: Some(start),
                deviance: false,
                ..LogisticOptions::default()
            };
            let slow =
                logistic_cols(&cols, m, k + 1, &yk, &opts, &mut Workspace::default()).unwrap();
            assert!(fast.converged && slow.converged);
            for j in 0..=k {
                let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-300);
                assert!(
                    rel(fast.coef[j], slow.coef[j]) < 1e-9,
                    "coef {j}: {fast:?} {slow:?}"
                );
                assert!(
                    rel(fast.se[j], slow.se[j]) < 1e-9,
                    "se {j}: {fast:?} {slow:?}"
                );
                assert!((fast.ln_p[j] - slow.ln_p[j]).abs() < 1e-8);
            }
        }
    }
}
