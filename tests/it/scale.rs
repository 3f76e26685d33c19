//! Scans split into chunks (`chunks`, `scan --chunks --chunk K/N`) and joined by `merge` give
//! exactly the unsplit scan's outputs; merge refuses missing, mismatched and overlapping chunks.

use std::path::{Path, PathBuf};

use biomarker_tables::{GwasTable, TableKind};

use crate::{bgwas, bgwas_ok, s};

/// Scans three phenotypes of a simulated cohort (the same the workflow test configures).
pub fn scan(cohort: &Path, out: &Path, extra: &[&str]) {
    let bfile = cohort.join("cohort");
    let pheno = cohort.join("phenotypes.tsv");
    let covar = cohort.join("covariates.tsv");
    let mut args = vec![
        "-q",
        "scan",
        "--bfile",
        s(&bfile),
        "--pheno",
        s(&pheno),
        "--pheno-name",
        "ad_vs_cn,null_trait,vol_left_hippocampus",
        "--covar",
        s(&covar),
        "--out",
        s(out),
    ];
    args.extend_from_slice(extra);
    bgwas_ok(&args);
}

/// Simulates a cohort of `samples` × `variants` (16³ images) into `dir/sim`; returns its path.
pub fn simulate(dir: &Path, samples: &str, variants: &str) -> PathBuf {
    let cohort = dir.join("sim");
    bgwas_ok(&[
        "-q",
        "simulate",
        "--out",
        s(&cohort),
        "--samples",
        samples,
        "--variants",
        variants,
        "--size",
        "16",
    ]);
    cohort
}

/// Asserts that the scan in `merged` is the unsplit one in `whole` to the byte (its three
/// text outputs) and to the record (its Parquet table of 3 × `variants` rows).
pub fn assert_same_scan(whole: &Path, merged: &Path, variants: usize) {
    let (a, b) = (text_outputs(whole), text_outputs(merged));
    assert_eq!(
        a.len(),
        3,
        "{:?}",
        a.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    assert_eq!(
        a.iter().map(|x| &x.0).collect::<Vec<_>>(),
        b.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{name} differs between the unsplit and the merged scan"
        );
    }
    let whole_table = GwasTable::read(&whole.join("gwas.parquet")).unwrap();
    let merged_table = GwasTable::read(&merged.join("gwas.parquet")).unwrap();
    assert_eq!(whole_table.records.len(), 3 * variants);
    assert_eq!(
        whole_table.records, merged_table.records,
        "Parquet data differ"
    );
}

