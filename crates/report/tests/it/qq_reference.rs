//! λGC and the QQ band against numpy/scipy (fixtures from scripts/report_fixtures.py).

use biomarker_report::qq::{band_at, QqData};

use crate::common::{rel, tsv_rows};

fn fixture_log10p() -> Vec<f64> {
    tsv_rows("qq_pvalues.tsv")
        .iter()
        .map(|r| r[0].parse().unwrap())
        .collect()
}

#[test]
fn lambda_gc_matches_scipy() {
    let rows = tsv_rows("qq_reference.tsv");
    let want: f64 = rows.iter().find(|r| r[0] == "lambda_gc").unwrap()[3]
        .parse()
        .unwrap();
    let q = QqData::new(&fixture_log10p());
    assert_eq!(q.n, 2001);
    let got = q.lambda.unwrap();
    assert!(rel(got, want) < 1e-9, "λGC {got} vs scipy {want}");
    // the inflation put into the fixture shows
    assert!((got - 1.1).abs() < 0.06, "{got}");
}

#[test]
fn band_matches_scipy_beta_quantiles() {
    let mut checked = 0;
    for r in tsv_rows("qq_reference.tsv")
        .iter()
        .filter(|r| r[0] == "band")
    {
        let (n, i): (usize, usize) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        let (lower, upper): (f64, f64) = (r[3].parse().unwrap(), r[4].parse().unwrap());
        let (_, lo, up) = band_at(i, n);
        assert!(rel(lo, lower) < 1e-8, "n={n} i={i}: lower {lo} vs {lower}");
        assert!(rel(up, upper) < 1e-8, "n={n} i={i}: upper {up} vs {upper}");
        checked += 1;
    }
    assert_eq!(checked, 14);
}
