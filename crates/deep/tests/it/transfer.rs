//! Transfer learning: classifier metrics against scikit-learn, encoder initialisation from a
//! trained model, and that freezing really freezes.

use biomarker_deep::aux_tasks::{select_aux, spearman, AuxColumn, AuxHead, AuxKind};
use biomarker_deep::class_metrics::class_metrics;
use biomarker_deep::data::Split;
use biomarker_deep::model::Model;
use biomarker_deep::optim::AdamWConfig;
use biomarker_deep::transfer::{
    class_labels, init_encoder, is_encoder_param, labelled_items, TransferConfig, TransferTrainer,
};
use biomarker_tables::PhenoValues;
use candle_core::Device;

use crate::common::{toy_dataset, values};
use crate::train::tiny_config;

#[derive(serde::Deserialize)]
struct MetricsCase {
    probs: Vec<Vec<f64>>,
    labels: Vec<u32>,
    auc: f64,
    accuracy: f64,
    sensitivity: f64,
    specificity: f64,
}

/// scripts/class_metrics_fixtures.py: scikit-learn's roc_auc_score (binary and multiclass
/// one-vs-rest macro, with ties), accuracy and confusion-matrix sensitivity/specificity.
#[test]
fn classifier_metrics_match_scikit_learn() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/class_metrics.json"
    ))
    .unwrap();
    let cases: Vec<MetricsCase> = serde_json::from_str(&text).unwrap();
    assert_eq!(cases.len(), 2);
    for c in cases {
        let m = class_metrics(&c.probs, &c.labels);
        assert_eq!(m.n, c.labels.len());
        for (name, got, want) in [
            ("auc", m.auc, c.auc),
            ("accuracy", m.accuracy, c.accuracy),
            ("sensitivity", m.sensitivity, c.sensitivity),
            ("specificity", m.specificity, c.specificity),
        ] {
            assert!(
                (got - want).abs() < 1e-12,
                "{name}: {got} vs scikit-learn {want}"
            );
        }
    }
}

#[test]
fn phenotype_columns_become_classes() {
    let (c, names) = class_labels(
        &PhenoValues::Numeric(vec![Some(2.0), Some(1.0), None, Some(2.0)]),
        "ad",
    )
    .unwrap();
    assert_eq!(c, vec![Some(1), Some(0), None, Some(1)]);
    assert_eq!(names, vec!["1", "2"]);
    let (c, names) = class_labels(
        &PhenoValues::Categorical(vec![
            Some("MCI".into()),
            Some("AD".into()),
            Some("CN".into()),
        ]),
        "diagnosis",
    )
    .unwrap();
    assert_eq!(c, vec![Some(2), Some(0), Some(1)]);
    assert_eq!(names, vec!["AD", "CN", "MCI"]);
    let err = class_labels(&PhenoValues::Numeric(vec![Some(1.0); 3]), "flat").unwrap_err();
    assert!(err.to_string().contains("\"flat\""), "{err}");
    let many = PhenoValues::Numeric((0..30).map(|i| Some(f64::from(i))).collect());
    assert!(class_labels(&many, "age").is_err());
}

/// Subjects whose ball (structure 0) is larger than the median are class 1.
fn ball_classes(data: &biomarker_deep::data::Dataset) -> Vec<Option<u32>> {
    let vols: Vec<f64> = (0..data.len())
        .filter(|&i| data.item_structure[i] == 0)
        .map(|i| data.item_volume[i])
        .collect();
    let mut sorted = vols.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    vols.iter().map(|&v| Some(u32::from(v >= median))).collect()
}