/// The text outputs of a scan folder, name → bytes (the manifest excluded).
fn text_outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.contains(".glm.") || name.ends_with(".regenie") || name.ends_with(".tsv")
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn merged_chunks_equal_the_unsplit_scan_and_bad_sets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cohort = simulate(dir.path(), "200", "2000");
    let whole = dir.path().join("whole");
    scan(&cohort, &whole, &[]);

    let plan = dir.path().join("plan.json");
    bgwas_ok(&[
        "-q",
        "chunks",
        "--bfile",
        s(&cohort.join("cohort")),
        "--n",
        "3",
        "--out",
        s(&plan),
    ]);
    let chunk_dirs: Vec<_> = (1..=3).map(|k| dir.path().join(format!("c{k}"))).collect();
    for (k, d) in chunk_dirs.iter().enumerate() {
        scan(
            &cohort,
            d,
            &["--chunks", s(&plan), "--chunk", &format!("{}/3", k + 1)],
        );
    }
    let merged = dir.path().join("merged");
    // Chunks in any order.
    bgwas_ok(&[
        "-q",
        "merge",
        s(&chunk_dirs[2]),
        s(&chunk_dirs[0]),
        s(&chunk_dirs[1]),
        "--out",
        s(&merged),
    ]);
    assert_same_scan(&whole, &merged, 2000);
    // The merged summary's λGC is the unsplit scan's (the same p-value histogram).
    let lambdas = |dir: &Path| -> Vec<f64> {
        let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
        let m: serde_json::Value = serde_json::from_str(&text).unwrap();
        m["summary"]["phenotypes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["lambda_gc"].as_f64().unwrap())
            .collect()
    };
    assert_eq!(lambdas(&whole).len(), 3);
    assert_eq!(lambdas(&whole), lambdas(&merged));

    // A missing chunk.
    let out = bgwas(&[
        "merge",
        s(&chunk_dirs[0]),
        s(&chunk_dirs[1]),
        "--out",
        s(&dir.path().join("m2")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing chunk 3/3"));
    // A chunk from other parameters.
    let other = dir.path().join("c3b");
    scan(
        &cohort,
        &other,
        &["--chunks", s(&plan), "--chunk", "3/3", "--maf", "0.05"],
    );
    let out = bgwas(&[
        "merge",
        s(&chunk_dirs[0]),
        s(&chunk_dirs[1]),
        s(&other),
        "--out",
        s(&dir.path().join("m3")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("comes from different inputs or parameters")
    );
    // Overlapping chunks: an equal split mixed with the plan's.
    let equal = dir.path().join("e2");
    scan(&cohort, &equal, &["--chunk", "2/3"]);
    let out = bgwas(&[
        "merge",
        s(&chunk_dirs[0]),
        s(&equal),
        s(&chunk_dirs[2]),
        "--out",
        s(&dir.path().join("m4")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("overlaps") || err.contains("different inputs"),
        "{err}"
    );
    for m in ["m2", "m3", "m4"] {
        assert!(
            !dir.path().join(m).join("gwas.parquet").exists(),
            "{m} left output behind"
        );
    }
}

/// The `input_digests` a chunk's scan recorded: role → `plan` or `rehashed`.
fn digest_sources(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    m["summary"]["input_digests"].clone()
}

#[test]
fn chunks_trust_the_plans_digests_until_the_bed_is_touched_or_altered() {
    let dir = tempfile::tempdir().unwrap();
    let cohort = simulate(dir.path(), "120", "600");
    let bfile = cohort.join("cohort");
    let bed = cohort.join("cohort.bed");
    let plan = dir.path().join("plan.json");
    bgwas_ok(&[
        "-q",
        "chunks",
        "--bfile",
        s(&bfile),
        "--n",
        "2",
        "--out",
        s(&plan),
    ]);
    let plan_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let recorded: Vec<&str> = plan_json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap())
        .collect();
    assert_eq!(recorded, ["bed", "bim", "fam"]);
    let bed_sha = plan_json["inputs"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();

    // Unchanged files: every digest comes from the plan, and it is the true one.
    let c1 = dir.path().join("c1");
    scan(&cohort, &c1, &["--chunks", s(&plan), "--chunk", "1/2"]);
    assert_eq!(
        digest_sources(&c1),
        serde_json::json!({"bed": "plan", "bim": "plan", "fam": "plan"})
    );
    let whole = dir.path().join("whole");
    scan(&cohort, &whole, &[]);
    let whole_manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(whole.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(whole_manifest["inputs"][0]["sha256"], bed_sha.as_str());

    // Touched (same content, new modification time): hashed again, accepted, and the
    // chunks still merge as one scan.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&bed)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let c2 = dir.path().join("c2");
    scan(&cohort, &c2, &["--chunks", s(&plan), "--chunk", "2/2"]);
    assert_eq!(
        digest_sources(&c2),
        serde_json::json!({"bed": "rehashed", "bim": "plan", "fam": "plan"})
    );
    let merged = dir.path().join("merged");
    bgwas_ok(&["-q", "merge", s(&c1), s(&c2), "--out", s(&merged)]);
    assert_eq!(
        GwasTable::read(&whole.join("gwas.parquet"))
            .unwrap()
            .records,
        GwasTable::read(&merged.join("gwas.parquet"))
            .unwrap()
            .records
    );

    // Altered (one genotype byte flipped, same size): refused, naming the file, and no
    // output is written.
    let mut bytes = std::fs::read(&bed).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0b0000_0011;
    std::fs::write(&bed, &bytes).unwrap();
    let c2b = dir.path().join("c2b");
    let out = bgwas(&[
        "scan",
        "--bfile",
        s(&bfile),
        "--pheno",
        s(&cohort.join("phenotypes.tsv")),
        "--chunks",
        s(&plan),
        "--chunk",
        "2/2",
        "--out",
        s(&c2b),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cohort.bed") && err.contains("changed since the chunk plan"),
        "{err}"
    );
    assert!(!c2b.join("gwas.parquet").exists());
}
