//! Kernels and bandwidth conventions. Every quadratic-time statistic here starts from the
//! Gram matrix `G = X·Xᵀ` of one structure's features (built once per structure); squared
//! distances, Gaussian and Laplacian kernels and the energy distance's `−‖x−y‖` are
//! elementwise functions of it, so a kernel for any subset of subjects is a cheap pass over
//! a sub-block of `G` rather than a second pass over the features.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use super::MmdError;

/// Which kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelKind {
    /// `k(x, y) = xᵀy`; the biased MMD² is then `‖x̄ − ȳ‖²` (Kirchler et al.'s DMMD).
    Linear,
    /// `k(x, y) = exp(−‖x−y‖² / (2σ²))`.
    Gaussian,
    /// `k(x, y) = exp(−‖x−y‖ / σ)`.
    Laplacian,
    /// `k(x, y) = −‖x−y‖`: the biased MMD² with it is the energy distance
    /// `2·E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖` (V-statistic form).
    NegDistance,
}

impl KernelKind {
    /// The name written to tables (`none` for the energy distance, which is not a kernel test).
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::Linear => "linear",
            KernelKind::Gaussian => "gaussian",
            KernelKind::Laplacian => "laplacian",
            KernelKind::NegDistance => "none",
        }
    }
}

/// How the median heuristic turns the pooled pairwise distances into a bandwidth σ.
/// Both conventions are in use and give different kernels, so the choice is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MedianConvention {
    /// σ = median‖x−y‖, i.e. `exp(−d²/(2·median(d)²))`: Gretton et al. (2012, JMLR) and
    /// hyppo 0.5.2 (`gamma = 1/(2·med²)` over the off-diagonal distances).
    Sigma,
    /// `exp(−d²/median(d²))`, i.e. σ = √(median(d²)/2): Gretton's reference code and
    /// alibi-detect.
    MedianSquared,
}

/// The bandwidth of a Gaussian or Laplacian kernel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bandwidth {
    /// A fixed σ > 0.
    Fixed(f64),
    /// The median heuristic over the pooled sample of the two groups tested.
    Median(MedianConvention),
}

/// A kernel with its bandwidth rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelSpec {
    /// Which kernel.
    pub kind: KernelKind,
    /// Bandwidth rule (ignored by the linear kernel and the energy distance).
    pub bandwidth: Bandwidth,
}

impl KernelSpec {
    /// Whether the kernel has a bandwidth.
    pub fn has_bandwidth(&self) -> bool {
        matches!(self.kind, KernelKind::Gaussian | KernelKind::Laplacian)
    }
}

/// The Gram matrix `X·Xᵀ` of row-major `n × d` features. Only the upper triangle is
/// multiplied out (in parallel blocks of rows, each block against the columns from its first
/// row on), then mirrored: half the flops of the full product.
pub fn gram(x: ArrayView2<'_, f64>) -> Array2<f64> {
    const BLOCK: usize = 128;
    let n = x.nrows();
    let mut g = Array2::zeros((n, n));
    g.as_slice_mut()
        .expect("a fresh matrix is contiguous")
        .par_chunks_mut(BLOCK * n.max(1))
        .enumerate()
        .for_each(|(i, out)| {
            let r0 = i * BLOCK;
            let r1 = (r0 + BLOCK).min(n);
            let block = x
                .slice(ndarray::s![r0..r1, ..])
                .dot(&x.slice(ndarray::s![r0.., ..]).t());
            for (row, src) in out.chunks_mut(n).zip(block.rows()) {
                row[r0..].iter_mut().zip(src).for_each(|(o, v)| *o = *v);
            }
        });
    mirror_upper(&mut g);
    g
}

