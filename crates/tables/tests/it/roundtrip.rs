//! Every table kind written as text and as Parquet reads back identical, metadata included.

use std::collections::BTreeMap;

use biomarker_tables::{
    AssocRecord, AssocTable, ComparisonRecord, ComparisonTable, FeatureTable, GwasRecord,
    GwasTable, MmdRecord, MmdTable, PhenoColumn, PhenoTable, PhenoValues, RunManifest, SampleId,
    TableKind,
};

fn both_formats<T: TableKind + PartialEq + std::fmt::Debug>(table: &T) {
    let dir = tempfile::tempdir().unwrap();
    for name in ["t.tsv", "t.parquet"] {
        let path = dir.path().join(name);
        table.write(&path).unwrap();
        let back = T::read(&path).unwrap();
        assert_eq!(&back, table, "{name}");
    }
}

fn meta() -> BTreeMap<String, String> {
    [
        ("checkpoint_sha256".to_owned(), "ab12".to_owned()),
        ("layer".to_owned(), "bottleneck".to_owned()),
    ]
    .into()
}

#[test]
fn gwas_table_round_trips_with_missing_values_and_extreme_numbers() {
    let record = |id: &str, p: Option<f64>, log10p: Option<f64>, err: Option<&str>| GwasRecord {
        pheno: "vol_left_hippocampus".into(),
        chrom: "19".into(),
        pos: 45_411_941,
        id: id.into(),
        reference: "T".into(),
        alt: "C".into(),
        a1: "C".into(),
        omitted: "T".into(),
        a1_freq: Some(0.1234567890123),
        model: "linear".into(),
        firth: None,
        test: "ADD".into(),
        obs_ct: 998,
        beta: Some(-1.0e-300),
        se: Some(3.3e-5),
        stat: Some(-12.5),
        p,
        log10p,
        errcode: err.map(str::to_owned),
    };
    let table = GwasTable {
        records: vec![
            record("rs429358", Some(1e-310), Some(309.99), None),
            record("rs7412", Some(0.0), Some(612.25), None),
            record("x", None, None, Some("CONST_ALLELE")),
        ],
        metadata: meta(),
    };
    both_formats(&table);
}

#[test]
fn assoc_and_mmd_tables_round_trip() {
    let assoc = AssocTable {
        records: vec![AssocRecord {
            analysis: "logistic".into(),
            outcome: "ad_vs_cn".into(),
            predictor: "left_hippocampus_PC1".into(),
            structure: Some("left_hippocampus".into()),
            covariates: "age,sex".into(),
            n: 723,
            beta: -0.8,
            se: 0.1,
            stat: -8.0,
            p: 1.2e-15,
            odds_ratio: Some((-0.8f64).exp()),
            auc: Some(0.74),
            ..AssocRecord::default()
        }],
        metadata: BTreeMap::new(),
    };
    both_formats(&assoc);
    let mmd = MmdTable {
        records: vec![MmdRecord {
            structure: "left_hippocampus".into(),
            group_a: "AD".into(),
            group_b: "CN".into(),
            n_a: 227,
            n_b: 496,
            estimator: "unbiased".into(),
            kernel: "gaussian".into(),
            bandwidth: Some(1.5),
            statistic: 0.031,
            p_value: 1.0 / 1001.0,
            p_adjusted: Some(0.003),
            p_fwer: Some(0.01),
            z_score: Some(14.2),
            null_method: "permutation".into(),
            permutations: Some(1000),
            seed: Some(7),
        }],
        metadata: meta(),
    };
    both_formats(&mmd);
}

#[test]
fn comparison_table_round_trips() {
    let table = ComparisonTable {
        records: vec![ComparisonRecord {
            structure: "left_hippocampus".into(),
            outcome: "ad_vs_cn".into(),
            analysis: "logistic".into(),
            volume: "vol_left_hippocampus".into(),
            deep: "left_hippocampus_PC1".into(),
            covariates: "age,sex".into(),
            n: 232,
            auc_volume: Some(0.71),
            auc_deep: Some(0.78),
            auc_both: Some(0.8),
            auc_cv_volume: Some(0.69),
            auc_cv_deep: Some(0.75),
            auc_cv_both: Some(0.76),
            aic_volume: 250.5,
            aic_deep: 230.25,
            aic_both: 229.0,
            lr_deep_stat: 23.5,
            lr_deep_p: 1.2e-6,
            lr_volume_stat: 3.25,
            lr_volume_p: 0.071,
            better: "deep".into(),
            ..ComparisonRecord::default()
        }],
        metadata: meta(),
    };
    both_formats(&table);
}

