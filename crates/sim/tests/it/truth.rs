//! The simulated truth is present in the data, checked from the files alone (the .bed is
//! decoded independently of the simulator's own genotype code).

use std::collections::HashMap;

use biomarker_sim::{files, SimConfig};
use biomarker_tables::plink::{decode_alt_counts, Fileset};
use biomarker_tables::{PhenoTable, PhenoValues};
use nifti::{IntoNdArray, NiftiObject, ReaderOptions};

fn numeric(table: &PhenoTable, name: &str) -> Vec<Option<f64>> {
    match &table
        .column(name)
        .unwrap_or_else(|| panic!("column {name}"))
        .values
    {
        PhenoValues::Numeric(v) => v.clone(),
        PhenoValues::Categorical(_) => panic!("{name} is categorical"),
    }
}

fn alt_counts(set: &Fileset, variant: usize) -> Vec<i8> {
    let mut packed = Vec::new();
    set.bed.read_packed(variant, 1, &mut packed).unwrap();
    let mut out = vec![0; set.samples.len()];
    decode_alt_counts(&packed, &mut out);
    out
}

/// Pearson correlation over pairs where both are present.
fn corr(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    sxy / (sxx * syy).sqrt()
}

struct Cohort {
    _dir: tempfile::TempDir,
    set: Fileset,
    truth: serde_json::Value,
    pheno: PhenoTable,
    covar: PhenoTable,
}

fn cohort() -> Cohort {
    let config = SimConfig {
        samples: 1000,
        variants: 2_000,
        seed: 5,
        size: 32,
        ..SimConfig::default()
    };
    let (dir, root) = crate::run(&config);
    let set = Fileset::open(&root.join(files::PLINK_PREFIX)).unwrap();
    let truth =
        serde_json::from_str(&std::fs::read_to_string(root.join(files::TRUTH)).unwrap()).unwrap();
    let pheno = PhenoTable::read(&root.join(files::PHENOTYPES)).unwrap();
    let covar = PhenoTable::read(&root.join(files::COVARIATES)).unwrap();
    Cohort {
        _dir: dir,
        set,
        truth,
        pheno,
        covar,
    }
}

