//! The whole study end to end: `demo --small` simulates a cohort and runs every step; the
//! planted truth must be recovered (volume loci genome-wide significant in the volume scans,
//! the pure-noise trait not, AD against CN detected by MMD in the structures the simulation
//! affects). A second `run` of the demo's config skips every step, and changing one parameter
//! reruns exactly the steps downstream of it. Malformed configs fail with the key named.

use std::collections::BTreeSet;
use std::path::Path;

use biomarker_tables::{GwasRecord, GwasTable, MmdTable, TableKind};

use crate::{bgwas, bgwas_ok, s};

/// Genome-wide significance.
const GENOME_WIDE: f64 = 5e-8;

/// Steps that ran (`<step> ran in X s`) and that were skipped in a run's stdout.
fn outcomes(stdout: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut ran = BTreeSet::new();
    let mut skipped = BTreeSet::new();
    for line in stdout.lines() {
        let mut f = line.split_whitespace();
        let (Some(step), Some(what)) = (f.next(), f.next()) else {
            continue;
        };
        match (what, f.next()) {
            ("ran", Some("in")) => ran.insert(step.to_string()),
            ("skipped", Some("(up")) => skipped.insert(step.to_string()),
            _ => false,
        };
    }
    (ran, skipped)
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// The smallest p (largest −log10 p) of `pheno` within ±250 kb of `chrom:pos`.
fn best_log10p(gwas: &[GwasRecord], pheno: &str, chrom: &str, pos: i64) -> f64 {
    gwas.iter()
        .filter(|r| r.pheno == pheno && r.test == "ADD" && r.chrom == chrom)
        .filter(|r| (r.pos - pos).abs() <= 250_000)
        .filter_map(|r| r.log10p)
        .fold(0.0, f64::max)
}

/// λGC of one phenotype: median of the squared test statistics over the χ²₁ median.
fn lambda_gc(gwas: &[GwasRecord], pheno: &str) -> f64 {
    let mut chi2: Vec<f64> = gwas
        .iter()
        .filter(|r| r.pheno == pheno && r.test == "ADD")
        .filter_map(|r| r.stat.map(|t| t * t))
        .collect();
    chi2.sort_by(f64::total_cmp);
    chi2[chi2.len() / 2] / 0.454_936_423_119_572_8
}

fn check_truth(out: &Path) {
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("cohort/truth.json")).unwrap())
            .unwrap();
    let gwas = GwasTable::read(&out.join("study/scan/gwas.parquet"))
        .unwrap()
        .records;

    // Every volume locus is genome-wide significant in the volume scans of its structures
    // (in the strongest of the two hemispheres; at 300 subjects the weaker one of a small
    // structure may fall short, so it must only be clearly associated, p < 1e-5).
    let mut volume_variants = 0;
    for c in truth["causal"].as_array().unwrap() {
        if c["effect"] != "volume" {
            continue;
        }
        volume_variants += 1;
        let (chrom, pos) = (c["chrom"].as_str().unwrap(), c["pos"].as_i64().unwrap());
        let mut best: f64 = 0.0;
        for structure in c["structures"].as_array().unwrap() {
            let pheno = format!("vol_{}", structure.as_str().unwrap());
            let lp = best_log10p(&gwas, &pheno, chrom, pos);
            eprintln!("{} in {pheno}: -log10 p {lp:.1}", c["id"]);
            assert!(lp > 5.0, "{} not associated with {pheno}", c["id"]);
            best = best.max(lp);
        }
        assert!(best > -GENOME_WIDE.log10(), "{} not found", c["id"]);
    }
    assert_eq!(volume_variants, 3);

    // The pure-noise trait: no hit, and test statistics as under the null.
    let null = "null_trait";
    let min_p = gwas
        .iter()
        .filter(|r| r.pheno == null)
        .filter_map(|r| r.p)
        .fold(1.0, f64::min);
    let lambda = lambda_gc(&gwas, null);
    eprintln!("{null}: min p {min_p:.2e}, lambda_gc {lambda:.3}");
    assert!(min_p > GENOME_WIDE, "{null}: p {min_p}");
    assert!((0.85..1.15).contains(&lambda), "{null}: lambda_gc {lambda}");

    // MMD finds AD against CN in every structure the simulation gives an AD effect of at
    // least 10% in volume or a taper shift (hippocampi, amygdalae, ventricles).
    let mmd = MmdTable::read(&out.join("study/mmd/mmd.parquet")).unwrap();
    let mut affected = 0;
    for entry in truth["structure_effects"].as_array().unwrap() {
        let (structure, e) = (entry[0].as_str().unwrap(), &entry[1]);
        let ad = e["ad"].as_f64().unwrap();
        let taper = e["ad_taper"].as_f64().unwrap();
        if ad.abs() < 0.1 && taper == 0.0 {
            continue;
        }
        affected += 1;
        let r = mmd
            .records
            .iter()
            .find(|r| r.structure == structure && r.estimator == "unbiased")
            .unwrap_or_else(|| panic!("no MMD test of {structure}"));
        eprintln!("{structure}: AD vs CN MMD p {}", r.p_value);
        assert_eq!((r.group_a.as_str(), r.group_b.as_str()), ("AD", "CN"));
        assert!(r.p_value < 0.01, "{structure}: MMD p {}", r.p_value);
    }
    assert_eq!(affected, 5);
}

