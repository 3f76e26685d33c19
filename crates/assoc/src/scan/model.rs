//! Per-phenotype-group precomputation, done once per scan: the samples with the phenotype(s)
//! and every covariate, the covariate matrix (intercept first) with its sums and
//! cross-products, and for quantitative phenotypes an orthonormal basis `Q` of the
//! covariates plus the phenotypes' residuals after projecting the covariates out
//! (Frisch–Waugh–Lovell), stored side by side in one sample-major matrix so that one pass
//! over a variant's carriers yields every cross-product the regressions need.
//!
//! Quantitative phenotypes are grouped by missingness pattern, and a pattern that lacks only
//! a few of a larger pattern's samples joins that group ([`Exclusion`]): imaging phenotypes
//! of one cohort (every structure's features and volumes) mostly share their samples, and a
//! segmentation that failed for a few subjects should not cost another pass over the
//! genotypes.

use std::collections::HashMap;

use super::checks::{check, CrossProducts};
use super::config::ScanConfig;
use super::geno::Calls;
use super::input::Inputs;
use super::kernel::ColumnMajor;
use super::ErrCode;
use crate::error::{AssocError, Result};
use crate::linalg::{chol_solve, cholesky, thin_qr};
use crate::regress::added::NullModel;
use crate::regress::{logistic, LogisticOptions};

/// Quantitative phenotypes sharing one missingness pattern, or one case/control phenotype.
pub enum GroupKind {
    /// Linear regression; `w` holds `[Q | residualised phenotypes]`.
    Linear {
        /// `R` of the covariates' QR (`C = Q R`), row-major k×k.
        rfac: Vec<f64>,
        /// Residual sum of squares of each phenotype on the covariates alone.
        yy: Vec<f64>,
    },
    /// Logistic regression; `w` holds the raw covariates.
    Logistic {
        /// The 0/1 response and the covariate-only fit, the start of every variant's fit.
        null: NullModel,
    },
}

/// One group of phenotypes tested together.
pub struct Group {
    /// Indices into [`Inputs::phenos`].
    pub phenos: Vec<usize>,
    /// .bed positions of the samples, ascending.
    pub samples: Vec<u32>,
    /// .bed position → local index (−1 = not in the group); None when every .bed sample is in.
    pub map: Option<Vec<i32>>,
    /// Covariate columns including the intercept.
    pub k: usize,
    /// Raw covariates, sample-major n×k, intercept first.
    pub c: Vec<f64>,
    /// Σ c_j over the group.
    pub c_sum: Vec<f64>,
    /// Σ c_i c_j over the group, k×k.
    pub cc: Vec<f64>,
    /// Sample-major matrix the carrier pass sums rows of.
    pub w: Vec<f64>,
    /// Columns of `w`.
    pub width: usize,
    /// `w` column-major for the dense kernel (linear groups; empty for logistic ones), over
    /// every .bed sample when `wt_bed` (zero rows for the samples not in the group),
    /// otherwise over the group's samples.
    pub wt: ColumnMajor,
    /// Whether `wt` is indexed by .bed position (see `wt`).
    pub wt_bed: bool,
    /// .bed positions of the samples not in the group, ascending.
    pub excluded: Vec<u32>,
    /// Model-specific data.
    pub kind: GroupKind,
    /// The first `n_main` of `phenos` are tested over every sample of the group; the others
    /// lack a few of them (see [`Exclusion`]).
    pub n_main: usize,
    /// Phenotypes of the group that lack some of its samples, by pattern.
    pub exclusions: Vec<Exclusion>,
}

