//! Logistic regression of one case/control phenotype on one variant, PLINK 2's hybrid: plain
//! IRLS warm-started from the covariate-only fit, and Firth regression instead when the A1
//! dosage is zero in cases or in controls (separation) or when IRLS does not converge; the
//! FIRTH column says which produced the estimate.

use super::geno::Calls;
use super::model::{Group, GroupKind, Scratch};
use super::{ErrCode, TestResult};
use crate::regress::added::{fit_added, NullModel, Tested};
use crate::regress::firth;

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
    let GroupKind::Logistic { null } = &group.kind else {
        unreachable!("logistic group")
    };
    let k = group.k;
    let y = null.y();
    let case_dose: f64 = calls.ones.iter().map(|&i| y[i as usize]).sum::<f64>()
        + 2.0 * calls.twos.iter().map(|&i| y[i as usize]).sum::<f64>();
    let ctrl_dose = (calls.ones.len() + 2 * calls.twos.len()) as f64 - case_dose;
    let tested = Tested {
        ones: &calls.ones,
        twos: &calls.twos,
        missing: &calls.missing,
    };
    let use_firth = firth_always || case_dose == 0.0 || ctrl_dose == 0.0;
    let plain = if use_firth {
        None
    } else {
        fit_added(null, &tested, &mut s.logistic.added)
            .ok()
            .filter(|f| f.converged && f.coef.iter().all(|c| c.is_finite()))
    };
    let (fit, used_firth) = match plain {
        Some(f) => (Ok(f), false),
        None => {
            let (rows, yr) = compact(group, null, calls, n);
            let mut start = null.coef().to_vec();
            start.push(0.0);
            (firth(rows.view(), &yr, Some(&start)), true)
        }
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
                    p: ln_p.exp(),
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

/// The design `[covariates | dosage]` and the response over the samples with a call, for the
/// Firth fallback (rare, so it may copy).
fn compact(
    group: &Group,
    null: &NullModel,
    calls: &Calls,
    n: usize,
) -> (ndarray::Array2<f64>, Vec<f64>) {
    let k = group.k;
    // Dosage per local sample; NaN marks a missing call.
    let mut g = vec![0.0; group.n()];
    for &i in &calls.ones {
        g[i as usize] = 1.0;
    }
    for &i in &calls.twos {
        g[i as usize] = 2.0;
    }
    for &i in &calls.missing {
        g[i as usize] = f64::NAN;
    }
    let mut rows = ndarray::Array2::zeros((n, k + 1));
    let mut yr = Vec::with_capacity(n);
    let mut r = 0;
    for (i, &gi) in g.iter().enumerate() {
        if gi.is_nan() {
            continue;
        }
        for j in 0..k {
            rows[(r, j)] = group.c[i * k + j];
        }
        rows[(r, k)] = gi;
        yr.push(null.y()[i]);
        r += 1;
    }
    (rows, yr)
}
