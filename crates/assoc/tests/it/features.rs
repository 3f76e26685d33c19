//! Feature association against statsmodels and scikit-learn (scripts/features_fixtures.py):
//! OLS and Logit summaries (params, bse, t/z, p, conf_int, R², adjusted R², F, llf, deviance,
//! AIC), likelihood-ratio tests of nested models (compare_lr_test) and ROC AUC
//! (roc_auc_score), all to 1e-8 relative.

use std::collections::HashMap;
use std::path::Path;

use biomarker_assoc::features::{cv_auc, fit_logistic, fit_ols, lr_test, roc_auc};
use ndarray::Array2;

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/features")
        .join(name);
    std::fs::read_to_string(p).unwrap()
}

struct Data {
    columns: HashMap<String, Vec<f64>>,
    reference: HashMap<String, f64>,
    /// Largest relative difference seen (printed with `--nocapture`).
    worst: std::cell::Cell<(f64, &'static str)>,
}

impl Drop for Data {
    fn drop(&mut self) {
        let (rel, key) = self.worst.get();
        if key.is_empty() {
            return;
        }
        eprintln!("largest relative difference from the reference: {rel:.3e} ({key})");
    }
}

impl Data {
    fn load() -> Self {
        let text = fixture("data.tsv");
        let mut lines = text.lines();
        let names: Vec<String> = lines.next().unwrap().split('\t').map(Into::into).collect();
        let mut columns: HashMap<String, Vec<f64>> = HashMap::new();
        for l in lines {
            for (name, v) in names.iter().zip(l.split('\t')) {
                columns
                    .entry(name.clone())
                    .or_default()
                    .push(v.parse().unwrap());
            }
        }
        let reference = fixture("reference.tsv")
            .lines()
            .map(|l| {
                let (k, v) = l.split_once('\t').unwrap();
                (k.to_owned(), v.parse().unwrap())
            })
            .collect();
        Self {
            columns,
            reference,
            worst: std::cell::Cell::new((0.0, "")),
        }
    }

    fn design(&self, names: &[&str]) -> Array2<f64> {
        let n = self.columns["b"].len();
        Array2::from_shape_fn((n, names.len() + 1), |(i, j)| {
            if j == 0 {
                1.0
            } else {
                self.columns[names[j - 1]][i]
            }
        })
    }

    fn want(&self, key: &str) -> Vec<f64> {
        (0..)
            .map_while(|i| self.reference.get(&format!("{key}.{i}")).copied())
            .collect()
    }