/// Phenotypes of a linear group that lack a few of the group's samples: a missingness pattern
/// close enough to the group's to share its pass over the genotypes instead of costing a pass
/// of its own. Their residuals are zero on the samples they lack, and each variant's test
/// removes those samples as it removes the ones with a missing call, starting from sums over
/// them computed here once.
pub struct Exclusion {
    /// Positions of these phenotypes in the group's `phenos`.
    pub phenos: std::ops::Range<usize>,
    /// Local indices (ascending) of the samples they lack.
    pub local: Vec<u32>,
    /// .bed positions of the same samples.
    pub bed: Vec<u32>,
    /// Their rows of `Q` (`k` values each), side by side: each variant reads them all.
    pub q_rows: Vec<f64>,
    /// Whether each of the group's samples (by local index) is one of them.
    pub lacks: Vec<bool>,
    /// Σ c_j over the group's samples less these.
    pub c_sum: Vec<f64>,
    /// Σ c_i c_j over the same samples, k×k.
    pub cc: Vec<f64>,
    /// `QᵀQ` over the same samples, k×k.
    pub qq: Vec<f64>,
    /// The Cholesky factor of `qq` (lower triangle).
    pub qq_factor: Vec<f64>,
}

/// The samples and phenotypes of one test before a variant's missing calls are removed: the
/// group's own phenotypes over all of its samples, or an [`Exclusion`]'s over fewer.
pub struct Base<'a> {
    /// Samples.
    pub n: usize,
    /// Positions of the phenotypes in the group's `phenos`.
    pub phenos: std::ops::Range<usize>,
    /// Σ c_j over the samples.
    pub c_sum: &'a [f64],
    /// Σ c_i c_j over the samples.
    pub cc: &'a [f64],
    /// `QᵀQ` over the samples; None when it is the identity (every sample of the group).
    pub qq: Option<&'a [f64]>,
    /// For an exclusion: the group's missing calls of the variant among the samples it
    /// lacks (see [`GroupMissing`]).
    pub removed: &'a [u32],
}

/// A linear group's missing-call sums over one variant, kept for its exclusions: `Q_MᵀQ_M`
/// (as `I − Q_MᵀQ_M`, lower triangle) and, for the exclusions' phenotype columns,
/// `−Q_Mᵀỹ_M` and `‖ỹ_M‖²`. An exclusion's phenotypes are zero on the samples it lacks, so
/// their sums are already its own; `Q_MᵀQ_M` only needs the rows of the missing calls it
/// lacks added back. This spares each exclusion a second pass over the missing calls.
#[derive(Default)]
pub struct GroupMissing {
    /// Whether the sums belong to the variant being tested.
    pub valid: bool,
    /// `I − Q_MᵀQ_M`, k × k, lower triangle.
    pub l: Vec<f64>,
    /// `−Q_Mᵀỹ_M` of the exclusions' columns, covariate-major (k × columns).
    pub c: Vec<f64>,
    /// `‖ỹ_M‖²` of the exclusions' columns.
    pub yy: Vec<f64>,
    /// The group phenotype position of the first of those columns.
    pub first: usize,
}

impl Exclusion {
    /// These phenotypes over the group's samples less those they lack.
    pub fn base<'a>(&'a self, group: &Group, removed: &'a [u32]) -> Base<'a> {
        Base {
            n: group.n() - self.local.len(),
            phenos: self.phenos.clone(),
            c_sum: &self.c_sum,
            cc: &self.cc,
            qq: Some(&self.qq),
            removed,
        }
    }
}

/// What every model needs about one variant in one group before its regression.
pub struct Prepared {
    /// Samples tested.
    pub n: usize,
    /// A1 frequency among them.
    pub a1_freq: f64,
    /// Why the variant cannot be tested, if it cannot.
    pub err: Option<ErrCode>,
}

/// Where [`Group::prepare`] gets the covariate sums over the samples it tests.
pub enum MissingRows<'a> {
    /// From the base's sums, less the row of every missing call.
    Each,
    /// For an exclusion: from the group's sums over the same variant (`cc`, `c_sum`, its
    /// missing calls already removed), which differ from the exclusion's own only by the
    /// samples it lacks and by `removed`, the group's missing calls among them. A few rows
    /// instead of one per missing call; the sums feed only the checks, where a different
    /// rounding cannot matter short of a tie with a threshold.
    FromGroup {
        /// The group's `Σ c cᵀ` over the variant's samples (row-major k × k).
        cc: &'a [f64],
        /// The group's `Σ c` over the variant's samples.
        c_sum: &'a [f64],
        /// The group's missing calls among the samples the exclusion lacks.
        removed: &'a [u32],
    },
}

