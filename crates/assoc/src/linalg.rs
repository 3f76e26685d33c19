//! Small dense linear algebra on row-major `f64` slices: Cholesky factorisation, triangular
//! solves and SPD inverses for the (k+1)×(k+1) systems of per-variant regressions, and a
//! thin Householder QR for orthonormal covariate bases. Dimensions are tiny (covariates), so
//! plain loops beat a BLAS call's overhead.

/// In-place Cholesky factorisation `A = L Lᵀ` of an `n×n` SPD matrix (row-major, lower
/// triangle used and overwritten with `L`). Returns false when `A` is not positive definite
/// to working precision (a pivot below `tol` times the largest diagonal entry).
pub fn cholesky(a: &mut [f64], n: usize, tol: f64) -> bool {
    let scale = (0..n).map(|i| a[i * n + i].abs()).fold(0.0f64, f64::max);
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d.is_nan() || d <= tol * scale || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
        for i in 0..j {
            a[i * n + j] = 0.0;
        }
    }
    true
}

/// Solves `L x = b` in place (forward substitution) with `L` from [`cholesky`].
pub fn forward(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Solves `Lᵀ x = b` in place (back substitution) with `L` from [`cholesky`].
pub fn backward(l: &[f64], n: usize, b: &mut [f64]) {
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Solves `A x = b` in place given the Cholesky factor of `A`.
pub fn chol_solve(l: &[f64], n: usize, b: &mut [f64]) {
    forward(l, n, b);
    backward(l, n, b);
}

/// The inverse of `A` (row-major, full) from its Cholesky factor.
pub fn chol_inverse(l: &[f64], n: usize) -> Vec<f64> {
    let mut inv = vec![0.0; n * n];
    let mut col = vec![0.0; n];
    for j in 0..n {
        col.iter_mut().for_each(|c| *c = 0.0);
        col[j] = 1.0;
        chol_solve(l, n, &mut col);
        for i in 0..n {
            inv[i * n + j] = col[i];
        }
    }
    inv
}

/// Thin QR by Householder reflections of an `n×k` column-major matrix `x` (`k ≤ n`):
/// returns `(Q, R)` with `Q` `n×k` column-major with orthonormal columns and `R` `k×k`
/// upper triangular row-major, `X = Q R`. `None` when a column is (numerically) in the
/// span of the previous ones.
pub fn thin_qr(x: &[f64], n: usize, k: usize) -> Option<(Vec<f64>, Vec<f64>)> {
    let mut a = x.to_vec();
    let mut vs: Vec<Vec<f64>> = Vec::with_capacity(k);
    let mut r = vec![0.0; k * k];
    let norms: Vec<f64> = (0..k)
        .map(|j| {
            a[j * n..(j + 1) * n]
                .iter()
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    for j in 0..k {
        let col = &a[j * n..(j + 1) * n];
        let norm = col[j..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm.is_nan() || norm <= 1e-10 * norms[j].max(f64::MIN_POSITIVE) {
            return None;
        }
        let alpha = if col[j] > 0.0 { -norm } else { norm };
        let mut v = vec![0.0; n];
        v[j..].copy_from_slice(&col[j..]);
        v[j] -= alpha;
        let vnorm2: f64 = v[j..].iter().map(|t| t * t).sum();
        // Apply H = I − 2vvᵀ/(vᵀv) to columns j.. of a.
        for c in j..k {
            let colc = &mut a[c * n..(c + 1) * n];
            let dot: f64 = v[j..].iter().zip(&colc[j..]).map(|(p, q)| p * q).sum();
            let f = 2.0 * dot / vnorm2;
            for (t, vi) in colc[j..].iter_mut().zip(&v[j..]) {
                *t -= f * vi;
            }
        }
        for c in j..k {
            r[j * k + c] = a[c * n + j];
        }
        vs.push(v);
    }
    // Q = H_0 … H_{k−1} applied to the first k unit vectors.
    let mut q = vec![0.0; n * k];
    for c in 0..k {
        let col = &mut q[c * n..(c + 1) * n];
        col[c] = 1.0;
        for j in (0..k).rev() {
            let v = &vs[j];
            let vnorm2: f64 = v[j..].iter().map(|t| t * t).sum();
            let dot: f64 = v[j..].iter().zip(&col[j..]).map(|(p, q)| p * q).sum();
            let f = 2.0 * dot / vnorm2;
            for (t, vi) in col[j..].iter_mut().zip(&v[j..]) {
                *t -= f * vi;
            }
        }
    }
    Some((q, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_and_inverts() {
        let a = [4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let mut l = a;
        assert!(cholesky(&mut l, 3, 1e-12));
        let mut b = [1.0, 2.0, 3.0];
        chol_solve(&l, 3, &mut b);
        for i in 0..3 {
            let got: f64 = (0..3).map(|j| a[i * 3 + j] * b[j]).sum();
            assert!((got - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
        let inv = chol_inverse(&l, 3);
        for i in 0..3 {
            for j in 0..3 {
                let e: f64 = (0..3).map(|t| a[i * 3 + t] * inv[t * 3 + j]).sum();
                assert!((e - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
        let mut singular = [1.0, 2.0, 2.0, 4.0];
        assert!(!cholesky(&mut singular, 2, 1e-12));
    }

    #[test]
    fn qr_reconstructs_and_is_orthonormal() {
        let n = 5;
        let x = [
            1.0, 1.0, 1.0, 1.0, 1.0, 0.5, -1.0, 2.0, 3.0, 0.1, 9.0, 1.0, -4.0, 2.5, 0.0,
        ];
        let (q, r) = thin_qr(&x, n, 3).unwrap();
        for a in 0..3 {
            for b in 0..3 {
                let d: f64 = (0..n).map(|i| q[a * n + i] * q[b * n + i]).sum();
                assert!((d - f64::from(u8::from(a == b))).abs() < 1e-12);
            }
            for i in 0..n {
                let v: f64 = (0..3).map(|t| q[t * n + i] * r[t * 3 + a]).sum();
                assert!((v - x[a * n + i]).abs() < 1e-12);
            }
        }
        let dup = [1.0, 2.0, 3.0, 2.0, 4.0, 6.0];
        assert!(thin_qr(&dup, 3, 2).is_none());
    }
}