/// Copies the strict upper triangle of a square contiguous matrix onto its strict lower
/// triangle, in parallel blocks of rows and cache-sized tiles. Each row is split into its
/// lower part (written) and the rest (read), so the workers share only immutable slices.
fn mirror_upper(m: &mut Array2<f64>) {
    const BLOCK: usize = 64;
    let n = m.nrows();
    assert_eq!(n, m.ncols(), "a square matrix");
    if n == 0 {
        return;
    }
    let data = m.as_slice_mut().expect("a fresh matrix is contiguous");
    let (mut lower, upper): (Vec<&mut [f64]>, Vec<&[f64]>) = data
        .chunks_mut(n)
        .enumerate()
        .map(|(a, row)| {
            let (lo, up) = row.split_at_mut(a);
            (lo, &*up)
        })
        .unzip();
    // upper[b][j] is element (b, b + j).
    lower
        .par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(ib, rows)| {
            let a0 = ib * BLOCK;
            let a1 = a0 + rows.len();
            for b0 in (0..a1).step_by(BLOCK) {
                for (a, row) in (a0..).zip(rows.iter_mut()) {
                    for b in b0..(b0 + BLOCK).min(a) {
                        row[b] = upper[b][a - b];
                    }
                }
            }
        });
}

/// Median of the strictly upper-triangular entries of a square matrix (the lower triangle
/// is not read).
pub fn median_off_diagonal(m: ArrayView2<'_, f64>) -> f64 {
    upper_median_by(m, |x| x)
}

#[cfg(test)]
fn median(v: &mut [f64]) -> f64 {
    median_by(v, |x| x)
}

/// The median of `f(v)` for a non-decreasing `f`, computed on `v`.
fn median_by(v: &mut [f64], f: impl Fn(f64) -> f64) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let hi = f(*hi);
    if n % 2 == 1 {
        hi
    } else {
        let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (f(lo) + hi)
    }
}

/// The bandwidth σ a spec gives on pooled squared distances `d2` (a square matrix of which
/// only the strict upper triangle is read).
pub fn resolve_bandwidth(
    spec: &KernelSpec,
    d2: ArrayView2<'_, f64>,
) -> Result<Option<f64>, MmdError> {
    if !spec.has_bandwidth() {
        return Ok(None);
    }
    let sigma = match (spec.bandwidth, spec.kind) {
        (Bandwidth::Fixed(s), _) => s,
        (Bandwidth::Median(MedianConvention::MedianSquared), KernelKind::Gaussian) => {
            (median_off_diagonal(d2) / 2.0).sqrt()
        }
        // Order statistics commute with the monotone square root, so the median distance
        // is taken from the squared ones: the root of the middle one, or the mean of the
        // roots of the two middle ones.
        (Bandwidth::Median(_), _) => upper_median_by(d2, f64::sqrt),
    };
    if sigma.is_finite() && sigma > 0.0 {
        Ok(Some(sigma))
    } else {
        Err(MmdError::Degenerate(format!(
            "the {} kernel's bandwidth is {sigma}: the pooled features have (nearly) no spread",
            spec.kind.name()
        )))
    }
}

/// The median of `f` over the strict upper triangle of `m`, exactly as [`median_by`] on the
/// collected triangle gives it, without collecting and selecting over all n(n−1)/2 entries
/// on one thread: a seeded random sample brackets the middle ranks, one parallel pass counts
/// the entries below the bracket and collects those inside it, and the selection runs on
/// that small set. If the bracket misses the middle ranks (possible only by bad luck or with
/// many ties), it falls back to the whole triangle, so the result never depends on the sample.
fn upper_median_by(m: ArrayView2<'_, f64>, f: impl Fn(f64) -> f64) -> f64 {
    const SAMPLE: usize = 1 << 16;
    const MARGIN: usize = 1 << 10; // ±8 standard deviations of the sampled median's rank
    let n = m.nrows();
    let total = n * n.saturating_sub(1) / 2;
    if total < 16 * SAMPLE {
        return median_by(&mut upper_triangle(m), f);
    }
    // A splitmix64 stream of (row, column) pairs: deterministic, so runs are reproducible.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut sample = Vec::with_capacity(SAMPLE);
    while sample.len() < SAMPLE {
        let (a, b) = ((next() % n as u64) as usize, (next() % n as u64) as usize);
        if a != b {
            sample.push(m[[a.min(b), a.max(b)]]);
        }
    }
    sample.sort_unstable_by(f64::total_cmp);
    let mid = SAMPLE / 2;
    let lo = sample[mid - MARGIN];
    let hi = sample[mid + MARGIN];
    let (below, mut inside) = (0..n)
        .into_par_iter()
        .fold(
            || (0usize, Vec::new()),
            |(mut below, mut inside), a| {
                for &v in m.row(a).iter().skip(a + 1) {
                    if v.total_cmp(&lo).is_lt() {
                        below += 1;
                    } else if v.total_cmp(&hi).is_le() {
                        inside.push(v);
                    }
                }
                (below, inside)
            },
        )
        .reduce(
            || (0, Vec::new()),
            |(b1, mut v1), (b2, v2)| {
                v1.extend(v2);
                (b1 + b2, v1)
            },
        );
    // The ranks median_by reads: total / 2 and, for an even count, the one before it.
    let k = total / 2;
    let first = if total.is_multiple_of(2) { k - 1 } else { k };
    if below > first || k >= below + inside.len() {
        return median_by(&mut upper_triangle(m), f);
    }
    let (_, hi_v, _) = inside.select_nth_unstable_by(k - below, f64::total_cmp);
    let hi_v = f(*hi_v);
    if total % 2 == 1 {
        hi_v
    } else {
        let lo_v = inside[..k - below]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        0.5 * (f(lo_v) + hi_v)
    }
}

