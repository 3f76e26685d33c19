//! Linear regression of every phenotype of a group on one variant, in O(carriers ×
//! (covariates + phenotypes)). With `Q` an orthonormal basis of the covariates and `ỹ` the
//! residualised phenotype, the genotype's coefficient is `gᵀỹ / (gᵀg − ‖Qᵀg‖²)`. Samples with
//! a missing call are removed by a correction: over the remaining samples `QᵀQ = I − Q_MᵀQ_M`
//! and `Qᵀỹ = −Q_Mᵀỹ_M`, so a k×k Cholesky and a few k-vectors give the exact fit without
//! re-solving from scratch (the Schur complement of the genotype in the normal equations).

use super::geno::Calls;
use super::model::{Group, GroupKind, Scratch};
use super::{ErrCode, TestResult};
use crate::linalg::{cholesky, forward};

/// Tests one variant against every phenotype of a linear group; `s.acc` holds the carrier
/// sums from [`Group::prepare`].
pub fn test_variant(
    group: &Group,
    calls: &Calls,
    n: usize,
    a1_freq: f64,
    s: &mut Scratch,
    out: &mut Vec<TestResult>,
) {
    let GroupKind::Linear { yy, .. } = &group.kind else {
        unreachable!("linear group")
    };
    let k = group.k;
    let m = group.phenos.len();
    let w = group.width;
    let (n1, n2) = (calls.n_ones as f64, calls.n_twos as f64);
    let gg = n1 + 4.0 * n2;
    let df = (n - k - 1) as f64;
    let a = &s.acc[..k];
    let gy = &s.acc[k..k + m];
    let fail = |out: &mut Vec<TestResult>, e| {
        for _ in 0..m {
            out.push(TestResult::failed(n, a1_freq, None, e));
        }
    };
    let finish = |out: &mut Vec<TestResult>, num: f64, rss: f64, sgg: f64| {
        let beta = num / sgg;
        let se = (rss / df / sgg).sqrt();
        let t = beta / se;
        if se.is_nan() || se <= 0.0 || !t.is_finite() {
            out.push(TestResult::failed(n, a1_freq, None, ErrCode::InvalidResult));
        } else {
            let ln_p = biomarker_stats::ln_t_two_sided(t, df);
            out.push(TestResult {
                obs_ct: n,
                a1_freq,
                beta,
                se,
                stat: t,
                ln_p,
                firth: None,
                err: None,
            });
        }
    };
    if calls.missing.is_empty() {
        let sgg = gg - a.iter().map(|v| v * v).sum::<f64>();
        if sgg.is_nan() || sgg <= 0.0 {
            return fail(out, ErrCode::VifInfinite);
        }
        for j in 0..m {
            let num = gy[j];
            finish(out, num, yy[j] - num * num / sgg, sgg);
        }
        return;
    }
    // Missing calls: A = I − Q_MᵀQ_M, c_j = −Q_Mᵀỹ_M,j.
    let mut l = std::mem::take(&mut s.tmp2);
    l.clear();
    l.resize(k * k, 0.0);
    for i in 0..k {
        l[i * k + i] = 1.0;
    }
    let mut c = vec![0.0; k * m];
    let mut yy_m = vec![0.0; m];
    for &mi in &calls.missing {
        let row = &group.w[mi as usize * w..(mi as usize + 1) * w];
        let (q, y) = row.split_at(k);
        for a_ in 0..k {
            for b in 0..=a_ {
                l[a_ * k + b] -= q[a_] * q[b];
            }
            for j in 0..m {
                c[j * k + a_] -= q[a_] * y[j];
            }
        }
        for j in 0..m {
            yy_m[j] += y[j] * y[j];
        }
    }
    for a_ in 0..k {
        for b in 0..a_ {
            l[b * k + a_] = l[a_ * k + b];
        }
    }
    if !cholesky(&mut l, k, 1e-10) {
        s.tmp2 = l;
        return fail(out, ErrCode::VifInfinite);
    }
    let mut za = a.to_vec();
    forward(&l, k, &mut za);
    let sgg = gg - za.iter().map(|v| v * v).sum::<f64>();
    if sgg.is_nan() || sgg <= 0.0 {
        s.tmp2 = l;
        return fail(out, ErrCode::VifInfinite);
    }
    for j in 0..m {
        let zj = &mut c[j * k..(j + 1) * k];
        forward(&l, k, zj);
        let num = gy[j] - za.iter().zip(zj.iter()).map(|(p, q)| p * q).sum::<f64>();
        let rss = yy[j] - yy_m[j] - zj.iter().map(|v| v * v).sum::<f64>() - num * num / sgg;
        finish(out, num, rss, sgg);
    }
    s.tmp2 = l;
}