#[test]
fn feature_table_round_trips_and_widens() {
    let mut t = FeatureTable::new(vec!["z_0".into(), "z_1".into()]);
    t.metadata = meta();
    t.push(
        SampleId::with_fid("f1", "a"),
        "left_hippocampus",
        &[0.5, -1.25],
    );
    t.push(
        SampleId::with_fid("f2", "b"),
        "left_hippocampus",
        &[1e-12, 3.0],
    );
    t.push(SampleId::with_fid("f1", "a"), "white_matter", &[2.0, 0.1]);
    both_formats(&t);
    let (samples, m) = t.structure_matrix("left_hippocampus");
    assert_eq!(samples.len(), 2);
    assert_eq!(m, vec![0.5, -1.25, 1e-12, 3.0]);
    let wide = t.to_wide();
    assert_eq!(wide.iids(), vec!["a", "b"]);
    let wm = wide.column("white_matter_z_1").unwrap();
    assert_eq!(wm.values, PhenoValues::Numeric(vec![Some(0.1), None]));
}

#[test]
fn phenotype_tables_round_trip_as_text_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let table = PhenoTable {
        path: dir.path().join("p.tsv"),
        samples: vec![SampleId::with_fid("f1", "a"), SampleId::with_fid("f2", "b")],
        columns: vec![
            PhenoColumn {
                name: "age".into(),
                values: PhenoValues::Numeric(vec![Some(61.5), None]),
            },
            PhenoColumn {
                name: "site".into(),
                values: PhenoValues::Categorical(vec![None, Some("x".into())]),
            },
        ],
    };
    for name in ["p.tsv", "p.parquet"] {
        let path = dir.path().join(name);
        table.write(&path).unwrap();
        let mut back = PhenoTable::read(&path).unwrap();
        back.path = table.path.clone();
        assert_eq!(back, table, "{name}");
    }
    // The text form is PLINK's: '#FID' header, NA for missing.
    let text = std::fs::read_to_string(dir.path().join("p.tsv")).unwrap();
    assert_eq!(
        text,
        "#FID\tIID\tage\tsite\nf1\ta\t61.5\tNA\nf2\tb\tNA\tx\n"
    );
}

#[test]
fn manifest_round_trips_and_records_digests() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "abc").unwrap();
    let mut m = RunManifest::start(
        "0.1.0",
        "scan",
        vec!["biomarker-gwas".into(), "scan".into()],
        serde_json::json!({"maf": 0.01}),
    );
    m.seeds.insert("permutations".into(), 7);
    m.add_input(&input).unwrap();
    m.time("step", || ());
    m.summary = serde_json::json!({"lambda_gc": 1.01});
    let path = dir.path().join("run.manifest.json");
    m.write(&path).unwrap();
    let back = RunManifest::read(&path).unwrap();
    assert_eq!(back, m);
    // SHA-256("abc"), the FIPS 180-2 test vector.
    assert_eq!(
        back.inputs[0].sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(back.inputs[0].bytes, 3);
}

#[test]
fn an_empty_covariate_list_reads_back_from_text() {
    // A model without covariates writes an empty field; the string column forbids null, so
    // the reader must take it as the empty list, not as a missing value.
    let table = AssocTable {
        records: vec![AssocRecord {
            analysis: "ols".into(),
            outcome: "age".into(),
            predictor: "left_hippocampus_PC1".into(),
            covariates: String::new(),
            n: 40,
            beta: 0.3,
            se: 0.1,
            stat: 3.0,
            p: 0.004,
            ..AssocRecord::default()
        }],
        metadata: BTreeMap::new(),
    };
    both_formats(&table);
}