#[test]
fn init_encoder_copies_only_the_encoder() {
    let config = tiny_config(biomarker_deep::balance::BalanceConfig::Equal).model;
    let source = Model::new(config.clone(), &Device::Cpu, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    source.params.save(&path).unwrap();
    let target = Model::new(config, &Device::Cpu, 2).unwrap();
    let n = init_encoder(&target, &path).unwrap();
    assert_eq!(
        n,
        target
            .params
            .names()
            .iter()
            .filter(|n| is_encoder_param(n))
            .count()
    );
    assert!(n >= 6);
    for (name, var) in target.params.iter() {
        let same = values(var.as_tensor()) == values(source.params.var(name).unwrap().as_tensor());
        assert_eq!(same, is_encoder_param(name), "{name}");
    }
    // A model of another width is refused with the file named.
    let mut other = tiny_config(biomarker_deep::balance::BalanceConfig::Equal).model;
    other.bottleneck = 5;
    let wrong = Model::new(other, &Device::Cpu, 3).unwrap();
    let err = init_encoder(&wrong, &path).unwrap_err().to_string();
    assert!(
        err.contains("model.safetensors") && err.contains("bottleneck"),
        "{err}"
    );
}

#[test]
fn freezing_really_freezes_then_fine_tuning_moves_the_encoder() {
    let data = toy_dataset(12, 4);
    let classes = ball_classes(&data);
    let split = data.split(0.25, 0.0, 3).unwrap();
    let model = Model::new(
        tiny_config(biomarker_deep::balance::BalanceConfig::Equal).model,
        &Device::Cpu,
        5,
    )
    .unwrap();
    let config = TransferConfig {
        hidden: 8,
        freeze_epochs: 2,
        epochs: 12,
        encoder_lr_factor: 0.1,
        optimizer: AdamWConfig {
            lr: 1e-2,
            ..AdamWConfig::default()
        },
        batch_size: 6,
        seed: 9,
    };
    let mut trainer = TransferTrainer::new(config, model, 2).unwrap();
    let snapshot = |store: &biomarker_deep::params::ParamStore| -> Vec<(String, Vec<f64>)> {
        store
            .iter()
            .map(|(n, v)| (n.to_string(), values(v.as_tensor())))
            .collect()
    };
    let model0 = snapshot(&trainer.model.params);
    let head0 = snapshot(&trainer.head.params);
    let train = labelled_items(&data, &split, Split::Train, &classes);
    let mut losses = Vec::new();
    for epoch in 1..=2 {
        assert!(trainer.frozen(epoch));
        losses.push(
            trainer
                .epoch(epoch, &data, &train, &classes, |_| {})
                .unwrap(),
        );
    }
    // Bit-identical encoder (and everything else of the model) after the frozen epochs.
    assert_eq!(snapshot(&trainer.model.params), model0);
    let head2 = snapshot(&trainer.head.params);
    assert!(
        head2.iter().zip(&head0).all(|(a, b)| a.1 != b.1),
        "every head tensor moves"
    );
    for epoch in 3..=12 {
        assert!(!trainer.frozen(epoch));
        losses.push(
            trainer
                .epoch(epoch, &data, &train, &classes, |_| {})
                .unwrap(),
        );
    }
    let model12 = snapshot(&trainer.model.params);
    for ((name, after), (_, before)) in model12.iter().zip(&model0) {
        // Fine-tuning moves the encoder; the decoder and the other heads are not trained.
        assert_eq!(after != before, is_encoder_param(name), "{name}");
    }
    assert!(
        losses[11] < 0.8 * losses[0],
        "the head learns the size classes: {losses:?}"
    );
    let m = trainer.evaluate(&data, &train, &classes).unwrap();
    assert_eq!(m.n, 9);
    assert!(m.auc > 0.7, "training AUC {}", m.auc);
}

#[derive(serde::Deserialize)]
struct SpearmanCase {
    x: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
    p: f64,
}

/// scripts/spearman_fixtures.py: scipy.stats.spearmanr on samples with and without ties.
#[test]
fn spearman_matches_scipy() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/spearman.json"
    ))
    .unwrap();
    let cases: Vec<SpearmanCase> = serde_json::from_str(&text).unwrap();
    let mut worst_p: f64 = 0.0;
    for c in &cases {
        let s = spearman(&c.x, &c.y);
        assert_eq!(s.n, c.x.len());
        assert!((s.rho - c.rho).abs() < 1e-12, "rho {} vs {}", s.rho, c.rho);
        worst_p = worst_p.max((s.p - c.p).abs() / c.p);
    }
    assert!(worst_p < 1e-9, "largest relative p difference {worst_p}");
}

