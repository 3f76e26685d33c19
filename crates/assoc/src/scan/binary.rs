//! Logistic regression of one case/control phenotype on one variant, PLINK 2's hybrid: plain
//! IRLS warm-started from the covariate-only fit, and Firth regression instead when the A1
//! dosage is zero in cases or in controls (separation) or when IRLS does not converge; the
//! FIRTH column says which produced the estimate.

use super::geno::Calls;
use super::model::{Group, GroupKind, Scratch};
use super::{ErrCode, TestResult};
use crate::regress::logistic::logistic_cols;
use crate::regress::{firth, LogisticOptions};

/// Tests one variant against the group's case/control phenotype.
pub fn test_variant(
    group: &Group,
    calls: &Calls,
    n: usize,
    a1_freq: f64,
    firth_always: bool,
    s: &mut Scratch,
    out: &mut Vec<TestResult>,
) {
    let GroupKind::Logistic { y, null_coef } = &group.kind else {
        unreachable!("logistic group")
    };
    let k = group.k;
    let p = k + 1;
    // Dosage per local sample; NaN marks a missing call.
    let mut g = std::mem::take(&mut s.tmp);
    g.clear();
    g.resize(group.n(), 0.0);
    for &i in &calls.ones {
        g[i as usize] = 1.0;
    }
    for &i in &calls.twos {
        g[i as usize] = 2.0;
    }
    for &i in &calls.missing {
        g[i as usize] = f64::NAN;
    }
    // Column-major design over the samples with a call: covariates (intercept first), then
    // the dosage.
    let mut cols = std::mem::take(&mut s.tmp2);
    cols.clear();
    cols.resize(n * p, 0.0);
    let mut yr = Vec::with_capacity(n);
    let (mut case_dose, mut ctrl_dose) = (0.0, 0.0);
    let mut r = 0;
    for (i, &gi) in g.iter().enumerate() {
        if gi.is_nan() {
            continue;
        }
        for j in 0..k {
            cols[j * n + r] = group.c[i * k + j];
        }
        cols[k * n + r] = gi;
        yr.push(y[i]);
        if y[i] > 0.5 {
            case_dose += gi;
        } else {
            ctrl_dose += gi;
        }
        r += 1;
    }
    s.tmp = g;
    let mut start = null_coef.clone();
    start.push(0.0);
    let use_firth = firth_always || case_dose == 0.0 || ctrl_dose == 0.0;
    let plain = if use_firth {
        None
    } else {
        let opts = LogisticOptions {
            start: Some(start.clone()),
            deviance: false,
            ..LogisticOptions::default()
        };
        logistic_cols(&cols, n, p, &yr, &opts, &mut s.logistic)
            .ok()
            .filter(|f| f.converged && f.coef.iter().all(|c| c.is_finite()))
    };
    let (fit, used_firth) = match plain {
        Some(f) => (Ok(f), false),
        None => {
            let rows = ndarray::Array2::from_shape_fn((n, p), |(i, j)| cols[j * n + i]);
            (firth(rows.view(), &yr, Some(&start)), true)
        }
    };
    s.tmp2 = cols;
    let r = match fit {
        Ok(f) if f.converged => {
            let (beta, se, z, ln_p) = (f.coef[k], f.se[k], f.z[k], f.ln_p[k]);
            if se.is_finite() && se > 0.0 && z.is_finite() {
                TestResult {
                    obs_ct: n,
                    a1_freq,
                    beta,
                    se,
                    stat: z,
                    ln_p,
                    firth: Some(used_firth),
                    err: None,
                }
            } else {
                TestResult::failed(n, a1_freq, Some(used_firth), ErrCode::InvalidResult)
            }
        }
        _ => TestResult::failed(
            n,
            a1_freq,
            Some(used_firth),
            if used_firth {
                ErrCode::FirthConvergeFail
            } else {
                ErrCode::LogisticConvergeFail
            },
        ),
    };
    out.push(r);
}
