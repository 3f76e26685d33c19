//! The simulated fixture (400 samples × 240 variants, 1% missing calls, edge cases) against
//! what plink2 2.00a3.5 and statsmodels produced for it (scripts/scan_fixtures.sh).

use super::common::*;
use biomarker_assoc::scan::{A1Choice, OutputFormat};
use biomarker_tables::{GwasTable, TableKind};

const LINEAR_TEXT: &[&str] = &["A1", "OBS_CT", "ERRCODE", "REF", "ALT"];
const LINEAR_NUM: &[&str] = &["A1_FREQ", "BETA", "SE", "T_STAT"];

#[test]
fn linear_matches_plink2_to_its_printed_digits() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(&sim_config(dir.path())).unwrap();
    assert_eq!(report.variants_tested, 240);
    // q1 and q3 share a missingness pattern; q2 lacks 3% of their samples, so it is tested in
    // their pass with those samples removed; b1 is alone.
    assert_eq!(report.groups, 2);
    for q in ["q1", "q2", "q3"] {
        let ours = dir.path().join(format!("{q}.glm.linear"));
        let theirs = sim_dir().join(format!("plink2.{q}.glm.linear"));
        let worst = compare_glm(&ours, &theirs, LINEAR_TEXT, LINEAR_NUM, 1.0);
        let lp = compare_log10p(dir.path(), q, &theirs, 1e-4);
        eprintln!("{q}: worst units {worst:?}, worst |Δ log10 p| {lp:.2e}");
    }
    // The huge effect is printed beyond the double range, as plink2 does.
    let (_, rows) = read_table(&dir.path().join("q1.glm.linear"), "ID");
    assert_eq!(rows["rs105"]["P"], "7.88514e-334");
    // Edge cases carry PLINK 2's error codes.
    assert_eq!(rows["rs100"]["ERRCODE"], "CONST_OMITTED_ALLELE");
    assert_eq!(rows["rs102"]["ERRCODE"], "CORR_TOO_HIGH");
    assert_eq!(rows["rs103"]["ERRCODE"], "SAMPLE_CT<=PREDICTOR_CT");
}

#[test]
fn a1_alt_matches_plink2_omit_ref() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = sim_config(dir.path());
    cfg.pheno_names = vec!["q2".into()];
    cfg.a1 = A1Choice::Alt;
    run(&cfg).unwrap();
    let theirs = sim_dir().join("plink2_omitref.q2.glm.linear");
    compare_glm(
        &dir.path().join("q2.glm.linear"),
        &theirs,
        LINEAR_TEXT,
        LINEAR_NUM,
        1.0,
    );
    compare_log10p(dir.path(), "q2", &theirs, 1e-4);
}

#[test]
fn logistic_matches_statsmodels() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = sim_config(dir.path());
    cfg.pheno_names = vec!["b1".into()];
    run(&cfg).unwrap();
    let t = GwasTable::read(&dir.path().join("gwas.parquet")).unwrap();
    let (_, sm) = read_table(&sim_dir().join("statsmodels.b1.tsv"), "ID");
    assert!(sm.len() > 200);
    let mut worst = 0.0f64;
    for r in t.records.iter().filter(|r| sm.contains_key(&r.id)) {
        let s = &sm[&r.id];
        let num = |c: &str| s[c].parse::<f64>().unwrap();
        assert_eq!(r.a1, s["A1"], "{}", r.id);
        assert_eq!(r.obs_ct.to_string(), s["OBS_CT"], "{}", r.id);
        assert_eq!(r.firth, Some(false), "{}", r.id);
        for (got, want) in [
            (r.beta, num("BETA")),
            (r.se, num("SE")),
            (r.stat, num("Z")),
            (r.log10p, num("LOG10P")),
        ] {
            let got = got.unwrap();
            let rel = (got - want).abs() / want.abs().max(1e-3);
            // The scan reuses the information matrix of the last Newton iterate (exact to ~1e-8).
            assert!(rel < 1e-7, "{}: {got} vs statsmodels {want}", r.id);
            worst = worst.max(rel);
        }
    }
    eprintln!("logistic vs statsmodels: worst relative difference {worst:.2e}");
}