#[test]
fn demo_recovers_the_truth_and_reruns_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let stdout = bgwas_ok(&["-q", "demo", "--small", "--out", s(&out)]);
    let all = set(&[
        "simulate",
        "train",
        "encode",
        "pca",
        "genotype-pcs",
        "assoc",
        "mmd",
        "scan",
        "report",
    ]);
    assert_eq!(outcomes(&stdout).0, all, "{stdout}");
    assert!(out.join("study/report/report.html").is_file());
    // `[latent]`: the t-SNE of at most 200 subjects per structure, beside the PCA view.
    let tsne = biomarker_tables::FeatureTable::read(&out.join("study/encode/tsne.tsv")).unwrap();
    let structures = tsne.structure_names();
    assert_eq!(structures.len(), 13);
    for st in &structures {
        assert_eq!(tsne.structure_matrix(st).0.len(), 200, "{st}");
    }
    let html = std::fs::read_to_string(out.join("study/report/report.html")).unwrap();
    assert!(
        html.contains("data-view=\"pca\"") && html.contains("data-view=\"latent\""),
        "latent views missing"
    );
    assert!(html.contains("Latent space, t-SNE") && html.contains("coloured by diagnosis"));
    assert!(stdout.contains("report: "), "{stdout}");
    assert!(stdout.contains("planted causal variants"), "{stdout}");
    assert!(stdout.contains("AD vs CN"), "{stdout}");
    assert!(stdout.contains("deep PC1 against volume"), "{stdout}");
    for step in ["train", "encode", "pca", "assoc", "mmd", "scan", "report"] {
        let m = out.join("study").join(step).join("step.manifest.json");
        assert!(m.is_file(), "{step}: no step manifest");
        assert!(!out
            .join("study")
            .join(step)
            .join("step.started.json")
            .exists());
    }
    check_truth(&out);

    // A second run changes nothing.
    let config = out.join("study.toml");
    let stdout = bgwas_ok(&["-q", "run", "--config", s(&config)]);
    let (ran, skipped) = outcomes(&stdout);
    assert!(ran.is_empty(), "{stdout}");
    assert_eq!(skipped.len(), 8, "{stdout}");

    // One parameter changed: only its step and those downstream of it run.
    let mut text = std::fs::read_to_string(&config).unwrap();
    let mut change = |from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
        std::fs::write(&config, &text).unwrap();
        outcomes(&bgwas_ok(&["-q", "run", "--config", s(&config)])).0
    };
    assert_eq!(
        change("permutations = 499", "permutations = 199"),
        set(&["mmd", "report"])
    );
    assert_eq!(
        change("genotype_pcs = 5", "genotype_pcs = 4"),
        set(&["genotype-pcs", "scan", "report"])
    );
    // The t-SNE is redrawn; the features, hence every statistic, stay as they were.
    assert_eq!(
        change("max_subjects = 200", "max_subjects = 150"),
        set(&["encode", "report"])
    );
    // A changed input file reruns its readers: the covariates feed assoc and scan.
    let covar = out.join("cohort/covariates.tsv");
    let c = std::fs::read_to_string(&covar).unwrap();
    let (first, rest) = c.split_once('\n').unwrap();
    let (second, rest) = rest.split_once('\n').unwrap();
    // The first subject's sex flipped.
    let flipped = match second.rsplit_once('\t').unwrap() {
        (head, "1") => format!("{head}\t2"),
        (head, _) => format!("{head}\t1"),
    };
    std::fs::write(&covar, format!("{first}\n{flipped}\n{rest}")).unwrap();
    let stdout = bgwas_ok(&["-q", "run", "--config", s(&config)]);
    assert_eq!(
        outcomes(&stdout).0,
        set(&["assoc", "scan", "report"]),
        "{stdout}"
    );
    // A deleted output reruns its step.
    std::fs::remove_file(out.join("study/mmd/mmd.parquet")).unwrap();
    let stdout = bgwas_ok(&["-q", "run", "--config", s(&config)]);
    assert_eq!(outcomes(&stdout).0, set(&["mmd", "report"]), "{stdout}");

    // A training killed part-way (started, never finished) resumes from its checkpoints; here
    // every epoch was done, so the weights come out identical and encoding stays up to date.
    let train = out.join("study/train");
    std::fs::rename(
        train.join("step.manifest.json"),
        train.join("step.started.json"),
    )
    .unwrap();
    let stdout = bgwas_ok(&["-q", "run", "--config", s(&config)]);
    assert_eq!(outcomes(&stdout).0, set(&["train", "report"]), "{stdout}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(train.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["parameters"]["resume"], true);
    let epochs = std::fs::read_to_string(train.join("train_log.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(epochs, 2);

    // The same study from the trained checkpoint: no training step, and the encoding with
    // that model is the one already made.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[train]\n", "[train]\ncheckpoint = \"study/train\"\n");
    let with_checkpoint = out.join("checkpoint.toml");
    std::fs::write(&with_checkpoint, text).unwrap();
    let stdout = bgwas_ok(&["-q", "run", "--config", s(&with_checkpoint)]);
    let (ran, skipped) = outcomes(&stdout);
    assert_eq!(ran, set(&["report"]), "{stdout}");
    assert_eq!(skipped.len(), 6, "{stdout}");
}

#[test]
fn malformed_configs_fail_naming_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.toml");
    let fails = |text: &str| {
        std::fs::write(&path, text).unwrap();
        let out = bgwas(&["run", "--config", s(&path)]);
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stderr).unwrap()
    };
    let data = "[data]\nimages = \"i.tsv\"\nlabels = \"l.tsv\"\nbfile = \"g\"\n\
                phenotypes = \"p.tsv\"\ncovariates = \"c.tsv\"\n";
    let e = fails(&format!("{data}[mmd]\npermutation = 10\n"));
    assert!(
        e.contains(s(&path)) && e.contains("unknown field `permutation`"),
        "{e}"
    );
    let e = fails(&format!("{data}[scan]\nmaf = \"low\"\n"));
    assert!(
        e.contains("maf = \"low\"") && e.contains("expected f64"),
        "{e}"
    );
    let e = fails(data);
    assert!(
        e.contains(&format!(
            "data.images: {} does not exist",
            s(&dir.path().join("i.tsv"))
        )),
        "{e}"
    );
    let out = bgwas(&["run", "--config", s(&dir.path().join("none.toml"))]);
    let e = String::from_utf8(out.stderr).unwrap();
    assert!(e.contains("none.toml") && e.contains("No such file"), "{e}");
}