/// Per-thread buffers.
#[derive(Default)]
pub struct Scratch {
    /// Σ over carriers of rows of `w`, weighted by dosage.
    pub acc: Vec<f64>,
    /// Σ g c_j.
    pub gc: Vec<f64>,
    /// Covariate sums over the samples tested.
    pub c_sum: Vec<f64>,
    /// Covariate cross-products over the samples tested.
    pub cc: Vec<f64>,
    /// Anything else.
    pub tmp: Vec<f64>,
    /// More of anything else.
    pub tmp2: Vec<f64>,
    /// Linear models with missing calls: `−Q_Mᵀỹ_M`, covariate-major (k × phenotypes).
    pub miss_c: Vec<f64>,
    /// Linear models with missing calls: `‖ỹ_M‖²` per phenotype.
    pub miss_yy: Vec<f64>,
    /// Linear models with missing calls: the genotype's numerator per phenotype.
    pub miss_num: Vec<f64>,
    /// Linear models with missing calls: `‖L⁻¹c_j‖²` per phenotype.
    pub miss_zz: Vec<f64>,
    /// Linear models: the t statistics of one variant whose p-values are still to come,
    /// their results' positions in the output, and their `ln p` (one batched call).
    pub t_stat: Vec<f64>,
    /// See `t_stat`.
    pub t_at: Vec<usize>,
    /// See `t_stat`.
    pub t_ln_p: Vec<f64>,
    /// See `t_stat`.
    pub t_p: Vec<f64>,
    /// Logistic regression buffers.
    pub logistic: crate::regress::logistic::Workspace,
    /// A linear group's missing-call sums, for its exclusions.
    pub group_missing: GroupMissing,
}

impl Group {
    /// Samples in the group.
    pub fn n(&self) -> usize {
        self.samples.len()
    }