#[test]
fn simulated_truth_is_in_the_data() {
    let c = cohort();
    let n = c.set.samples.len();
    let variants = c.set.read_variants().unwrap();
    let index: HashMap<&str, usize> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id.as_str(), i))
        .collect();

    // Planted causal variants: frequency within 4 SE of the truth; volume variants move the
    // log volume of their structures with |t| > 5 and the sign of the truth.
    let causal = c.truth["causal"].as_array().unwrap();
    assert_eq!(causal.len(), 6);
    for cv in causal {
        let id = cv["id"].as_str().unwrap();
        let g = alt_counts(&c.set, index[id]);
        assert_eq!(
            variants[index[id]].alt,
            cv["effect_allele"].as_str().unwrap()
        );
        let called: Vec<f64> = g.iter().filter(|&&x| x >= 0).map(|&x| x as f64).collect();
        let freq = called.iter().sum::<f64>() / (2 * called.len()) as f64;
        let p = cv["effect_allele_freq"].as_f64().unwrap();
        assert!(
            (freq - p).abs() < 4.0 * (p * (1.0 - p) / (2 * n) as f64).sqrt(),
            "{id}: {freq} vs {p}"
        );
        if cv["effect"] == "volume" {
            let beta = cv["beta_log_volume"].as_f64().unwrap();
            for s in cv["structures"].as_array().unwrap() {
                let vol = numeric(&c.pheno, &format!("vol_{}", s.as_str().unwrap()));
                let (x, y): (Vec<f64>, Vec<f64>) = g
                    .iter()
                    .zip(&vol)
                    .filter(|(g, _)| **g >= 0)
                    .map(|(g, v)| (*g as f64, v.unwrap().ln()))
                    .unzip();
                let r = corr(&x, &y);
                let t = r * ((x.len() - 2) as f64 / (1.0 - r * r)).sqrt();
                assert!(
                    t.abs() > 5.0 && t.signum() == beta.signum(),
                    "{id} on {s}: t = {t}, beta = {beta}"
                );
            }
        }
    }

    // APOE: ε4 allele frequency ≈ 0.14 and AD prevalence rises with ε4 dose and with age.
    let e4 = alt_counts(&c.set, index["rs429358"]);
    let called: Vec<i8> = e4.iter().copied().filter(|&x| x >= 0).collect();
    let e4_freq = called.iter().map(|&x| x as f64).sum::<f64>() / (2 * called.len()) as f64;
    assert!((e4_freq - 0.14).abs() < 0.025, "ε4 frequency {e4_freq}");
    let diagnosis = match &c.pheno.column("diagnosis").unwrap().values {
        PhenoValues::Categorical(v) => v.clone(),
        PhenoValues::Numeric(_) => panic!("diagnosis is categorical"),
    };
    let is_ad: Vec<bool> = diagnosis
        .iter()
        .map(|d| d.as_deref() == Some("AD"))
        .collect();
    let prevalence = |keep: &dyn Fn(usize) -> bool| {
        let idx: Vec<usize> = (0..n).filter(|&i| keep(i)).collect();
        idx.iter().filter(|&&i| is_ad[i]).count() as f64 / idx.len() as f64
    };
    let (non_carriers, carriers) = (prevalence(&|i| e4[i] == 0), prevalence(&|i| e4[i] > 0));
    assert!(
        carriers > 1.5 * non_carriers,
        "AD prevalence: carriers {carriers}, non-carriers {non_carriers}"
    );
    let age = numeric(&c.covar, "age");
    let (young, old) = (
        prevalence(&|i| age[i].unwrap() < 70.0),
        prevalence(&|i| age[i].unwrap() >= 70.0),
    );
    assert!(old > 1.5 * young, "AD prevalence: ≥70 {old}, <70 {young}");

    // ~1% missing calls over the whole .bed.
    let mut missing = 0usize;
    for v in 0..c.set.n_variants() {
        missing += alt_counts(&c.set, v).iter().filter(|&&x| x < 0).count();
    }
    let rate = missing as f64 / (n * c.set.n_variants()) as f64;
    assert!((0.009..0.011).contains(&rate), "missing rate {rate}");

    // LD: neighbours on a chromosome correlate far more than distant pairs.
    let dosage = |v: usize| {
        alt_counts(&c.set, v)
            .iter()
            .map(|&x| x.max(0) as f64)
            .collect::<Vec<_>>()
    };
    let (mut near, mut far) = (Vec::new(), Vec::new());
    for v in (0..1_900).step_by(10) {
        if variants[v].chrom == variants[v + 1].chrom {
            near.push(corr(&dosage(v), &dosage(v + 1)).powi(2));
        }
        far.push(corr(&dosage(v), &dosage((v + 997) % 2_000)).powi(2));
    }
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    assert!(
        mean(&near) > 0.08 && mean(&far) < 0.01,
        "mean r²: neighbours {}, distant {}",
        mean(&near),
        mean(&far)
    );
}

#[test]
fn volume_table_matches_the_label_maps_exactly() {
    let config = SimConfig {
        samples: 25,
        variants: 200,
        seed: 9,
        size: 32,
        ..SimConfig::default()
    };
    let (_dir, root) = crate::run(&config);
    let pheno = PhenoTable::read(&root.join(files::PHENOTYPES)).unwrap();
    let labels: Vec<(u8, String)> = std::fs::read_to_string(root.join(files::LABELS))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap();
            (a.parse().unwrap(), b.to_owned())
        })
        .collect();
    assert_eq!(labels.len(), 13);
    let images = std::fs::read_to_string(root.join(files::IMAGES)).unwrap();
    for (row, line) in images.lines().skip(1).enumerate() {
        let (iid, rel) = line.split_once('\t').unwrap();
        assert_eq!(pheno.samples[row].iid, iid);
        let object = ReaderOptions::new().read_file(root.join(rel)).unwrap();
        let header = object.header().clone();
        assert_eq!(header.pixdim[1..4], [5.625, 5.625, 5.625]);
        assert_eq!(header.srow_x, [5.625, 0.0, 0.0, -87.1875]);
        assert_eq!((header.sform_code, header.xyzt_units), (2, 2));
        let data = object.into_volume().into_ndarray::<u8>().unwrap();
        assert_eq!(data.shape(), &[32, 32, 32]);
        let voxel = (header.pixdim[1] as f64).powi(3);
        for (label, name) in &labels {
            let count = data.iter().filter(|&&v| v == *label).count();
            let table = numeric(&pheno, &format!("vol_{name}"))[row].unwrap();
            assert_eq!(count as f64 * voxel, table, "{iid} {name}");
            assert!(count > 0, "{iid}: {name} is empty");
        }
    }
}
