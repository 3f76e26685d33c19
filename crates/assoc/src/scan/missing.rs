//! The arithmetic of the missing-call correction of the linear scan (see [`super::linear`]):
//! the sums over the samples with a missing call (`I − Q_MᵀQ_M`, `−Q_Mᵀỹ_M`, `‖ỹ_M‖²`), the
//! forward substitution of every phenotype's vector at once, and the per-phenotype numerator
//! and squared norm. With 1% missing calls a variant has dozens of such samples and every
//! one costs `k × phenotypes` multiply-subtracts, so these loops are a good part of the scan.
//!
//! Two things make them faster without changing a bit of their results:
//! - the rows of `W` of the missing samples are scattered over a matrix larger than the
//!   core's cache, so the next rows are prefetched while the current one is used;
//! - `−Q_Mᵀỹ_M` is summed by register tiles (a few covariates × 8 phenotypes) that stay in
//!   registers over every missing sample, in the same order as sample by sample;
//! - the loops run across the phenotypes, and are compiled for AVX-512 and AVX2 as well as
//!   the baseline, picked at run time as in [`super::kernel`]. Every path performs the same
//!   operations in the same order (element-wise products and differences, no reduction
//!   across lanes, no fused multiply-add), so the results are bit-identical on every CPU.

/// Rows prefetched ahead of the one in use.
const AHEAD: usize = 8;
/// Covariate rows of `c` per register tile.
const ROWS: usize = 4;
/// Phenotypes per register tile: one 512-bit vector of f64.
const LANES: usize = 8;

/// Sums over the samples `missing` (rows of the sample-major `w`, `width` columns: the `k`
/// covariate-basis columns, then the phenotypes, of which the `m` from `y0` on take part):
/// `l` (`k × k`, lower triangle only) `−= q qᵀ`, `c` (`k × m`, covariate-major) `−= q ỹᵀ`,
/// `yy` (`m`) `+= ỹ²`.
#[allow(clippy::too_many_arguments)]
pub fn accumulate(
    w: &[f64],
    width: usize,
    k: usize,
    (y0, m): (usize, usize),
    missing: &[u32],
    l: &mut [f64],
    c: &mut [f64],
    yy: &mut [f64],
) {
    assert!(k + y0 + m <= width && l.len() == k * k && c.len() == k * m && yy.len() == m);
    dispatch::accumulate::run(w, width, k, (y0, m), missing, l, c, yy)
}

/// Solves `L z_j = c_j` in place for every column `j` of the covariate-major `k × m` matrix
/// `c`, with `l` a `k × k` lower-triangular Cholesky factor.
pub fn forward_columns(l: &[f64], k: usize, m: usize, c: &mut [f64]) {
    assert!(l.len() >= k * k && c.len() == k * m);
    dispatch::forward_columns::run(l, k, m, c)
}

