//! Linear regression of every phenotype of a group on one variant, from the cross-products
//! of its dosages with `[Q | ỹ]` (dense kernel or carrier sums), in O(covariates ×
//! phenotypes) plus O(missing calls × covariates × phenotypes). With `Q` an orthonormal basis
//! of the covariates and `ỹ` the residualised phenotype, the genotype's coefficient is
//! `gᵀỹ / (gᵀg − ‖Qᵀg‖²)`. Samples with a missing call are removed by a correction: over the
//! remaining samples `QᵀQ = I − Q_MᵀQ_M` and `Qᵀỹ = −Q_Mᵀỹ_M`, so a k×k Cholesky and a few
//! k-vectors give the exact fit without re-solving from scratch (the Schur complement of the
//! genotype in the normal equations).

use super::geno::Calls;
use super::missing;
use super::model::{Base, Group, GroupKind, Scratch};
use super::{ErrCode, TestResult};
use crate::linalg::{cholesky, forward};
use biomarker_stats::StudentT;

/// Tests one variant against the phenotypes of `base` in a linear group; `s.acc` holds the
/// carrier sums (over the samples of `base`) from [`Group::prepare`].
pub fn test_variant(
    group: &Group,
    base: &Base<'_>,
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
    let (y0, m) = (base.phenos.start, base.phenos.len());
    let yy = &yy[y0..y0 + m];
    let w = group.width;
    let (n1, n2) = (calls.n_ones as f64, calls.n_twos as f64);
    let gg = n1 + 4.0 * n2;
    let df = (n - k - 1) as f64;
    let a = &s.acc[..k];
    let gy = &s.acc[k + y0..k + y0 + m];
    let fail = |out: &mut Vec<TestResult>, e| {
        for _ in 0..m {
            out.push(TestResult::failed(n, a1_freq, None, e));
        }
    };
    // Results are pushed with their p-value pending; `p_values` fills them in with one
    // batched call (one df for every phenotype of the variant).
    let mut pending = Pending::take(&mut s.t_at, &mut s.t_stat, &mut s.t_ln_p, &mut s.t_p);
    let finish = |out: &mut Vec<TestResult>, p: &mut Pending, num: f64, rss: f64, sgg: f64| {
        let beta = num / sgg;
        let se = (rss / df / sgg).sqrt();
        let t = beta / se;
        if se.is_nan() || se <= 0.0 || !t.is_finite() {
            out.push(TestResult::failed(n, a1_freq, None, ErrCode::InvalidResult));
        } else {
            p.at.push(out.len());
            p.stat.push(t);
            out.push(TestResult {
                obs_ct: n,
                a1_freq,
                beta,
                se,
                stat: t,
                ln_p: f64::NAN,
                p: f64::NAN,
                firth: None,
                err: None,
            });
        }
    };
    if calls.missing.is_empty() && base.qq.is_none() {
        let sgg = gg - a.iter().map(|v| v * v).sum::<f64>();
        if sgg.is_nan() || sgg <= 0.0 {
            pending.give_back(s);
            return fail(out, ErrCode::VifInfinite);
        }
        for j in 0..m {
            let num = gy[j];
            finish(out, &mut pending, num, yy[j] - num * num / sgg, sgg);
        }
        pending.p_values(df, out);
        pending.give_back(s);
        return;
    }
    // Missing calls: A = I − Q_MᵀQ_M, c_j = −Q_Mᵀỹ_M,j (with fewer samples than the group's,
    // A starts from QᵀQ over them; ỹ is zero on the others). `c` is stored covariate-major
    // (`c[a·m + j]`) so that every loop below runs across the phenotypes, contiguously.
    let mut l = std::mem::take(&mut s.tmp2);
    l.clear();
    match base.qq {
        Some(qq) => l.extend_from_slice(qq),
        None => {
            l.resize(k * k, 0.0);
            for i in 0..k {
                l[i * k + i] = 1.0;
            }
        }
    }
    let mut c = std::mem::take(&mut s.miss_c);
    let mut yy_m = std::mem::take(&mut s.miss_yy);
    let gm = &mut s.group_missing;
    if base.qq.is_some() && gm.valid {
        // An exclusion after its group: the group's sums, with the rows of the missing
        // calls it lacks added back to `QᵀQ` (its phenotypes are zero on them).
        for a_ in 0..k {
            for b in 0..=a_ {
                let identity = if a_ == b { 1.0 } else { 0.0 };
                l[a_ * k + b] -= identity - gm.l[a_ * k + b];
            }
        }
        for &r in base.removed {
            let q = &group.w[r as usize * w..r as usize * w + k];
            for a_ in 0..k {
                for b in 0..=a_ {
                    l[a_ * k + b] += q[a_] * q[b];
                }
            }
        }
        let (cols, from) = (gm.yy.len(), y0 - gm.first);
        c.clear();
        for a_ in 0..k {
            c.extend_from_slice(&gm.c[a_ * cols + from..a_ * cols + from + m]);
        }
        yy_m.clear();
        yy_m.extend_from_slice(&gm.yy[from..from + m]);
    } else {
        // The group's own pass also sums its exclusions' columns, for them to reuse.
        let extra = if base.qq.is_none() {
            group.phenos.len() - (y0 + m)
        } else {
            0
        };
        let all = m + extra;
        c.clear();
        c.resize(k * all, 0.0);
        yy_m.clear();
        yy_m.resize(all, 0.0);
        let (miss, ys) = (&calls.missing, (y0, all));
        missing::accumulate(&group.w, w, k, ys, miss, &mut l, &mut c, &mut yy_m);
        if extra > 0 {
            gm.l.clear();
            gm.l.extend_from_slice(&l);
            gm.c.clear();
            for a_ in 0..k {
                gm.c.extend_from_slice(&c[a_ * all + m..(a_ + 1) * all]);
            }
            gm.yy.clear();
            gm.yy.extend_from_slice(&yy_m[m..]);
            gm.first = y0 + m;
            gm.valid = true;
            // Back to this base's own columns, covariate-major k × m.
            for a_ in 1..k {
                c.copy_within(a_ * all..a_ * all + m, a_ * m);
            }
            c.truncate(k * m);
            yy_m.truncate(m);
        }
    }
    for a_ in 0..k {
        for b in 0..a_ {
            l[b * k + a_] = l[a_ * k + b];
        }
    }
    let give_back = |s: &mut Scratch, l, c, yy_m| {
        s.tmp2 = l;
        s.miss_c = c;
        s.miss_yy = yy_m;
    };
    if !cholesky(&mut l, k, 1e-10) {
        give_back(s, l, c, yy_m);
        pending.give_back(s);
        return fail(out, ErrCode::VifInfinite);
    }
    let mut za = std::mem::take(&mut s.tmp);
    za.clear();
    za.extend_from_slice(a);
    forward(&l, k, &mut za);
    let sgg = gg - za.iter().map(|v| v * v).sum::<f64>();
    if sgg.is_nan() || sgg <= 0.0 {
        s.tmp = za;
        give_back(s, l, c, yy_m);
        pending.give_back(s);
        return fail(out, ErrCode::VifInfinite);
    }
    // Forward substitution of every c_j at once: z = L⁻¹ c.
    missing::forward_columns(&l, k, m, &mut c);
    // num_j = gᵀỹ_j − zaᵀz_j and ‖z_j‖², accumulated across the phenotypes.
    let mut num = std::mem::take(&mut s.miss_num);
    num.clear();
    num.extend_from_slice(gy);
    let mut zz = std::mem::take(&mut s.miss_zz);
    zz.clear();
    zz.resize(m, 0.0);
    missing::numerators(&c, &za, &mut num, &mut zz);
    for j in 0..m {
        let rss = yy[j] - yy_m[j] - zz[j] - num[j] * num[j] / sgg;
        finish(out, &mut pending, num[j], rss, sgg);
    }
    pending.p_values(df, out);
    pending.give_back(s);
    s.tmp = za;
    s.miss_num = num;
    s.miss_zz = zz;
    give_back(s, l, c, yy_m);
}