    /// The group's own phenotypes over all of its samples.
    pub fn base(&self) -> Base<'_> {
        Base {
            n: self.n(),
            phenos: 0..self.n_main,
            c_sum: &self.c_sum,
            cc: &self.cc,
            qq: None,
            removed: &[],
        }
    }

    /// Samples tested for the phenotype at `position` in `phenos` (before missing calls).
    pub fn n_of(&self, position: usize) -> usize {
        self.exclusions
            .iter()
            .find(|e| e.phenos.contains(&position))
            .map_or(self.n(), |e| self.n() - e.local.len())
    }

    /// Sums dosage-weighted rows of `w` over the carriers into `s.acc`.
    fn carrier_sums(&self, calls: &Calls, s: &mut Scratch) {
        let w = self.width;
        s.acc.clear();
        s.acc.resize(w, 0.0);
        s.tmp.clear();
        s.tmp.resize(w, 0.0);
        for &i in &calls.ones {
            let row = &self.w[i as usize * w..(i as usize + 1) * w];
            for (a, r) in s.acc.iter_mut().zip(row) {
                *a += r;
            }
        }
        for &i in &calls.twos {
            let row = &self.w[i as usize * w..(i as usize + 1) * w];
            for (a, r) in s.tmp.iter_mut().zip(row) {
                *a += r;
            }
        }
        for (a, t) in s.acc.iter_mut().zip(&s.tmp) {
            *a += 2.0 * t;
        }
    }

    /// Counts, carrier sums and PLINK 2's checks for one variant over the samples of `base`
    /// (`calls` counts over them too). `sums_done`: the carrier sums are already in `s.acc`
    /// (from the dense kernel or [`super::geno::sum_calls`]).
    pub fn prepare(
        &self,
        base: &Base<'_>,
        calls: &Calls,
        cfg: &ScanConfig,
        s: &mut Scratch,
        sums_done: bool,
        missing: MissingRows<'_>,
    ) -> Prepared {
        // Left empty by an early return: no stale sums for an exclusion to start from.
        s.cc.clear();
        let n = base.n - calls.missing.len();
        let (n1, n2) = (calls.n_ones as f64, calls.n_twos as f64);
        let a1_freq = if n > 0 {
            (n1 + 2.0 * n2) / (2.0 * n as f64)
        } else {
            f64::NAN
        };
        let fail = |err| Prepared {
            n,
            a1_freq,
            err: Some(err),
        };
        if n <= self.k + 1 {
            return fail(ErrCode::SampleCtLtePredictorCt);
        }
        if (n1 == 0.0 && n2 == 0.0) || n1 as usize == n || n2 as usize == n {
            return fail(ErrCode::ConstOmittedAllele);
        }
        if !sums_done {
            self.carrier_sums(calls, s);
        }
        let k = self.k;
        s.gc.clear();
        match &self.kind {
            GroupKind::Linear { rfac, .. } => {
                // C = Q R, so Cᵀg = Rᵀ (Qᵀg) and Qᵀg is the first k carrier sums.
                for j in 0..k {
                    s.gc.push((0..=j).map(|i| rfac[i * k + j] * s.acc[i]).sum());
                }
            }
            GroupKind::Logistic { .. } => s.gc.extend_from_slice(&s.acc[..k]),
        }
        s.c_sum.clear();
        s.c_sum.extend_from_slice(base.c_sum);
        s.cc.clear();
        s.cc.extend_from_slice(base.cc);
        let (sign, rows) = match missing {
            MissingRows::Each => (-1.0, calls.missing.as_slice()),
            MissingRows::FromGroup { cc, c_sum, removed } => {
                // Own sums − (group's sums over the group − over the variant's samples).
                for (x, (all, now)) in s.cc.iter_mut().zip(self.cc.iter().zip(cc)) {
                    *x -= all - now;
                }
                for (x, (all, now)) in s.c_sum.iter_mut().zip(self.c_sum.iter().zip(c_sum)) {
                    *x -= all - now;
                }
                // The group took the removed rows out, and the exclusion lacks them anyway.
                (1.0, removed)
            }
        };
        for &m in rows {
            let row = &self.c[m as usize * k..(m as usize + 1) * k];
            for (a, cc_row) in s.cc.chunks_exact_mut(k).enumerate() {
                let ra = sign * row[a];
                for (x, rb) in cc_row.iter_mut().zip(row) {
                    *x += ra * rb;
                }
            }
            for (x, r) in s.c_sum.iter_mut().zip(row) {
                *x += sign * r;
            }
        }
        let x = CrossProducts {
            n: n as f64,
            g_sum: n1 + 2.0 * n2,
            g_sq: n1 + 4.0 * n2,
            gc: &s.gc,
            c_sum: &s.c_sum,
            cc: &s.cc,
        };
        let err = check(&x, cfg.max_corr, cfg.max_vif, &mut s.tmp2);
        Prepared { n, a1_freq, err }
    }
}

/// A missingness pattern joins a larger linear group's pass, as an [`Exclusion`], when it
/// has no sample outside the group and lacks fewer than one of every this many of the
/// group's samples: then removing those samples from each variant's sums costs less than a
/// pass over the genotypes of its own.
const JOIN_BELOW: usize = 16;

