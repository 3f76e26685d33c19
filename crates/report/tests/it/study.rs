//! A whole study report from every kind of input: sections, files, top loci with and without
//! LD clumping, and LD r² against PLINK 1.9.

use std::path::Path;
use std::process::Command;

use biomarker_report::ld::LdSource;
use biomarker_report::study::{build, StudyInputs, StudyOptions, StudyOutputs};
use biomarker_tables::plink::{write_bim, write_fam, BedWriter, BimRecord, FamRecord};
use biomarker_tables::{
    AssocRecord, AssocTable, ComparisonRecord, ComparisonTable, FeatureTable, GwasRecord,
    MmdRecord, MmdTable, RunManifest, SampleId, TableKind,
};

use crate::common::{decode_png, peer_tool, synthetic_scan, Rng};

const N: usize = 300;
const LEAD_POS: i64 = 45_411_941;

/// Genotypes of the region: the lead, a near copy (A), an independent variant (B) and 30
/// variants increasingly noisy copies of the lead; 1% missing calls.
struct Region {
    bim: Vec<BimRecord>,
    genotypes: Vec<Vec<i8>>,
}

fn region() -> Region {
    let mut rng = Rng::new(77);
    let mut draw = |f: f64| -> i8 { i8::from(rng.uniform() < f) + i8::from(rng.uniform() < f) };
    let lead: Vec<i8> = (0..N).map(|_| draw(0.3)).collect();
    let mut rng = Rng::new(78);
    let mut variants = vec![("rs429358".to_owned(), LEAD_POS, lead.clone())];
    let near: Vec<i8> = lead
        .iter()
        .enumerate()
        .map(|(i, &g)| if i % 50 == 0 { 2 - g } else { g })
        .collect();
    variants.push(("rsA".into(), LEAD_POS + 50_000, near));
    let mut rng2 = Rng::new(79);
    variants.push((
        "rsB".into(),
        LEAD_POS - 100_000,
        (0..N)
            .map(|_| i8::from(rng2.uniform() < 0.4) + i8::from(rng2.uniform() < 0.4))
            .collect(),
    ));
    for k in 1..=30 {
        let noise = k as f64 / 31.0;
        let g: Vec<i8> = lead
            .iter()
            .map(|&g| {
                if rng.uniform() < noise {
                    i8::from(rng.uniform() < 0.3) + i8::from(rng.uniform() < 0.3)
                } else {
                    g
                }
            })
            .collect();
        variants.push((
            format!("reg{k}"),
            LEAD_POS - 190_000 + k as i64 * 13_000 + 7,
            g,
        ));
    }
    let mut rng3 = Rng::new(80);
    for (_, _, g) in &mut variants {
        for x in g.iter_mut() {
            if rng3.uniform() < 0.01 {
                *x = -1;
            }
        }
    }
    variants.sort_by_key(|v| v.1);
    let bim = variants
        .iter()
        .map(|(id, pos, _)| BimRecord {
            chrom: "19".into(),
            id: id.clone(),
            cm: 0.0,
            pos: *pos,
            alt: "C".into(),
            reference: "T".into(),
        })
        .collect();
    Region {
        bim,
        genotypes: variants.into_iter().map(|v| v.2).collect(),
    }
}

fn write_bfile(prefix: &Path, r: &Region) {
    let mut bed = BedWriter::create(&prefix.with_extension("bed"), N).unwrap();
    for g in &r.genotypes {
        bed.write_variant(g).unwrap();
    }
    bed.finish().unwrap();
    write_bim(&prefix.with_extension("bim"), &r.bim).unwrap();
    let fam: Vec<FamRecord> = (0..N)
        .map(|i| FamRecord {
            fid: format!("s{i}"),
            iid: format!("s{i}"),
            father: "0".into(),
            mother: "0".into(),
            sex: 0,
            phenotype: None,
        })
        .collect();
    write_fam(&prefix.with_extension("fam"), &fam).unwrap();
}

fn hit(pheno: &str, id: &str, pos: i64, log10p: f64) -> GwasRecord {
    GwasRecord {
        pheno: pheno.into(),
        chrom: "19".into(),
        pos,
        id: id.into(),
        reference: "T".into(),
        alt: "C".into(),
        a1: "C".into(),
        omitted: "T".into(),
        a1_freq: Some(0.3),
        model: "linear".into(),
        test: "ADD".into(),
        obs_ct: N as i64,
        beta: Some(0.4),
        se: Some(0.03),
        p: Some(10f64.powf(-log10p)),
        log10p: Some(log10p),
        ..GwasRecord::default()
    }
}

