//! The model variants: convex weighting, the L1 sparsity penalty with its activation
//! histogram, and the segmentation losses (against reference values and finite differences).

use biomarker_deep::balance::{BalanceConfig, Task};
use biomarker_deep::loss::{recon_loss, ReconLoss};
use biomarker_deep::seg_loss::{dice_tpr_loss, generalized_dice_loss};
use biomarker_deep::train::{Gradients, Trainer};
use biomarker_deep::variants::l1_penalty;
use candle_core::{Device, Tensor};

use crate::common::{
    assert_gradients_match, assert_steps_reduce_every_loss, check_gradients, max_abs_diff,
    rand_tensor, toy_dataset, values, whole_batch,
};
use crate::train::tiny_config;

#[derive(serde::Deserialize)]
struct SegFixture {
    shape: Vec<usize>,
    logits: Vec<f64>,
    target: Vec<f64>,
    generalized_dice: f64,
    dice_tpr: f64,
}

/// Reference values from scripts/seg_loss_fixtures.py (MONAI's generalised Dice algorithm,
/// re-traced in numpy), including an empty mask.
#[test]
fn segmentation_losses_match_the_reference() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/seg_loss.json"
    ))
    .unwrap();
    let f: SegFixture = serde_json::from_str(&text).unwrap();
    let logits = Tensor::from_vec(f.logits, f.shape.clone(), &Device::Cpu).unwrap();
    let target = Tensor::from_vec(f.target, f.shape, &Device::Cpu).unwrap();
    for (kind, want) in [
        (ReconLoss::GeneralizedDice, f.generalized_dice),
        (ReconLoss::DiceTpr, f.dice_tpr),
    ] {
        let got = recon_loss(kind, &logits, &target)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap();
        assert!(
            (got - want).abs() < 1e-12,
            "{kind:?}: {got} vs reference {want}"
        );
    }
    // f32, as in training.
    let l32 = logits.to_dtype(candle_core::DType::F32).unwrap();
    let t32 = target.to_dtype(candle_core::DType::F32).unwrap();
    let got = generalized_dice_loss(&l32, &t32).unwrap();
    assert!((values(&got)[0] - f.generalized_dice).abs() < 1e-5);
}

#[test]
fn segmentation_loss_gradients_match_finite_differences() {
    let logits = rand_tensor(&[2, 1, 2, 2, 2], 11, &Device::Cpu)
        .affine(3.0, 0.0)
        .unwrap();
    let target = Tensor::from_vec(
        vec![
            1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, //
            0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0,
        ],
        vec![2, 1, 2, 2, 2],
        &Device::Cpu,
    )
    .unwrap();
    check_gradients(
        std::slice::from_ref(&logits),
        |x| generalized_dice_loss(&x[0], &target).unwrap(),
        1e-6,
    );
    check_gradients(
        std::slice::from_ref(&logits),
        |x| dice_tpr_loss(&x[0], &target).unwrap(),
        1e-6,
    );
    check_gradients(
        &[rand_tensor(&[3, 4], 12, &Device::Cpu)],
        |x| l1_penalty(&x[0]).unwrap(),
        1e-6,
    );
}

/// With an L1 penalty the split gradient path still equals a plain backward of
/// Σ wᵢLᵢ + λ·penalty(z).
#[test]
fn l1_gradients_equal_the_penalised_loss_gradient() {
    let data = toy_dataset(4, 1);
    let mut config = tiny_config(BalanceConfig::Equal);
    config.variants.l1 = 0.05;
    let trainer = Trainer::new(config, &Device::Cpu).unwrap();
    let batch = whole_batch(&data, &Device::Cpu);
    let w = [0.7, 1.3, 0.4];
    let Gradients { grads, .. } = trainer.gradients(&batch, &w).unwrap();
    let z = trainer.model.encode(&batch.x).unwrap();
    let mut total = l1_penalty(&z).unwrap().affine(0.05, 0.0).unwrap();
    for (i, task) in Task::ALL.iter().enumerate() {
        let l = trainer.task_loss(*task, &z, &batch).unwrap();
        total = (total + l.affine(w[i], 0.0).unwrap()).unwrap();
    }
    let store = total.backward().unwrap();
    assert_gradients_match(&trainer.model.params, &store, &grads);
}

