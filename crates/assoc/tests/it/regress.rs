//! The regression solvers against statsmodels (scripts/regress_fixtures.py): OLS and Logit
//! agree to 1e-8 relative on a well-conditioned problem; Firth behaves as a penalised fit.

use std::path::Path;

use biomarker_assoc::regress::{firth, logistic, ols, LogisticOptions};
use ndarray::Array2;

fn read(name: &str) -> Vec<Vec<f64>> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/regress")
        .join(name);
    let text = std::fs::read_to_string(p).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split('\t').map(|v| v.parse().unwrap()).collect())
        .collect()
}

fn data() -> (Array2<f64>, Vec<f64>, Vec<f64>) {
    let rows = read("data.tsv");
    let x = Array2::from_shape_fn((rows.len(), 4), |(i, j)| rows[i][j]);
    (
        x,
        rows.iter().map(|r| r[4]).collect(),
        rows.iter().map(|r| r[5]).collect(),
    )
}

fn close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1e-12),
            "{what}: {g} vs statsmodels {w}"
        );
    }
}

fn check(fit: (&[f64], &[f64], &[f64], &[f64]), reference: &str) {
    let r = read(reference);
    let col = |j: usize| r.iter().map(|row| row[j]).collect::<Vec<f64>>();
    close(fit.0, &col(0), 1e-8, "coef");
    close(fit.1, &col(1), 1e-8, "se");
    close(fit.2, &col(2), 1e-8, "stat");
    close(fit.3, &col(3), 1e-8, "ln p");
}

#[test]
fn ols_matches_statsmodels() {
    let (x, y, _) = data();
    let f = ols(x.view(), &y).unwrap();
    assert_eq!(f.df, 76.0);
    check((&f.coef, &f.se, &f.t, &f.ln_p), "ols.tsv");
}

#[test]
fn logistic_matches_statsmodels() {
    let (x, _, b) = data();
    let f = logistic(x.view(), &b, &LogisticOptions::default()).unwrap();
    assert!(f.converged && f.iterations < 10);
    check((&f.coef, &f.se, &f.z, &f.ln_p), "logit.tsv");
}

#[test]
fn firth_shrinks_towards_zero_and_survives_separation() {
    let (x, _, b) = data();
    let plain = logistic(x.view(), &b, &LogisticOptions::default()).unwrap();
    let f = firth(x.view(), &b, None).unwrap();
    assert!(f.converged);
    // The penalty pulls every slope towards 0 by a small amount on 80 samples.
    for j in 1..4 {
        assert!(
            f.coef[j].abs() < plain.coef[j].abs(),
            "coef {j}: {} vs {}",
            f.coef[j],
            plain.coef[j]
        );
        assert!((f.coef[j] - plain.coef[j]).abs() < 0.2 * plain.coef[j].abs().max(0.05));
    }
    // Complete separation: plain ML diverges, Firth stays finite.
    let xs = Array2::from_shape_fn((20, 2), |(i, j)| if j == 0 { 1.0 } else { i as f64 });
    let ys: Vec<f64> = (0..20).map(|i| f64::from(u8::from(i >= 10))).collect();
    let fs = firth(xs.view(), &ys, None).unwrap();
    assert!(fs.converged && fs.coef[1].is_finite() && fs.coef[1] > 0.0 && fs.se[1].is_finite());
}

#[test]
fn shape_errors_are_reported() {
    let x = Array2::<f64>::zeros((3, 4));
    assert!(ols(x.view(), &[1.0, 2.0, 3.0])
        .unwrap_err()
        .to_string()
        .contains("3 samples for 4 predictors"));
    let x = Array2::from_shape_fn((5, 2), |(i, _)| i as f64);
    assert!(ols(x.view(), &[1.0, 2.0, 3.0, 4.0, 5.0])
        .unwrap_err()
        .to_string()
        .contains("rank deficient"));
}