#[test]
fn logistic_and_firth_agree_with_plink2() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = sim_config(dir.path());
    cfg.pheno_names = vec!["b1".into()];
    run(&cfg).unwrap();
    let ours = dir.path().join("b1.glm.logistic.hybrid");
    let theirs = sim_dir().join("plink2_std.b1.glm.logistic.hybrid");
    // Identical choices: A1, sample counts, error codes and where Firth was needed.
    compare_glm(
        &ours,
        &theirs,
        &["A1", "OBS_CT", "ERRCODE", "FIRTH?"],
        &["A1_FREQ"],
        0.0,
    );
    // plink2 a3.5 fits logistic models in single precision (and takes SEs from the
    // penultimate iteration): OR agrees to its 6th digit, SE and Z to ~1e-3.
    let (_, a) = read_table(&ours, "ID");
    let (_, b) = read_table(&theirs, "ID");
    let mut worst = [0.0f64; 3];
    for (id, rb) in &b {
        if rb["ERRCODE"] != "." {
            continue;
        }
        for (i, (c, tol)) in [("OR", 1e-4), ("LOG(OR)_SE", 1e-2), ("Z_STAT", 1e-2)]
            .into_iter()
            .enumerate()
        {
            let (x, y): (f64, f64) = (a[id][c].parse().unwrap(), rb[c].parse().unwrap());
            let rel = (x - y).abs() / y.abs().max(1e-2);
            assert!(rel < tol, "{id} {c}: ours {x} vs plink2 {y}");
            worst[i] = worst[i].max(rel);
        }
    }
    let (_, rows) = read_table(&ours, "ID");
    assert_eq!(
        rows["rs104"]["FIRTH?"], "Y",
        "the separated variant falls back to Firth"
    );
    eprintln!(
        "logistic vs plink2 (relative): OR {:.1e}, SE {:.1e}, Z {:.1e}",
        worst[0], worst[1], worst[2]
    );
}

#[test]
fn chunks_partition_the_scan() {
    let full = tempfile::tempdir().unwrap();
    let mut cfg = sim_config(full.path());
    cfg.pheno_names = vec!["q1".into()];
    run(&cfg).unwrap();
    let (_, whole) = read_table(&full.path().join("q1.glm.linear"), "ID");
    let mut seen = 0;
    for k in 1..=3 {
        let dir = tempfile::tempdir().unwrap();
        let mut c = sim_config(dir.path());
        c.pheno_names = vec!["q1".into()];
        c.chunk = Some((k, 3));
        run(&c).unwrap();
        let (_, part) = read_table(&dir.path().join("q1.glm.linear"), "ID");
        for (id, row) in &part {
            assert_eq!(row, &whole[id]);
        }
        seen += part.len();
    }
    assert_eq!(seen, whole.len());
}

#[test]
fn filters_select_samples_and_variants() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("keep.txt");
    std::fs::write(
        &keep,
        (0..200).map(|i| format!("f{i} s{i}\n")).collect::<String>(),
    )
    .unwrap();
    let out = dir.path().join("out");
    let mut cfg = sim_config(&out);
    cfg.pheno_names = vec!["q3".into()];
    cfg.keep = Some(keep);
    cfg.maf = Some(0.1);
    cfg.region = Some("2:10000-60000".parse().unwrap());
    let report = run(&cfg).unwrap();
    assert_eq!(report.samples, 200);
    assert_eq!(report.variants_selected, 51);
    assert!(report.variants_tested < 51 && report.variants_tested > 20);
    let (_, rows) = read_table(&out.join("q3.glm.linear"), "ID");
    assert!(rows.values().all(|r| r["CHROM"] == "2"));
    assert!(rows
        .values()
        .all(|r| r["OBS_CT"].parse::<usize>().unwrap() <= 200));
}

#[test]
fn regenie_and_ssf_layouts() {
    for (format, file, header) in [
        (
            OutputFormat::Regenie,
            "q1.regenie",
            "CHROM GENPOS ID ALLELE0 ALLELE1 A1FREQ N TEST BETA SE CHISQ LOG10P",
        ),
        (
            OutputFormat::Ssf,
            "q1.ssf.tsv",
            "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = sim_config(dir.path());
        cfg.pheno_names = vec!["q1".into()];
        cfg.format = format;
        run(&cfg).unwrap();
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(
            text.starts_with(header),
            "{file}: {}",
            text.lines().next().unwrap()
        );
        let line = text.lines().find(|l| l.contains("rs105")).unwrap();
        match format {
            // effect allele T, -log10 p printed from log space: 333.103
            OutputFormat::Regenie => assert!(
                line.contains(" C T 0.423575 386 ADD -11.9252 0.0823739")
                    && line.ends_with(" 333.103"),
                "{line}"
            ),
            _ => assert!(
                line.starts_with("1\t15000\tT\tC\t-11.9252\t0.0823739\t0.423575\t7.88514e-334"),
                "{line}"
            ),
        }
        if format == OutputFormat::Ssf {
            assert!(dir.path().join("q1.ssf.tsv-meta.yaml").exists());
        }
    }
}
