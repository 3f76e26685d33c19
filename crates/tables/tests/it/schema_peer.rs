//! Our schema validator agrees with Python's jsonschema (the reference implementation of
//! draft 2020-12) on every schema in data-schemas/: valid rows and systematically broken ones
//! (each property set to null, text, negative, fractional, out-of-range or empty values,
//! required properties removed, unknown properties added) get the same verdict.

use std::path::{Path, PathBuf};
use std::process::Command;

use biomarker_tables::schema::DocumentSchema;
use serde_json::{json, Map, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn valid_rows(kind: &str) -> Vec<Value> {
    match kind {
        "phenotype" => {
            vec![json!({"FID": "f1", "IID": "a", "age": 61.5, "site": "x", "bmi": null})]
        }
        "feature" => {
            vec![json!({"IID": "a", "structure": "left_hippocampus", "z_0": 0.5, "PC1": -2})]
        }
        "gwas" => vec![json!({
            "PHENO": "y", "CHROM": "19", "POS": 45411941, "ID": "rs429358", "REF": "T", "ALT": "C",
            "A1": "C", "OMITTED": "T", "A1_FREQ": 0.14, "MODEL": "logistic", "FIRTH": false,
            "TEST": "ADD", "OBS_CT": 723, "BETA": 0.9, "SE": 0.1, "STAT": 9.0, "P": 2e-19,
            "LOG10P": 18.7, "ERRCODE": null
        })],
        "assoc" => vec![json!({
            "analysis": "ols", "outcome": "age", "predictor": "PC1", "structure": null,
            "covariates": "sex", "n": 100, "beta": 0.1, "se": 0.01, "stat": 10.0, "p": 1e-10,
            "r2": 0.3, "adj_r2": 0.29, "f_stat": 20.0, "f_p": 1e-5
        })],
        "mmd" => vec![json!({
            "structure": "s", "group_a": "AD", "group_b": "CN", "n_a": 10, "n_b": 12,
            "estimator": "unbiased", "kernel": "gaussian", "bandwidth": 1.5, "statistic": 0.02,
            "p_value": 0.01, "p_adjusted": 0.02, "p_fwer": null, "z_score": 3.1,
            "null_method": "permutation", "permutations": 1000, "seed": 7
        })],
        "manifest" => vec![json!({
            "tool": "biomarker-gwas", "version": "0.1.0", "command_line": ["biomarker-gwas", "scan"],
            "subcommand": "scan", "parameters": {"maf": 0.01}, "seeds": {"perm": 3},
            "inputs": [{"path": "a.bed", "bytes": 10, "sha256": "ab".repeat(32)}], "outputs": [],
            "timings": [{"step": "scan", "seconds": 1.5}], "started_unix": 1700000000,
            "summary": {"lambda_gc": 1.01}
        })],
        "comparison" => vec![json!({
            "structure": "left_hippocampus", "outcome": "ad_vs_cn", "analysis": "logistic",
            "volume": "vol_left_hippocampus", "deep": "left_hippocampus_PC1", "covariates": "age,sex",
            "n": 700, "auc_volume": 0.7, "auc_deep": 0.75, "auc_both": 0.77, "auc_cv_volume": 0.69,
            "auc_cv_deep": 0.74, "auc_cv_both": 0.75, "aic_volume": 800.5, "aic_deep": 780.0,
            "aic_both": 770.1, "lr_deep_stat": 32.4, "lr_deep_p": 1e-8, "lr_volume_stat": 3.1,
            "lr_volume_p": 0.08, "better": "deep"
        })],
        "chunks" => vec![json!({
            "format": "biomarker-gwas chunks", "version": "0.1.0", "bfile": "cohort",
            "bim_sha256": "cd".repeat(32), "variants": 2000, "requested": 3, "split_chromosomes": false,
            "inputs": [
                {"role": "bed", "path": "cohort.bed", "bytes": 100003, "mtime_ns": 1700000000123456789u64, "sha256": "ab".repeat(32)},
                {"role": "bim", "path": "cohort.bim", "bytes": 60000, "mtime_ns": null, "sha256": "cd".repeat(32)},
                {"role": "fam", "path": "cohort.fam", "bytes": 2000, "mtime_ns": 1700000000u64, "sha256": "ef".repeat(32)}
            ],
            "chunks": [{"chunk": 1, "start": 0, "end": 737, "variants": 737, "regions": ["1:10000-200000"]}]
        })],
        other => panic!("no rows for {other}"),
    }
}

/// Systematic variants of a valid row.
fn mutations(row: &Value) -> Vec<Value> {
    let replacements = [
        Value::Null,
        json!("x"),
        json!(""),
        json!(-1),
        json!(-0.5),
        json!(0),
        json!(0.5),
        json!(1.5),
        json!(2),
        json!(true),
        json!([]),
        json!({}),
    ];
    let obj = row.as_object().unwrap();
    let mut out = Vec::new();
    for key in obj.keys() {
        for r in &replacements {
            let mut m: Map<String, Value> = obj.clone();
            m.insert(key.clone(), r.clone());
            out.push(Value::Object(m));
        }
        let mut m = obj.clone();
        m.remove(key);
        out.push(Value::Object(m));
    }
    let mut m = obj.clone();
    m.insert("unexpected_column".into(), json!(1.0));
    out.push(Value::Object(m));
    let mut m = obj.clone();
    m.insert("another".into(), json!("text"));
    out.push(Value::Object(m));
    out
}

#[test]
fn our_verdicts_match_python_jsonschema() {
    let python = crate::peer_tool("python3");
    let has_jsonschema = python.is_some()
        && Command::new("python3")
            .args(["-c", "import jsonschema"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    if !has_jsonschema {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with jsonschema is required in CI"
        );
        eprintln!("skipped: python jsonschema not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    let mut rejected = 0;
    let kinds = [
        "phenotype",
        "feature",
        "gwas",
        "assoc",
        "mmd",
        "comparison",
        "chunks",
        "manifest",
    ];
    let schemas: Vec<String> = std::fs::read_dir(root().join("data-schemas"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .replace(".schema.json", "")
        })
        .collect();
    for name in &schemas {
        assert!(
            kinds.contains(&name.as_str()),
            "schema {name} is not compared with jsonschema"
        );
    }
    for kind in kinds {
        let schema_path = root().join(format!("data-schemas/{kind}.schema.json"));
        let schema =
            DocumentSchema::from_json(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
        let mut rows = Vec::new();
        for row in valid_rows(kind) {
            rows.extend(mutations(&row));
            rows.push(row);
        }
        let rows_path = dir.path().join(format!("{kind}.jsonl"));
        std::fs::write(
            &rows_path,
            rows.iter().map(|r| format!("{r}\n")).collect::<String>(),
        )
        .unwrap();
        let out = Command::new("python3")
            .arg(root().join("scripts/validate_rows.py"))
            .args([&schema_path, &rows_path])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<bool> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l == "ok")
            .collect();
        assert_eq!(theirs.len(), rows.len());
        assert!(
            *theirs.last().unwrap(),
            "{kind}: the valid row is invalid to jsonschema"
        );
        for (row, their_ok) in rows.iter().zip(theirs) {
            let ours = schema.validate(row, Path::new("row"));
            assert_eq!(ours.is_ok(), their_ok, "{kind}: {row}\nours: {ours:?}");
            compared += 1;
            rejected += usize::from(!their_ok);
        }
    }
    assert!(
        compared > 600 && rejected > 300,
        "{compared} rows compared, {rejected} rejected"
    );
}