/// Builds the groups: quantitative phenotypes by missingness pattern (a pattern that lacks
/// only a few of a larger pattern's samples joins that group, see [`Exclusion`]), each
/// case/control phenotype alone.
pub fn build_groups(inputs: &Inputs) -> Result<Vec<Group>> {
    let n_kept = inputs.kept.len();
    let n_bed = inputs.fileset.samples.len();
    let covar_ok: Vec<bool> = (0..n_kept)
        .map(|i| inputs.covars.iter().all(|c| c[i].is_some()))
        .collect();
    // Linear patterns in order of first appearance, each with its phenotypes; `order` holds
    // the groups in that order, a linear one by its pattern's index.
    let mut patterns: Vec<(Vec<bool>, Vec<usize>)> = Vec::new();
    let mut pattern_of: HashMap<Vec<bool>, usize> = HashMap::new();
    let mut order: Vec<(Vec<bool>, Option<usize>)> = Vec::new();
    for (p, ph) in inputs.phenos.iter().enumerate() {
        let mask: Vec<bool> = (0..n_kept)
            .map(|i| covar_ok[i] && ph.values[i].is_some())
            .collect();
        if ph.binary {
            order.push((mask, Some(p)));
        } else if let Some(&i) = pattern_of.get(&mask) {
            patterns[i].1.push(p);
        } else {
            pattern_of.insert(mask.clone(), patterns.len());
            order.push((mask.clone(), None));
            patterns.push((mask, vec![p]));
        }
    }
    // Larger patterns first take the smaller ones they contain.
    let size = |i: usize| patterns[i].0.iter().filter(|&&b| b).count();
    let mut by_size: Vec<usize> = (0..patterns.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(size(i)));
    let mut host: Vec<Option<usize>> = vec![None; patterns.len()];
    let mut hosts: Vec<usize> = Vec::new();
    for &i in &by_size {
        let joins = hosts.iter().copied().find(|&h| {
            let (inner, outer) = (&patterns[i].0, &patterns[h].0);
            inner.iter().zip(outer).all(|(&a, &b)| !a || b)
                && (size(h) - size(i)) * JOIN_BELOW < size(h)
        });
        match joins {
            Some(h) => host[i] = Some(h),
            None => hosts.push(i),
        }
    }
    let mut groups = Vec::new();
    for (mask, binary) in order {
        match binary {
            Some(p) => groups.push(build_group(inputs, &mask, vec![p], &[], true, n_bed)?),
            None => {
                let i = pattern_of[&mask];
                if host[i].is_some() {
                    continue; // tested in its host's group
                }
                let guests: Vec<(&[bool], &[usize])> = (0..patterns.len())
                    .filter(|&j| host[j] == Some(i))
                    .map(|j| (patterns[j].0.as_slice(), patterns[j].1.as_slice()))
                    .collect();
                let phenos = patterns[i].1.clone();
                groups.push(build_group(inputs, &mask, phenos, &guests, false, n_bed)?);
            }
        }
    }
    Ok(groups)
}