/// A strong L1 penalty shrinks the bottleneck activations (seen in the histogram) compared
/// with the same run without it; convex weights stay α, (1−α)/2, (1−α)/2.
#[test]
fn l1_shrinks_activations_and_convex_weights_hold() {
    let data = toy_dataset(4, 2);
    let items: Vec<usize> = (0..data.len()).collect();
    let scaler = data.volume_scaler(&items);
    let batch = data.batch(&items, &scaler, &Device::Cpu).unwrap();
    let mut mean_abs = Vec::new();
    for l1 in [0.0, 0.5] {
        let mut config = tiny_config(BalanceConfig::Convex { alpha: 0.6 });
        config.variants.l1 = l1;
        let mut trainer = Trainer::new(config, &Device::Cpu).unwrap();
        for _ in 0..30 {
            let r = trainer.step(&batch).unwrap();
            assert!(max_abs_diff(&r.weights, &[0.6, 0.2, 0.2]) < 1e-15);
        }
        let ev = trainer.evaluate(&data, &items, &scaler).unwrap();
        let h = ev.bottleneck.expect("histogram");
        assert_eq!(h.counts.iter().sum::<u64>() as usize, items.len() * 8);
        assert_eq!(ev.dice_by_structure.len(), 2);
        assert!(ev
            .dice_by_structure
            .values()
            .all(|d| (0.0..=1.0).contains(d)));
        let mean: f64 = ev.dice_by_structure.values().sum::<f64>() / 2.0;
        assert!((mean - ev.dice).abs() < 1e-12, "equal items per structure");
        mean_abs.push(h.mean_abs);
    }
    assert!(
        mean_abs[1] < 0.5 * mean_abs[0],
        "mean |z| without and with L1: {mean_abs:?}"
    );
}

fn residual_config(dropout: f64) -> biomarker_deep::train::TrainConfig {
    let mut config = tiny_config(BalanceConfig::Equal);
    config.model.architecture = biomarker_deep::residual::Architecture::StridedResidual;
    config.model.dropout = dropout;
    config
}

#[test]
fn residual_concat_gradients_match_finite_differences() {
    use biomarker_deep::layers::Conv3d;
    use biomarker_deep::residual::residual_concat;
    let inputs = [
        rand_tensor(&[1, 2, 3, 3, 3], 21, &Device::Cpu),
        rand_tensor(&[2, 2, 3, 3, 3], 22, &Device::Cpu)
            .affine(0.5, 0.0)
            .unwrap(),
        rand_tensor(&[2], 23, &Device::Cpu),
    ];
    check_gradients(
        &inputs,
        |t| {
            let res = Conv3d {
                weight: t[1].clone(),
                bias: t[2].clone(),
                padding: 1,
                stride: 1,
            };
            residual_concat(&t[0], &res).unwrap()
        },
        1e-6,
    );
}