/// `num_j −= zaᵀ z_j` and `zz_j += ‖z_j‖²` for the columns `z_j` of the covariate-major
/// `z` (`za.len() × m`).
pub fn numerators(z: &[f64], za: &[f64], num: &mut [f64], zz: &mut [f64]) {
    let m = num.len();
    assert!(zz.len() == m && z.len() == za.len() * m);
    dispatch::numerators::run(z, za, num, zz)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn accumulate_body(
    w: &[f64],
    width: usize,
    k: usize,
    (y0, m): (usize, usize),
    missing: &[u32],
    l: &mut [f64],
    c: &mut [f64],
    yy: &mut [f64],
) {
    let row_of = |mi: u32| &w[mi as usize * width..mi as usize * width + width];
    for &mi in missing.iter().take(AHEAD) {
        dispatch::prefetch(row_of(mi));
    }
    // `l` and `yy`, one missing sample after another; this pass also brings their rows of
    // `w` into the cache for the next.
    for (i, &mi) in missing.iter().enumerate() {
        if let Some(&next) = missing.get(i + AHEAD) {
            dispatch::prefetch(row_of(next));
        }
        let row = row_of(mi);
        let (q, y) = row.split_at(k);
        for (a_, l_row) in l.chunks_exact_mut(k).enumerate() {
            let qa = q[a_];
            for (lb, qb) in l_row[..=a_].iter_mut().zip(q) {
                *lb -= qa * qb;
            }
        }
        for (t, yj) in yy.iter_mut().zip(&y[y0..y0 + m]) {
            *t += yj * yj;
        }
    }
    // `c` by register tiles of ROWS covariates × LANES phenotypes, each held in registers
    // while every missing sample is subtracted: no load and store of `c` per sample.
    for a0 in (0..k).step_by(ROWS) {
        let rows = ROWS.min(k - a0);
        for j0 in (0..m).step_by(LANES) {
            let lanes = LANES.min(m - j0);
            let mut acc = [[0.0f64; LANES]; ROWS];
            for (a, acc_a) in acc.iter_mut().enumerate().take(rows) {
                let at = (a0 + a) * m + j0;
                acc_a[..lanes].copy_from_slice(&c[at..at + lanes]);
            }
            for &mi in missing {
                let at = mi as usize * width + k + y0 + j0;
                // A last tile of fewer phenotypes reads on into the next columns (or rows)
                // of `w`, whose lanes are never stored; only at the very end of `w` does it
                // copy.
                let y: [f64; LANES] = match w.get(at..at + LANES) {
                    Some(y) => y.try_into().expect("lanes"),
                    None => std::array::from_fn(|l| if l < lanes { w[at + l] } else { 0.0 }),
                };
                let q = &w[mi as usize * width + a0..];
                for (a, acc_a) in acc.iter_mut().enumerate() {
                    // Rows past `k` subtract zeros and are not stored.
                    let qa = if a < rows { q[a] } else { 0.0 };
                    for (x, yl) in acc_a.iter_mut().zip(&y) {
                        *x -= qa * yl;
                    }
                }
            }
            for (a, acc_a) in acc.iter().enumerate().take(rows) {
                let at = (a0 + a) * m + j0;
                c[at..at + lanes].copy_from_slice(&acc_a[..lanes]);
            }
        }
    }
}

#[inline(always)]
fn forward_columns_body(l: &[f64], k: usize, m: usize, c: &mut [f64]) {
    for a_ in 0..k {
        let (done, rest) = c.split_at_mut(a_ * m);
        let row = &mut rest[..m];
        for b in 0..a_ {
            let lab = l[a_ * k + b];
            for (x, zb) in row.iter_mut().zip(&done[b * m..(b + 1) * m]) {
                *x -= lab * zb;
            }
        }
        let d = l[a_ * k + a_];
        for x in row.iter_mut() {
            *x /= d;
        }
    }
}

#[inline(always)]
fn numerators_body(z: &[f64], za: &[f64], num: &mut [f64], zz: &mut [f64]) {
    let m = num.len();
    for (a_, z_row) in z.chunks_exact(m).enumerate() {
        let zaa = za[a_];
        for ((nj, zj), t) in num.iter_mut().zip(z_row).zip(zz.iter_mut()) {
            *nj -= zaa * zj;
            *t += zj * zj;
        }
    }
}

/// Run-time choice of the instruction set, and the prefetch instruction; with
/// `kernel::dispatch`, the only unsafe code of the scan.
#[allow(unsafe_code)]
mod dispatch {
    /// Asks for the cache lines of `row` (a hint: it never faults and changes no value).
    #[inline(always)]
    pub(super) fn prefetch(row: &[f64]) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            for line in row.chunks(8) {
                // SAFETY: SSE is part of the x86-64 baseline, and a prefetch is only a hint
                // (it never faults); the address lies inside `row` anyway.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
            }
            if let Some(last) = row.last() {
                // SAFETY: as above; the row need not start on a cache line.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(last).cast()) };
            }
        }
    }

    /// A module `$name` with the body compiled for AVX-512 and for AVX2 and `run`, which
    /// picks the best this CPU has (else the baseline).
    macro_rules! dispatched {
        ($name:ident => $body:path, ($($arg:ident: $ty:ty),*)) => {
            pub(super) mod $name {
                #[allow(clippy::too_many_arguments)]
                pub(in super::super) fn run($($arg: $ty),*) {
                    #[cfg(target_arch = "x86_64")]
                    {
                        if std::arch::is_x86_feature_detected!("avx512f") {
                            // SAFETY: the CPU supports AVX-512F, checked just above.
                            return unsafe { avx512($($arg),*) };
                        }
                        if std::arch::is_x86_feature_detected!("avx2") {
                            // SAFETY: the CPU supports AVX2, checked just above.
                            return unsafe { avx2($($arg),*) };
                        }
                    }
                    $body($($arg),*)
                }

                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx512f")]
                #[allow(clippy::too_many_arguments)]
                pub(in super::super) unsafe fn avx512($($arg: $ty),*) {
                    $body($($arg),*)
                }

                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx2")]
                #[allow(clippy::too_many_arguments)]
                pub(in super::super) unsafe fn avx2($($arg: $ty),*) {
                    $body($($arg),*)
                }
            }
        };
    }

    dispatched!(accumulate => super::super::accumulate_body, (w: &[f64], width: usize,
        k: usize, ys: (usize, usize), missing: &[u32], l: &mut [f64], c: &mut [f64],
        yy: &mut [f64]));
    dispatched!(forward_columns => super::super::forward_columns_body,
        (l: &[f64], k: usize, m: usize, c: &mut [f64]));
    dispatched!(numerators => super::super::numerators_body,
        (z: &[f64], za: &[f64], num: &mut [f64], zz: &mut [f64]));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sums written out plainly, one missing sample and one element at a time.
    fn plain(
        w: &[f64],
        width: usize,
        k: usize,
        (y0, m): (usize, usize),
        missing: &[u32],
    ) -> Vec<f64> {
        let (mut l, mut c, mut yy) = (vec![0.0; k * k], vec![0.0; k * m], vec![0.0; m]);
        for &mi in missing {
            let row = &w[mi as usize * width..];
            for a in 0..k {
                for b in 0..=a {
                    l[a * k + b] -= row[a] * row[b];
                }
                for j in 0..m {
                    c[a * m + j] -= row[a] * row[k + y0 + j];
                }
            }
            for j in 0..m {
                yy[j] += row[k + y0 + j] * row[k + y0 + j];
            }
        }
        [l, c, yy].concat()
    }

    /// The three steps on one path (`None` where this CPU lacks it): every output, as bits.
    #[allow(unsafe_code)]
    fn run(
        path: &str,
        w: &[f64],
        width: usize,
        k: usize,
        (y0, m): (usize, usize),
        miss: &[u32],
    ) -> Option<Vec<u64>> {
        let (mut l, mut c, mut yy) = (vec![0.0; k * k], vec![0.0; k * m], vec![0.0; m]);
        for a in 0..k {
            l[a * k + a] = 500.0;
        }
        let za: Vec<f64> = (0..k).map(|a| 0.25 * a as f64 - 0.6).collect();
        let (mut num, mut zz): (Vec<f64>, Vec<f64>) =
            ((0..m).map(|j| j as f64).collect(), vec![0.0; m]);
        let (l_, c_, yy_, num_, zz_) = (&mut l, &mut c, &mut yy, &mut num, &mut zz);
        match path {
            "baseline" => {
                accumulate_body(w, width, k, (y0, m), miss, l_, c_, yy_);
                forward_columns_body(l_, k, m, c_);
                numerators_body(c_, &za, num_, zz_);
            }
            "dispatched" => {
                accumulate(w, width, k, (y0, m), miss, l_, c_, yy_);
                forward_columns(l_, k, m, c_);
                numerators(c_, &za, num_, zz_);
            }
            #[cfg(target_arch = "x86_64")]
            "avx2" => {
                if !std::arch::is_x86_feature_detected!("avx2") {
                    return None;
                }
                // SAFETY: the CPU supports AVX2, checked just above.
                unsafe {
                    dispatch::accumulate::avx2(w, width, k, (y0, m), miss, l_, c_, yy_);
                    dispatch::forward_columns::avx2(l_, k, m, c_);
                    dispatch::numerators::avx2(c_, &za, num_, zz_);
                }
            }
            #[cfg(target_arch = "x86_64")]
            "avx512" => {
                if !std::arch::is_x86_feature_detected!("avx512f") {
                    return None;
                }
                // SAFETY: the CPU supports AVX-512F, checked just above.
                unsafe {
                    dispatch::accumulate::avx512(w, width, k, (y0, m), miss, l_, c_, yy_);
                    dispatch::forward_columns::avx512(l_, k, m, c_);
                    dispatch::numerators::avx512(c_, &za, num_, zz_);
                }
            }
            _ => return None,
        }
        Some(
            [l, c, yy, num, zz]
                .concat()
                .iter()
                .map(|v| v.to_bits())
                .collect(),
        )
    }

    #[test]
    fn every_path_gives_the_same_bits() {
        // Phenotype counts that leave every lane tail (37 = 4·8 + 5), rows read out of order,
        // the phenotypes taken from the first column after the covariates or further on.
        let (n, k) = (50, 6);
        let missing: Vec<u32> = vec![3, 17, 4, 49, 0, 22, 31, 8, 9];
        for (y0, m) in [(0, 1), (2, 1), (0, 5), (1, 37)] {
            let width = k + y0 + m + 1;
            let w: Vec<f64> = (0..n * width)
                .map(|i| ((i * 7919 % 1009) as f64 - 504.0) / 97.0)
                .collect();
            // The sums equal the plain loops.
            let (mut l, mut c, mut yy) = (vec![0.0; k * k], vec![0.0; k * m], vec![0.0; m]);
            accumulate(&w, width, k, (y0, m), &missing, &mut l, &mut c, &mut yy);
            assert_eq!([l, c, yy].concat(), plain(&w, width, k, (y0, m), &missing));
            let want = run("baseline", &w, width, k, (y0, m), &missing).expect("baseline");
            assert!(want.iter().filter(|&&b| b != 0).count() > k * m);
            for path in ["dispatched", "avx2", "avx512"] {
                if let Some(got) = run(path, &w, width, k, (y0, m), &missing) {
                    assert_eq!(got, want, "{path}, {m} phenotypes");
                } else {
                    eprintln!("skipped: this CPU lacks {path}");
                }
            }
        }
    }
}