/// Writes every input of a study into `dir` and returns them.
pub fn study_inputs(dir: &Path, with_bfile: bool) -> StudyInputs {
    let r = region();
    let prefix = dir.join("geno");
    write_bfile(&prefix, &r);
    let mut ld = LdSource::open(&prefix).unwrap();
    let lead_i = ld.find("rs429358", "19", LEAD_POS).unwrap();
    // hippocampus: the lead, A, B and the noisy copies with −log10 p = 30 r² (below the
    // threshold where r² < 0.5, so distance-only merging and clumping differ only by B)
    let mut hippo = synthetic_scan("hippocampus_PC1", 20_000, 11, &[]);
    hippo
        .records
        .retain(|rec| !(rec.chrom == "19" && (rec.pos - LEAD_POS).abs() < 300_000));
    for (i, b) in r.bim.iter().enumerate() {
        let r2 = ld.r2(lead_i, i).unwrap().unwrap_or(0.0);
        let log10p = match b.id.as_str() {
            "rs429358" => 30.0,
            "rsA" => 25.0,
            "rsB" => 12.0,
            _ if r2 >= 0.5 => (30.0 * r2).min(29.0),
            _ => 5.0 * r2,
        };
        hippo
            .records
            .push(hit("hippocampus_PC1", &b.id, b.pos, log10p));
    }
    hippo.records.sort_by(|a, b| {
        biomarker_report::genome::chrom_cmp(&a.chrom, &b.chrom).then(a.pos.cmp(&b.pos))
    });
    let mut amyg = synthetic_scan("amygdala_PC1", 20_000, 12, &[]);
    amyg.records
        .push(hit("amygdala_PC1", "rs429358", LEAD_POS, 9.0));
    let mut peak6 = hit("amygdala_PC1", "rs6_peak", 32_000_000, 11.0);
    peak6.chrom = "6".into();
    amyg.records.push(peak6);
    let gwas = [dir.join("hippo.gwas.tsv"), dir.join("amyg.gwas.parquet")];
    hippo.write(&gwas[0]).unwrap();
    amyg.write(&gwas[1]).unwrap();

    let assoc = AssocTable {
        records: vec![
            AssocRecord {
                analysis: "ols".into(),
                outcome: "hippocampus_PC1".into(),
                predictor: "age".into(),
                structure: Some("hippocampus".into()),
                covariates: "sex".into(),
                n: 300,
                beta: -0.02,
                se: 0.004,
                stat: -5.0,
                p: 5.7e-7,
                r2: Some(0.08),
                ..Default::default()
            },
            AssocRecord {
                analysis: "logistic".into(),
                outcome: "AD".into(),
                predictor: "hippocampus_PC1".into(),
                structure: Some("hippocampus".into()),
                covariates: "age,sex".into(),
                n: 300,
                beta: 0.9,
                se: 0.2,
                stat: 4.5,
                p: 6.8e-6,
                odds_ratio: Some(2.46),
                auc: Some(0.74),
                auc_cv: Some(0.71),
                ci_low: Some(0.5),
                ci_high: Some(1.3),
                ..Default::default()
            },
        ],
        metadata: Default::default(),
    };
    let assoc_path = dir.join("assoc.tsv");
    assoc.write(&assoc_path).unwrap();
    let comparison = ComparisonTable {
        records: vec![ComparisonRecord {
            structure: "hippocampus".into(),
            outcome: "ad_vs_cn".into(),
            analysis: "logistic".into(),
            volume: "vol_hippocampus".into(),
            deep: "hippocampus_PC1".into(),
            covariates: "age,sex".into(),
            n: 700,
            auc_volume: Some(0.70),
            auc_deep: Some(0.76),
            auc_both: Some(0.77),
            auc_cv_deep: Some(0.7421),
            aic_volume: 800.0,
            aic_deep: 770.0,
            aic_both: 765.0,
            lr_deep_stat: 37.0,
            lr_deep_p: 1.2e-9,
            lr_volume_stat: 7.0,
            lr_volume_p: 0.008,
            better: "deep".into(),
            ..Default::default()
        }],
        metadata: Default::default(),
    };
    let comparison_path = dir.join("comparison.tsv");
    comparison.write(&comparison_path).unwrap();
    let mmd = MmdTable {
        records: vec![MmdRecord {
            structure: "hippocampus".into(),
            group_a: "AD".into(),
            group_b: "CN".into(),
            n_a: 100,
            n_b: 100,
            estimator: "unbiased".into(),
            kernel: "gaussian".into(),
            bandwidth: Some(1.2),
            statistic: 0.034,
            p_value: 0.001,
            p_adjusted: Some(0.004),
            p_fwer: Some(0.006),
            z_score: Some(4.1),
            null_method: "permutation".into(),
            permutations: Some(999),
            seed: Some(1),
        }],
        metadata: Default::default(),
    };
    let mmd_path = dir.join("mmd.tsv");
    mmd.write(&mmd_path).unwrap();

    let mut log = String::new();
    for e in 1..=10 {
        let f = f64::from(e);
        log.push_str(&format!("{{\"epoch\": {e}, \"losses\": {{\"reconstruction\": {}, \"structure\": {}, \"volume\": {}}}, \"weights\": {{\"reconstruction\": {}, \"structure\": {}, \"volume\": {}}}, \"seconds\": 1.5, \"lr\": 0.001}}\n", 1.0 / f, 2.0 / f, 0.5 / f, 1.0 + f / 50.0, 1.0 - f / 40.0, 1.0 + f / 200.0));
    }
    let log_path = dir.join("train.jsonl");
    std::fs::write(&log_path, log).unwrap();
    let grid_path = dir.join("grid.tsv");
    std::fs::write(
        &grid_path,
        "alpha\tlatent\tval_loss\n0.12\t32\t0.41\n1.5\t32\t0.33\n1.5\t64\t0.36\n",
    )
    .unwrap();
    let var_path = dir.join("variance.tsv");
    std::fs::write(&var_path, "structure\tcomponent\texplained_variance_ratio\nhippocampus\t1\t0.45\nhippocampus\t2\t0.2\namygdala\t1\t0.38\namygdala\t2\t0.22\n").unwrap();

    let mut features = FeatureTable::new(vec!["PC1".into(), "PC2".into()]);
    let mut rng = Rng::new(5);
    let dx = ["CN", "MCI", "AD"];
    let mut pheno = String::from("IID\tdiagnosis\tage\n");
    for i in 0..N {
        pheno.push_str(&format!("s{i}\t{}\t{}\n", dx[i % 3], 60 + i % 20));
        for s in ["hippocampus", "amygdala"] {
            features.push(
                SampleId::new(format!("s{i}")),
                s,
                &[rng.uniform() + (i % 3) as f64, rng.uniform()],
            );
        }
    }
    let latent_path = dir.join("pcs.tsv");
    features.write(&latent_path).unwrap();
    let pheno_path = dir.join("pheno.tsv");
    std::fs::write(&pheno_path, pheno).unwrap();

    let mut manifest = RunManifest::start(
        "0.1.0",
        "scan",
        vec!["biomarker-gwas".into(), "scan".into()],
        serde_json::json!({"pheno": "pcs.tsv"}),
    );
    manifest.timings.push(biomarker_tables::StepTiming {
        step: "scan".into(),
        seconds: 3.2,
    });
    let manifest_path = dir.join("scan.manifest.json");
    manifest.write(&manifest_path).unwrap();

    StudyInputs {
        gwas: gwas.to_vec(),
        assoc: vec![assoc_path],
        comparison: vec![comparison_path],
        mmd: vec![mmd_path],
        latent: Some(latent_path),
        latent_pca: None,
        pheno: Some(pheno_path),
        diagnosis_column: "diagnosis".into(),
        variance: Some(var_path),
        training_log: Some(log_path),
        grid: Some(grid_path),
        grid_rank: Some("val_loss".into()),
        manifests: vec![manifest_path],
        bfile: with_bfile.then_some(prefix),
    }
}