/// Shapes, parameters and dropout of the strided residual variant: off outside training
/// steps, seeded inside them; the split gradient path still equals a plain backward.
#[test]
fn strided_residual_shapes_dropout_and_gradients() {
    let data = toy_dataset(4, 1);
    let config = residual_config(0.2);
    let trainer = Trainer::new(config, &Device::Cpu).unwrap();
    let names = trainer.model.params.names().to_vec();
    for n in [
        "enc.res.0.weight",
        "enc.res.1.weight",
        "dec.res.0.weight",
        "dec.res.1.weight",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
    // Encoder level 0 is strided: 16³ → 8³, 4 + 4 concatenated channels.
    assert_eq!(
        trainer.model.params.var("enc.0.weight").unwrap().dims(),
        &[4, 1, 3, 3, 3]
    );
    assert_eq!(
        trainer.model.params.var("enc.1.weight").unwrap().dims(),
        &[8, 8, 3, 3, 3]
    );
    let batch = whole_batch(&data, &Device::Cpu);
    let out = trainer.model.forward(&batch.x).unwrap();
    assert_eq!(out.z.dims(), &[8, 8]);
    assert_eq!(out.recon_logits.dims(), &[8, 1, 16, 16, 16]);
    assert_eq!(out.class_logits.dims(), &[8, 2]);
    // Off: deterministic. On: seeded, different from off.
    let z_off = values(&trainer.model.encode(&batch.x).unwrap());
    assert_eq!(values(&out.z), z_off);
    trainer.model.dropout.set(Some(5));
    let z_a = values(&trainer.model.encode(&batch.x).unwrap());
    trainer.model.dropout.set(Some(5));
    let z_b = values(&trainer.model.encode(&batch.x).unwrap());
    trainer.model.dropout.set(None);
    assert_eq!(z_a, z_b);
    assert_ne!(z_a, z_off);

    // Split gradients under the same dropout masks equal the plain backward.
    let w = [0.7, 1.3, 0.4];
    trainer.model.dropout.set(Some(9));
    let Gradients { grads, .. } = trainer.gradients(&batch, &w).unwrap();
    trainer.model.dropout.set(Some(9));
    let z = trainer.model.encode(&batch.x).unwrap();
    let mut total: Option<Tensor> = None;
    for (i, task) in Task::ALL.iter().enumerate() {
        let l = trainer
            .task_loss(*task, &z, &batch)
            .unwrap()
            .affine(w[i], 0.0)
            .unwrap();
        total = Some(match total {
            None => l,
            Some(t) => (t + l).unwrap(),
        });
    }
    trainer.model.dropout.set(None);
    let store = total.unwrap().backward().unwrap();
    assert_gradients_match(&trainer.model.params, &store, &grads);
}

#[test]
fn dropout_zeroes_the_asked_fraction_and_rescales() {
    use rand::SeedableRng;
    let x = Tensor::ones(&[100, 100], candle_core::DType::F32, &Device::Cpu).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let y = biomarker_deep::residual::dropout(&x, 0.2, &mut rng).unwrap();
    let v = values(&y);
    let zeros = v.iter().filter(|&&a| a == 0.0).count() as f64 / v.len() as f64;
    assert!((zeros - 0.2).abs() < 0.02, "zero fraction {zeros}");
    assert!(v.iter().all(|&a| a == 0.0 || (a - 1.25).abs() < 1e-6));
}

#[test]
fn strided_residual_training_reduces_every_loss() {
    let data = toy_dataset(4, 2);
    let batch = whole_batch(&data, &Device::Cpu);
    let mut trainer = Trainer::new(residual_config(0.1), &Device::Cpu).unwrap();
    assert_steps_reduce_every_loss(&mut trainer, &batch, 40, "strided residual");
}

/// Dropout masks derive from the seed and step, so a killed and resumed residual run ends
/// with the same weights as an uninterrupted one.
#[test]
fn strided_residual_resume_is_exact() {
    let data = toy_dataset(6, 3);
    let split = data.split(0.2, 0.0, 5).unwrap();
    let mut config = residual_config(0.3);
    config.epochs = 2;
    let run = |dir: &std::path::Path, resume: bool, max: Option<usize>| {
        crate::train::fit_in(&config, &data, &split, dir, resume, max).unwrap()
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let full = run(a.path(), false, None);
    run(b.path(), false, Some(1));
    let resumed = run(b.path(), true, None);
    for (name, var) in full.trainer.model.params.iter() {
        let other = resumed.trainer.model.params.var(name).unwrap();
        assert_eq!(values(var.as_tensor()), values(other.as_tensor()), "{name}");
    }
}