fn upper_triangle(m: ArrayView2<'_, f64>) -> Vec<f64> {
    let n = m.nrows();
    (0..n)
        .into_par_iter()
        .flat_map_iter(|a| {
            m.row(a)
                .into_iter()
                .skip(a + 1)
                .copied()
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The kernel matrix of the subjects `rows` (given the structure's Gram matrix `g`) and the
/// bandwidth used. Squared distances are written in place, in parallel rows, the bandwidth
/// is read off them, and a second parallel pass turns them into kernel values.
pub fn kernel_matrix(
    spec: &KernelSpec,
    g: ArrayView2<'_, f64>,
    rows: &[usize],
) -> Result<(Array2<f64>, Option<f64>), MmdError> {
    let n = rows.len();
    if spec.kind == KernelKind::Linear {
        let mut k = Array2::zeros((n, n));
        fill_rows(&mut k, |a, out| {
            let ga = g.row(rows[a]);
            out.iter_mut().zip(rows).for_each(|(v, &rb)| *v = ga[rb]);
        });
        return Ok((k, None));
    }
    let diag: Vec<f64> = rows.iter().map(|&i| g[[i, i]]).collect();
    // The kernel is symmetric: squared distances and kernel values are computed on the
    // strict upper triangle only, then mirrored.
    let mut k = Array2::zeros((n, n));
    fill_rows(&mut k, |a, out| {
        let ga = g.row(rows[a]);
        let da = diag[a];
        let (out, rest, dr) = (&mut out[a + 1..], &rows[a + 1..], &diag[a + 1..]);
        for ((v, &rb), db) in out.iter_mut().zip(rest).zip(dr) {
            *v = (da + db - 2.0 * ga[rb]).max(0.0);
        }
    });
    let sigma = resolve_bandwidth(spec, k.view())?;
    match spec.kind {
        KernelKind::Gaussian => {
            let s = sigma.expect("gaussian has a bandwidth");
            let c = -1.0 / (2.0 * s * s);
            apply_upper(&mut k, 1.0, |v| (v * c).exp());
        }
        KernelKind::Laplacian => {
            let c = -1.0 / sigma.expect("laplacian has a bandwidth");
            apply_upper(&mut k, 1.0, |v| (v.sqrt() * c).exp());
        }
        KernelKind::NegDistance => apply_upper(&mut k, 0.0, |v| -v.sqrt()),
        KernelKind::Linear => unreachable!("handled above"),
    }
    mirror_upper(&mut k);
    Ok((k, sigma))
}

/// Maps the strict upper triangle of a square matrix through `f` (generic, so the loop is
/// inlined) and sets the diagonal to `at_zero`, the kernel at distance 0.
fn apply_upper(k: &mut Array2<f64>, at_zero: f64, f: impl Fn(f64) -> f64 + Sync) {
    fill_rows(k, |a, out| {
        out[a] = at_zero;
        out[a + 1..].iter_mut().for_each(|v| *v = f(*v));
    });
}

/// Fills the rows of a square contiguous matrix in parallel.
fn fill_rows(k: &mut Array2<f64>, f: impl Fn(usize, &mut [f64]) + Sync) {
    let n = k.ncols().max(1);
    k.as_slice_mut()
        .expect("a fresh matrix is contiguous")
        .par_chunks_mut(n)
        .enumerate()
        .for_each(|(a, r)| f(a, r));
}

/// A single kernel evaluation on two feature vectors (the linear-time statistic needs no
/// matrix).
pub fn eval(kind: KernelKind, sigma: Option<f64>, x: &[f64], y: &[f64]) -> f64 {
    let dot = || x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    let d2 = || x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
    match kind {
        KernelKind::Linear => dot(),
        KernelKind::Gaussian => {
            let s = sigma.expect("gaussian has a bandwidth");
            (-d2() / (2.0 * s * s)).exp()
        }
        KernelKind::Laplacian => (-d2().sqrt() / sigma.expect("laplacian has a bandwidth")).exp(),
        KernelKind::NegDistance => -d2().sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn kernel_matrix_matches_direct_evaluation_in_both_conventions() {
        let x = array![[0.0, 1.0], [2.0, -1.0], [1.5, 0.5], [-1.0, 3.0]];
        let g = gram(x.view());
        let rows = [0, 1, 2, 3];
        // Pairwise distances: the median of the 6 off-diagonal ones, by hand.
        let mut d: Vec<f64> = Vec::new();
        for i in 0..4 {
            for j in i + 1..4 {
                d.push(
                    eval(
                        KernelKind::NegDistance,
                        None,
                        x.row(i).as_slice().unwrap(),
                        x.row(j).as_slice().unwrap(),
                    )
                    .abs(),
                );
            }
        }
        let mut dd = d.clone();
        let med = median(&mut dd);
        let mut d2: Vec<f64> = d.iter().map(|v| v * v).collect();
        let med2 = median(&mut d2);
        for (conv, sigma) in [
            (MedianConvention::Sigma, med),
            (MedianConvention::MedianSquared, (med2 / 2.0).sqrt()),
        ] {
            let spec = KernelSpec {
                kind: KernelKind::Gaussian,
                bandwidth: Bandwidth::Median(conv),
            };
            let (k, s) = kernel_matrix(&spec, g.view(), &rows).unwrap();
            assert!((s.unwrap() - sigma).abs() < 1e-12);
            for i in 0..4 {
                for j in 0..4 {
                    let want = eval(
                        KernelKind::Gaussian,
                        s,
                        x.row(i).as_slice().unwrap(),
                        x.row(j).as_slice().unwrap(),
                    );
                    assert!((k[[i, j]] - want).abs() < 1e-12);
                }
            }
        }
        let spec = KernelSpec {
            kind: KernelKind::Laplacian,
            bandwidth: Bandwidth::Fixed(0.7),
        };
        let (k, _) = kernel_matrix(&spec, g.view(), &[2, 0]).unwrap();
        let want = (-(1.5f64 * 1.5 + 0.5 * 0.5).sqrt() / 0.7).exp();
        assert!((k[[0, 1]] - want).abs() < 1e-12);
    }

    #[test]
    fn zero_spread_is_an_error() {
        let x = array![[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]];
        let spec = KernelSpec {
            kind: KernelKind::Gaussian,
            bandwidth: Bandwidth::Median(MedianConvention::Sigma),
        };
        let err = kernel_matrix(&spec, gram(x.view()).view(), &[0, 1, 2]).unwrap_err();
        assert!(err.to_string().contains("no spread"), "{err}");
    }

    /// The sampled bracket gives exactly the median of the whole triangle (odd and even
    /// counts, continuous values and heavy ties).
    #[test]
    fn bracketed_median_is_exact() {
        for (n, ties) in [(1500, false), (1501, false), (1600, true)] {
            let mut state = 12345u64;
            let m = Array2::from_shape_fn((n, n), |_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                if ties {
                    (u * 3.0).floor()
                } else {
                    u * u
                }
            });
            let want = median_by(&mut upper_triangle(m.view()), f64::sqrt);
            assert_eq!(upper_median_by(m.view(), f64::sqrt), want, "n = {n}");
            assert_eq!(
                median_off_diagonal(m.view()),
                median(&mut upper_triangle(m.view()))
            );
        }
    }

    #[test]
    fn symmetric_gram_matches_the_full_product() {
        let x = Array2::from_shape_fn((300, 7), |(i, j)| ((i * 7 + j * 13) % 17) as f64 - 8.0);
        let g = gram(x.view());
        assert_eq!(g, x.dot(&x.t()));
    }
}