/// A column that follows the main class is kept with weight |ρ|; one unrelated to it is
/// dropped; the kept head trains beside the main head and feeds it.
#[test]
fn spearman_selection_drops_an_unrelated_column() {
    let data = toy_dataset(24, 6);
    let classes = ball_classes(&data);
    let subjects: Vec<usize> = (0..data.subjects.len()).collect();
    let volume = |structure: u32| -> Vec<Option<f64>> {
        (0..data.len())
            .filter(|&i| data.item_structure[i] == structure)
            .map(|i| Some(data.item_volume[i]))
            .collect()
    };
    let rows: Vec<Option<usize>> = subjects.iter().map(|&s| Some(s)).collect();
    // The ball's own volume (regression head) and the independent box size (3 sizes:
    // classification head).
    let related = AuxColumn::from_pheno(
        "ball_volume",
        &PhenoValues::Numeric(volume(0)),
        &rows,
        &subjects,
    )
    .unwrap();
    let unrelated = AuxColumn::from_pheno(
        "box_volume",
        &PhenoValues::Numeric(volume(1)),
        &rows,
        &subjects,
    )
    .unwrap();
    assert!(matches!(related.kind, AuxKind::Regress { .. }));
    assert!(matches!(unrelated.kind, AuxKind::Classify { classes: 3 }));
    let sel = select_aux(&classes, &[related.clone(), unrelated], &subjects);
    assert!(sel[0].kept && sel[0].spearman.p < 0.05, "{:?}", sel[0]);
    assert!((sel[0].weight - sel[0].spearman.rho.abs()).abs() < 1e-15);
    assert!(!sel[1].kept && sel[1].spearman.p >= 0.05, "{:?}", sel[1]);
    assert_eq!(sel[1].weight, 0.0);

    let model = Model::new(
        tiny_config(biomarker_deep::balance::BalanceConfig::Equal).model,
        &Device::Cpu,
        5,
    )
    .unwrap();
    let head = AuxHead::new(related, sel[0].weight, 8, 8, &Device::Cpu, 3).unwrap();
    let config = TransferConfig {
        hidden: 8,
        freeze_epochs: 0,
        epochs: 2,
        encoder_lr_factor: 1.0,
        optimizer: AdamWConfig::default(),
        batch_size: 8,
        seed: 1,
    };
    let mut trainer = TransferTrainer::with_aux(config, model, 2, vec![head], true).unwrap();
    let aux0 = values(trainer.aux[0].params.iter().next().unwrap().1.as_tensor());
    let items: Vec<usize> = (0..data.len()).collect();
    let loss = trainer.epoch(1, &data, &items, &classes, |_| {}).unwrap();
    assert!(loss.is_finite());
    let aux1 = values(trainer.aux[0].params.iter().next().unwrap().1.as_tensor());
    assert_ne!(aux0, aux1, "the auxiliary head learns");
    let z = trainer
        .model
        .encode(
            &data
                .batch(&items[..4], &data.volume_scaler(&items), &Device::Cpu)
                .unwrap()
                .x,
        )
        .unwrap();
    let (logits, outs) = trainer.heads(&z).unwrap();
    assert_eq!(logits.dims(), &[4, 2]);
    assert_eq!(outs[0].dims(), &[4, 1]);
    // The main head's first layer reads 8 bottleneck values + 1 fed prediction.
    let w = trainer.head.params.var("head.0.weight").unwrap();
    assert_eq!(w.dims(), &[8, 9]);
}