/// One group over the samples of `mask` testing `phenos` over all of them, and for linear
/// groups the phenotypes of each `guests` pattern (a subset of `mask`) over theirs.
fn build_group(
    inputs: &Inputs,
    mask: &[bool],
    phenos: Vec<usize>,
    guests: &[(&[bool], &[usize])],
    binary: bool,
    n_bed: usize,
) -> Result<Group> {
    let local: Vec<usize> = (0..mask.len()).filter(|&i| mask[i]).collect();
    let samples: Vec<u32> = local.iter().map(|&i| inputs.kept[i]).collect();
    let n = samples.len();
    let k = 1 + inputs.covars.len();
    let names: Vec<&str> = phenos
        .iter()
        .map(|&p| inputs.phenos[p].name.as_str())
        .collect();
    let pheno_path = || inputs_pheno_path(inputs);
    if n <= k + 1 {
        return Err(AssocError::input(
            pheno_path(),
            format!(
                "phenotype {}: only {n} samples have it and every covariate, for {} predictors",
                names.join(", "),
                k + 1
            ),
        ));
    }
    let map = if n == n_bed {
        None
    } else {
        let mut m = vec![-1i32; n_bed];
        for (l, &pos) in samples.iter().enumerate() {
            m[pos as usize] = l as i32;
        }
        Some(m)
    };
    let excluded: Vec<u32> = match &map {
        None => Vec::new(),
        Some(m) => (0..n_bed as u32).filter(|&p| m[p as usize] < 0).collect(),
    };
    let mut c = vec![0.0; n * k];
    for (r, &i) in local.iter().enumerate() {
        c[r * k] = 1.0;
        for (j, col) in inputs.covars.iter().enumerate() {
            c[r * k + 1 + j] = col[i].expect("complete covariates");
        }
    }
    let (c_sum, cc) = covariate_sums(&c, k, 0..n);
    let mut cm = vec![0.0; n * k];
    for r in 0..n {
        for j in 0..k {
            cm[j * n + r] = c[r * k + j];
        }
    }
    let collinear = || {
        AssocError::input(
            pheno_path(),
            format!(
                "phenotype {}: the covariates ({}) are collinear among its {n} samples (VIF_INFINITE)",
                names.join(", "),
                inputs.covar_names.join(", ")
            ),
        )
    };
    let y_of = |p: usize| -> Vec<f64> {
        local
            .iter()
            .map(|&i| inputs.phenos[p].values[i].expect("complete phenotype"))
            .collect()
    };
    if binary {
        let y = y_of(phenos[0]);
        let cases = y.iter().filter(|&&v| v > 0.5).count();
        if cases == 0 || cases == n {
            return Err(AssocError::input(
                pheno_path(),
                format!(
                    "case/control phenotype {}: all {n} samples are {}",
                    names[0],
                    if cases == 0 { "controls" } else { "cases" }
                ),
            ));
        }
        thin_qr(&cm, n, k).ok_or_else(collinear)?;
        let design = ndarray::ArrayView2::from_shape((n, k), &c).expect("shape");
        let null_coef = logistic(design, &y, &LogisticOptions::default())
            .map(|f| f.coef)
            .unwrap_or_else(|_| vec![0.0; k]);
        let null = NullModel::new(&c, n, k, y, null_coef);
        let w = c.clone();
        return Ok(Group {
            phenos,
            samples,
            map,
            k,
            c,
            c_sum,
            cc,
            w,
            width: k,
            wt: ColumnMajor::default(),
            wt_bed: false,
            excluded,
            kind: GroupKind::Logistic { null },
            n_main: 1,
            exclusions: Vec::new(),
        });
    }
    let (q, rfac) = thin_qr(&cm, n, k).ok_or_else(collinear)?;
    let n_main = phenos.len();
    let mut phenos = phenos;
    let mut exclusions = Vec::with_capacity(guests.len());
    for (guest_mask, guest_phenos) in guests {
        let start = phenos.len();
        phenos.extend_from_slice(guest_phenos);
        let at = start..phenos.len();
        exclusions.push(exclusion(
            &local,
            (guest_mask, guest_phenos),
            at,
            &q,
            &c,
            n,
            k,
            inputs,
        )?);
    }
    let m = phenos.len();
    let width = k + m;
    let mut w = vec![0.0; n * width];
    let mut yy = Vec::with_capacity(m);
    for r in 0..n {
        for j in 0..k {
            w[r * width + j] = q[j * n + r];
        }
    }
    for (t, &p) in phenos.iter().enumerate() {
        let y = match exclusions.iter().find(|e| e.phenos.contains(&t)) {
            None => residual(&q, n, k, y_of(p), None),
            Some(e) => {
                // The samples lacking the phenotype enter as zeros and stay zero.
                let y = (0..n)
                    .map(|r| inputs.phenos[p].values[local[r]].unwrap_or(0.0))
                    .collect();
                residual(&q, n, k, y, Some(e))
            }
        };
        yy.push(y.iter().map(|v| v * v).sum());
        for r in 0..n {
            w[r * width + k + t] = y[r];
        }
    }
    // Decoding every .bed sample costs less than gathering the group's samples one by one
    // unless the group is a small part of the .bed.
    let wt_bed = 2 * n >= n_bed;
    let wt = if wt_bed {
        ColumnMajor::scattered(&w, width, &samples, n_bed)
    } else {
        ColumnMajor::new(&w, n, width)
    };
    Ok(Group {
        phenos,
        samples,
        map,
        k,
        c,
        c_sum,
        cc,
        wt,
        wt_bed,
        excluded,
        w,
        width,
        kind: GroupKind::Linear { rfac, yy },
        n_main,
        exclusions,
    })
}