/// Builds the full study report into `out`.
pub fn full_report(dir: &Path, out: &Path, with_bfile: bool) -> StudyOutputs {
    let inputs = study_inputs(dir, with_bfile);
    std::fs::create_dir_all(out).unwrap();
    let options = StudyOptions {
        out_dir: out.to_path_buf(),
        regional_top: 3,
        ..StudyOptions::default()
    };
    let mut calls = Vec::new();
    let outputs = build(&inputs, &options, &mut |done, total, what| {
        calls.push((done, total, what.to_owned()))
    })
    .unwrap();
    let (done, total, what) = calls.last().unwrap();
    assert_eq!(
        (done, what.as_str()),
        (total, "report.html"),
        "progress must end at its total"
    );
    outputs
}

fn loci_rows(out: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(out.join("top_loci.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

#[test]
fn full_report_has_every_section_file_and_clumped_loci() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let outputs = full_report(dir.path(), &out, true);
    assert_eq!(
        outputs.sections,
        ["inputs", "training", "grid", "pca", "assoc", "mmd", "gwas", "loci"]
    );
    assert_eq!(outputs.lambda.len(), 2);
    for name in [
        "report.html",
        "training.svg",
        "training.png",
        "pca_variance.svg",
        "latent.png",
        "manhattan_hippocampus_PC1.svg",
        "qq_amygdala_PC1.png",
        "manhattan_all.svg",
        "top_loci.tsv",
        "regional_1_rs429358.png",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Deep features against volumes"),
        "no comparison table"
    );
    assert!(
        html.contains("AUC 0.7600 (CV 0.7421)"),
        "comparison row missing"
    );
    let (w, h, _) = decode_png(&std::fs::read(out.join("manhattan_all.png")).unwrap());
    assert_eq!((w, h), (1400, 480));
    // clumped: the lead (both phenotypes, A and the noisy copies in LD) and B apart; chr6
    let rows = loci_rows(&out);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(
        (rows[0][3].as_str(), rows[1][3].as_str()),
        ("rs429358", "rsB")
    );
    assert_eq!(rows[0][14], "hippocampus_PC1,amygdala_PC1");
    assert_eq!(
        (rows[2][3].as_str(), rows[2][4].as_str()),
        ("rs6_peak", "amygdala_PC1")
    );
    assert_eq!(rows[0][9], "1.00e-30");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for id in &outputs.sections {
        assert!(
            html.contains(&format!("<section id=\"{id}\"")),
            "section {id}"
        );
    }
    // 1 training + 2 PCA + 1 multi + 2×2 per phenotype + 3 regional
    assert_eq!(html.matches("<svg").count(), 11);
    assert!(
        !html.contains("<?xml"),
        "inline SVG must not carry an XML declaration"
    );
    assert!(html.contains("class=\"best\""), "best grid row highlighted");
    // the manifest of the report itself is the CLI's job; the inputs table names every file
    assert!(html.contains("geno.bed") && html.contains("scan.manifest.json"));
    let keep = crate::common::plot_dir().join("study");
    std::fs::create_dir_all(&keep).unwrap();
    for f in std::fs::read_dir(&out).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, keep.join(f.file_name().unwrap())).unwrap();
    }
}