/// The t statistics of one variant waiting for their p-values (buffers of [`Scratch`]).
struct Pending {
    /// Positions of their results in the output.
    at: Vec<usize>,
    stat: Vec<f64>,
    ln_p: Vec<f64>,
    p: Vec<f64>,
}

impl Pending {
    /// Borrows the buffers (fields of [`Scratch`], taken one by one so that the rest of it
    /// stays borrowable).
    fn take(
        at: &mut Vec<usize>,
        stat: &mut Vec<f64>,
        ln_p: &mut Vec<f64>,
        p: &mut Vec<f64>,
    ) -> Self {
        let mut pending = Self {
            at: std::mem::take(at),
            stat: std::mem::take(stat),
            ln_p: std::mem::take(ln_p),
            p: std::mem::take(p),
        };
        pending.at.clear();
        pending.stat.clear();
        pending
    }

    fn give_back(self, s: &mut Scratch) {
        s.t_at = self.at;
        s.t_stat = self.stat;
        s.t_ln_p = self.ln_p;
        s.t_p = self.p;
    }

    /// Two-sided p-values of every pending statistic with `df` degrees of freedom.
    fn p_values(&mut self, df: f64, out: &mut [TestResult]) {
        let n = self.stat.len();
        self.ln_p.clear();
        self.ln_p.resize(n, 0.0);
        self.p.clear();
        self.p.resize(n, 0.0);
        StudentT::new(df).two_sided_many(&self.stat, &mut self.ln_p, &mut self.p);
        for ((&at, &ln_p), &p) in self.at.iter().zip(&self.ln_p).zip(&self.p) {
            (out[at].ln_p, out[at].p) = (ln_p, p);
        }
    }
}