/// The residual of `y` on the covariates (columns of `q`, `n × k` column-major). Over every
/// sample of the group when `lacking` is None; otherwise over those the exclusion keeps,
/// with zeros on the others (where `y` must be zero already): with `A = QᵀQ` over the kept
/// samples, `y − Q A⁻¹ Qᵀy`.
fn residual(
    q: &[f64],
    n: usize,
    k: usize,
    mut y: Vec<f64>,
    lacking: Option<&Exclusion>,
) -> Vec<f64> {
    // Residualise twice: one pass of projection leaves O(ε·‖y‖) of the covariate space.
    for _ in 0..2 {
        match lacking {
            None => {
                for j in 0..k {
                    let qj = &q[j * n..(j + 1) * n];
                    let d: f64 = qj.iter().zip(&y).map(|(a, b)| a * b).sum();
                    for (yi, qi) in y.iter_mut().zip(qj) {
                        *yi -= d * qi;
                    }
                }
            }
            Some(e) => {
                let mut d: Vec<f64> = (0..k)
                    .map(|j| {
                        q[j * n..(j + 1) * n]
                            .iter()
                            .zip(&y)
                            .map(|(a, b)| a * b)
                            .sum()
                    })
                    .collect();
                chol_solve(&e.qq_factor, k, &mut d);
                for (j, dj) in d.iter().enumerate() {
                    let qj = &q[j * n..(j + 1) * n];
                    for (yi, qi) in y.iter_mut().zip(qj) {
                        *yi -= dj * qi;
                    }
                }
                for &r in &e.local {
                    y[r as usize] = 0.0;
                }
            }
        }
    }
    y
}

/// The [`Exclusion`] of the phenotypes `pheno_ids`, at `phenos` in the group, whose samples
/// are `guest_mask` (over the kept samples; `local` maps the group's samples to them).
#[allow(clippy::too_many_arguments)]
fn exclusion(
    local: &[usize],
    (guest_mask, pheno_ids): (&[bool], &[usize]),
    phenos: std::ops::Range<usize>,
    q: &[f64],
    c: &[f64],
    n: usize,
    k: usize,
    inputs: &Inputs,
) -> Result<Exclusion> {
    let lacks: Vec<bool> = local.iter().map(|&i| !guest_mask[i]).collect();
    let lacking: Vec<u32> = (0..n as u32).filter(|&r| lacks[r as usize]).collect();
    let bed = lacking
        .iter()
        .map(|&r| inputs.kept[local[r as usize]])
        .collect();
    let kept = || (0..n).filter(|&r| !lacks[r]);
    let (c_sum, cc) = covariate_sums(c, k, kept());
    let mut qq = vec![0.0; k * k];
    for r in kept() {
        for a in 0..k {
            for b in 0..k {
                qq[a * k + b] += q[a * n + r] * q[b * n + r];
            }
        }
    }
    let mut qq_factor = qq.clone();
    if !cholesky(&mut qq_factor, k, 1e-10) {
        let names: Vec<&str> = pheno_ids
            .iter()
            .map(|&p| inputs.phenos[p].name.as_str())
            .collect();
        return Err(AssocError::input(
            inputs_pheno_path(inputs),
            format!(
                "phenotype {}: the covariates ({}) are collinear among its {} samples (VIF_INFINITE)",
                names.join(", "),
                inputs.covar_names.join(", "),
                n - lacking.len(),
            ),
        ));
    }
    let q_rows = lacking
        .iter()
        .flat_map(|&r| (0..k).map(move |a| q[a * n + r as usize]))
        .collect();
    Ok(Exclusion {
        phenos,
        local: lacking,
        bed,
        q_rows,
        lacks,
        c_sum,
        cc,
        qq,
        qq_factor,
    })
}

/// `Σ c_j` and `Σ c_i c_j` (k×k) over the `rows` of the sample-major `n × k` matrix `c`.
fn covariate_sums(c: &[f64], k: usize, rows: impl Iterator<Item = usize>) -> (Vec<f64>, Vec<f64>) {
    let mut c_sum = vec![0.0; k];
    let mut cc = vec![0.0; k * k];
    for r in rows {
        let row = &c[r * k..(r + 1) * k];
        for a in 0..k {
            c_sum[a] += row[a];
            for b in 0..k {
                cc[a * k + b] += row[a] * row[b];
            }
        }
    }
    (c_sum, cc)
}

fn inputs_pheno_path(inputs: &Inputs) -> std::path::PathBuf {
    inputs.pheno_path.clone()
}