#[test]
fn without_genotypes_loci_merge_by_distance_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    full_report(dir.path(), &out, false);
    let rows = loci_rows(&out);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        (rows[0][3].as_str(), rows[1][3].as_str()),
        ("rs429358", "rs6_peak")
    );
    // B (100 kb from the lead, not in LD with it) now belongs to the lead's locus
    let clumped_dir = tempfile::tempdir().unwrap();
    let clumped_out = clumped_dir.path().join("report");
    full_report(clumped_dir.path(), &clumped_out, true);
    let clumped = loci_rows(&clumped_out);
    let n_hits = |r: &Vec<String>| r[13].parse::<usize>().unwrap();
    assert_eq!(n_hits(&rows[0]), n_hits(&clumped[0]) + 1);
    assert_eq!(clumped[1][3], "rsB");
}

#[test]
fn ld_r2_matches_plink_1_9() {
    let Some(plink) = peer_tool("plink1.9") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let r = region();
    let prefix = dir.path().join("geno");
    write_bfile(&prefix, &r);
    let out = dir.path().join("ld");
    let run = Command::new(plink)
        .args([
            "--bfile",
            prefix.to_str().unwrap(),
            "--r2",
            "--ld-window",
            "99999",
            "--ld-window-kb",
            "100000",
            "--ld-window-r2",
            "0",
            "--allow-no-sex",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    let text = std::fs::read_to_string(out.with_extension("ld")).unwrap();
    let mut ld = LdSource::open(&prefix).unwrap();
    let (mut n, mut max_abs) = (0, 0.0f64);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (a, b) = (
            ld.find(f[2], "19", 0).unwrap(),
            ld.find(f[5], "19", 0).unwrap(),
        );
        let want: f64 = f[6].parse().unwrap();
        let got = ld.r2(a, b).unwrap().unwrap();
        max_abs = max_abs.max((got - want).abs());
        n += 1;
    }
    assert_eq!(n, 33 * 32 / 2);
    // PLINK prints 6 significant digits
    assert!(max_abs < 5e-6, "max |r² − PLINK 1.9| = {max_abs}");
    eprintln!("LD r²: {n} pairs, max |diff| vs PLINK 1.9 = {max_abs:e}");
}

#[test]
fn latent_pca_and_tsne_views_sit_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let mut pheno = String::from("IID\tdx\n");
    let mut pcs = FeatureTable::new(vec!["PC1".into(), "PC2".into()]);
    let mut tsne = FeatureTable::new(vec!["tsne_1".into(), "tsne_2".into()]);
    let mut rng = Rng::new(9);
    for i in 0..30 {
        pheno.push_str(&format!("s{i}\t{}\n", ["CN", "AD"][i % 2]));
        for s in ["ball", "box"] {
            let id = SampleId::new(format!("s{i}"));
            pcs.push(
                id.clone(),
                s,
                &[rng.uniform() + (i % 2) as f64, rng.uniform()],
            );
            tsne.push(id, s, &[rng.uniform(), rng.uniform() - (i % 2) as f64]);
        }
    }
    let (pca_path, tsne_path, pheno_path) = (
        dir.path().join("pca.tsv"),
        dir.path().join("tsne.tsv"),
        dir.path().join("pheno.tsv"),
    );
    pcs.write(&pca_path).unwrap();
    tsne.write(&tsne_path).unwrap();
    std::fs::write(&pheno_path, pheno).unwrap();
    let out = dir.path().join("report");
    std::fs::create_dir_all(&out).unwrap();
    let inputs = StudyInputs {
        latent: Some(tsne_path),
        latent_pca: Some(pca_path),
        pheno: Some(pheno_path),
        diagnosis_column: "dx".into(),
        ..StudyInputs::default()
    };
    let options = StudyOptions {
        out_dir: out.clone(),
        png: false,
        ..StudyOptions::default()
    };
    let outputs = build(&inputs, &options, &mut |_, _, _| {}).unwrap();
    assert_eq!(outputs.sections, ["inputs", "pca"]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let pair = &html[html
        .find("<div class=\"pair\" data-figure=\"latent\">")
        .unwrap()..];
    let pair = &pair[..pair.find("</div>").unwrap()];
    let pca_at = pair.find("data-view=\"pca\"").expect("PCA view");
    let tsne_at = pair.find("data-view=\"latent\"").expect("t-SNE view");
    assert!(pca_at < tsne_at);
    assert_eq!(pair.matches("<svg").count(), 2);
    assert!(pair.contains("Latent space, PCA: the first two principal components"));
    assert!(pair.contains("Latent space, t-SNE of each structure"));
    assert!(pair.contains("coloured by dx"));
    for (file, axis) in [("latent_pca.svg", "PC2"), ("latent.svg", "tsne_2")] {
        let svg = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(svg.contains("width=\"720\""), "{file}: half width");
        assert!(svg.contains(axis), "{file}: axis {axis}");
        // Both panels and a point per subject and structure.
        assert!(
            svg.contains("\nball\n</text>") && svg.contains("\nbox\n</text>"),
            "{file}"
        );
        assert_eq!(svg.matches("<circle").count(), 2 * 30 + 2, "{file}");
    }
    // Either view alone needs the phenotypes.
    let inputs = StudyInputs {
        latent_pca: inputs.latent_pca.clone(),
        ..StudyInputs::default()
    };
    let err = build(&inputs, &options, &mut |_, _, _| {}).unwrap_err();
    assert!(err.to_string().contains("--pheno"), "{err}");
}
