//! Logistic regression of one case/control phenotype on one variant, PLINK 2's hybrid: plain
//! IRLS warm-started from the covariate-only fit, and Firth regression instead when the A1
//! dosage is zero in cases or in controls (separation) or when IRLS does not converge; the
//! FIRTH column says which produced the estimate.

use ndarray::ArrayView2;

use super::geno::Calls;
use super::model::{Group, GroupKind, Scratch};
use super::{ErrCode, TestResult};
use crate::regress::{firth, logistic, LogisticOptions};

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
    let mut x = Vec::with_capacity(n * p);
    let mut yr = Vec::with_capacity(n);
    let (mut case_dose, mut ctrl_dose) = (0.0, 0.0);
    for (i, &gi) in g.iter().enumerate() {
        if gi.is_nan() {
            continue;
        }
        x.extend_from_slice(&group.c[i * k..(i + 1) * k]);
        x.push(gi);
        yr.push(y[i]);
        if y[i] > 0.5 {
            case_dose += gi;
        } else {
            ctrl_dose += gi;
        }
    }
    s.tmp = g;
    let design = ArrayView2::from_shape((n, p), &x).expect("shape");
    let mut start = null_coef.clone();
    start.push(0.0);
    let use_firth = firth_always || case_dose == 0.0 || ctrl_dose == 0.0;
    let plain = if use_firth {
        None
    } else {
        logistic(
            design,
            &yr,
            &LogisticOptions {
                start: Some(start.clone()),
                ..LogisticOptions::default()
            },
        )
        .ok()
        .filter(|f| f.converged && f.coef.iter().all(|c| c.is_finite()))
    };
    let (fit, used_firth) = match plain {
        Some(f) => (Ok(f), false),
        None => (firth(design, &yr, Some(&start)), true),
    };
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
