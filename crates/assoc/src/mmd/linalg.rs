//! The small dense linear algebra the companion tests need on d × d covariance matrices
//! (d = feature dimension, tens): a cyclic Jacobi eigensolver, and a Cholesky solve on
//! ndarray types through the crate's [`crate::linalg`].

use ndarray::{Array1, Array2};

/// Eigenvalues (descending) and eigenvectors (columns, same order) of a symmetric matrix,
/// by cyclic Jacobi rotations; accurate to rounding for the small matrices used here.
pub fn sym_eigen(a: &Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut a = a.clone();
    let mut v = Array2::<f64>::eye(n);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[[i, j]].powi(2))
            .sum();
        let scale: f64 = a.iter().map(|x| x * x).sum();
        if off <= 1e-30 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[[p, q]];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[[k, p]], a[[k, q]]);
                    a[[k, p]] = c * akp - s * akq;
                    a[[k, q]] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[[p, k]], a[[q, k]]);
                    a[[p, k]] = c * apk - s * aqk;
                    a[[q, k]] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
                    v[[k, p]] = c * vkp - s * vkq;
                    v[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[[j, j]].total_cmp(&a[[i, i]]));
    let values = order.iter().map(|&i| a[[i, i]]).collect();
    let vectors = Array2::from_shape_fn((n, n), |(r, c)| v[[r, order[c]]]);
    (values, vectors)
}

/// Solves `A·x = b` for symmetric positive definite `A` with the crate's Cholesky
/// factorisation; None when A is not (numerically) positive definite.
pub fn cholesky_solve(a: &Array2<f64>, b: &Array1<f64>) -> Option<Array1<f64>> {
    let n = a.nrows();
    let mut l: Vec<f64> = a.iter().copied().collect();
    if !crate::linalg::cholesky(&mut l, n, 1e-12) {
        return None;
    }
    let mut x = b.to_vec();
    crate::linalg::chol_solve(&l, n, &mut x);
    Some(Array1::from(x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn eigen_reconstructs_the_matrix() {
        let a = array![[4.0, 1.0, 0.5], [1.0, 3.0, -0.2], [0.5, -0.2, 1.0]];
        let (vals, vecs) = sym_eigen(&a);
        assert!(vals.windows(2).all(|w| w[0] >= w[1]));
        let rebuilt = vecs
            .dot(&Array2::from_diag(&Array1::from(vals)))
            .dot(&vecs.t());
        assert!((rebuilt - &a).iter().all(|d| d.abs() < 1e-12));
    }

    #[test]
    fn cholesky_solves_and_rejects_singular() {
        let a = array![[4.0, 2.0], [2.0, 3.0]];
        let x = cholesky_solve(&a, &array![2.0, 1.0]).unwrap();
        assert!((a.dot(&x) - array![2.0, 1.0])
            .iter()
            .all(|d| d.abs() < 1e-14));
        assert!(cholesky_solve(&array![[1.0, 1.0], [1.0, 1.0]], &array![1.0, 1.0]).is_none());
    }
}