    fn check(&self, key: &str, got: &[f64]) {
        let want = self.want(key);
        assert_eq!(got.len(), want.len(), "{key}: length");
        for (g, w) in got.iter().zip(&want) {
            let rel = (g - w).abs() / w.abs().max(1e-300);
            if rel > self.worst.get().0 {
                self.worst.set((rel, String::leak(key.to_owned())));
            }
            assert!(
                (g - w).abs() <= 1e-8 * w.abs().max(1e-300),
                "{key}: {g} vs reference {w}"
            );
        }
    }
}

fn flat_ci(ci: &[(f64, f64)]) -> Vec<f64> {
    ci.iter().flat_map(|&(a, b)| [a, b]).collect()
}

#[test]
fn ols_summaries_match_statsmodels() {
    let d = Data::load();
    for (key, y, x) in [
        ("ols", "deep", &["age", "sex"][..]),
        ("ols_vol", "age", &["vol", "sex"][..]),
        ("ols_both", "age", &["vol", "deep", "sex"][..]),
    ] {
        let s = fit_ols(d.design(x).view(), &d.columns[y]).unwrap();
        d.check(&format!("{key}.params"), &s.fit.coef);
        d.check(&format!("{key}.bse"), &s.fit.se);
        d.check(&format!("{key}.tvalues"), &s.fit.t);
        let p: Vec<f64> = s.fit.ln_p.iter().map(|l| l.exp()).collect();
        d.check(&format!("{key}.pvalues"), &p);
        d.check(&format!("{key}.conf_int"), &flat_ci(&s.ci));
        d.check(&format!("{key}.rsquared"), &[s.r2]);
        d.check(&format!("{key}.rsquared_adj"), &[s.adj_r2]);
        d.check(&format!("{key}.fvalue"), &[s.f_stat]);
        d.check(&format!("{key}.f_pvalue"), &[s.f_ln_p.exp()]);
        d.check(&format!("{key}.llf"), &[s.fit.log_likelihood]);
        d.check(&format!("{key}.aic"), &[s.aic]);
    }
    let age = &d.columns["age"];
    let full = fit_ols(d.design(&["vol", "deep", "sex"]).view(), age).unwrap();
    let reduced = fit_ols(d.design(&["vol", "sex"]).view(), age).unwrap();
    let lr = lr_test(full.fit.log_likelihood, 4, reduced.fit.log_likelihood, 3);
    d.check("lr_ols.stat", &[lr.stat]);
    d.check("lr_ols.p", &[lr.ln_p.exp()]);
    d.check("lr_ols.df", &[lr.df]);
}

#[test]
fn logistic_summaries_match_statsmodels_and_sklearn() {
    let d = Data::load();
    let b = &d.columns["b"];
    for (key, x) in [
        ("logit", &["deep", "age", "sex"][..]),
        ("logit_vol", &["vol", "age", "sex"][..]),
    ] {
        let s = fit_logistic(d.design(x).view(), b, None).unwrap();
        assert!(s.fit.converged);
        d.check(&format!("{key}.params"), &s.fit.coef);
        d.check(&format!("{key}.bse"), &s.fit.se);
        d.check(&format!("{key}.tvalues"), &s.fit.z);
        let p: Vec<f64> = s.fit.ln_p.iter().map(|l| l.exp()).collect();
        d.check(&format!("{key}.pvalues"), &p);
        d.check(&format!("{key}.conf_int"), &flat_ci(&s.ci));
        d.check(&format!("{key}.llf"), &[s.fit.log_likelihood]);
        d.check(&format!("{key}.deviance"), &[s.fit.deviance]);
        d.check(&format!("{key}.aic"), &[s.aic]);
        d.check(&format!("{key}.auc"), &[s.auc.unwrap()]);
        assert!(s.auc_cv.is_none());
    }
    let full = fit_logistic(d.design(&["vol", "deep", "age", "sex"]).view(), b, None).unwrap();
    let reduced = fit_logistic(d.design(&["vol", "age", "sex"]).view(), b, None).unwrap();
    let lr = lr_test(full.fit.log_likelihood, 5, reduced.fit.log_likelihood, 4);
    d.check("lr_logit.stat", &[lr.stat]);
    d.check("lr_logit.p", &[lr.ln_p.exp()]);
    d.check("auc_ties.auc", &[roc_auc(&d.columns["score"], b).unwrap()]);
}

#[test]
fn cross_validated_auc_is_seeded_and_below_in_sample() {
    let d = Data::load();
    let b = &d.columns["b"];
    let x = d.design(&["deep", "age", "sex"]);
    let s = fit_logistic(x.view(), b, Some((5, 11))).unwrap();
    let cv = s.auc_cv.unwrap();
    assert_eq!(cv, cv_auc(x.view(), b, 5, 11).unwrap());
    // Out-of-fold predictions lose some of the in-sample optimism, but the signal remains.
    assert!(
        cv < s.auc.unwrap() && cv > 0.6,
        "cv {cv}, in-sample {:?}",
        s.auc
    );
    // Pure noise predicts nothing out of fold.
    let noise: Vec<f64> = (0..b.len())
        .map(|i| ((i as f64 * 0.618_034).fract() - 0.5) * 2.0)
        .collect();
    let xn = Array2::from_shape_fn((b.len(), 2), |(i, j)| if j == 0 { 1.0 } else { noise[i] });
    let cvn = cv_auc(xn.view(), b, 5, 3).unwrap();
    assert!((cvn - 0.5).abs() < 0.15, "noise cv auc {cvn}");
    assert!(cv_auc(x.view(), b, 1, 3).is_err());
}

#[test]
fn design_without_intercept_is_refused() {
    let d = Data::load();
    let x = Array2::from_shape_fn((150, 1), |(i, _)| d.columns["age"][i]);
    let err = fit_ols(x.view(), &d.columns["deep"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("intercept"), "{err}");
}
