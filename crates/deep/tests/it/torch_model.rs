//! The whole model against PyTorch 2.9 (fixture made by scripts/torch-model.py): the forward
//! pass, the three task losses, every parameter's gradient and one AdamW step, from the same
//! weights and inputs, on every compiled device.

use std::collections::HashMap;

use biomarker_deep::balance::{BalanceConfig, Task};
use biomarker_deep::data::Batch;
use biomarker_deep::loss::ReconLoss;
use biomarker_deep::model::ModelConfig;
use biomarker_deep::optim::AdamWConfig;
use biomarker_deep::test_device;
use biomarker_deep::train::{TrainConfig, Trainer};
use candle_core::{DType, Device, Tensor};

use crate::common::{fixture_path, max_abs_diff, values};

fn setup(device: &Device) -> (Trainer, HashMap<String, Tensor>, Batch) {
    let path = fixture_path("torch_model.safetensors");
    let fx = candle_core::safetensors::load(&path, device).unwrap();
    let mut model = ModelConfig::new(16, 2);
    model.feature_maps = vec![4, 8];
    model.bottleneck = 8;
    model.head_hidden = 8;
    let config = TrainConfig {
        model,
        tasks: Task::ALL.to_vec(),
        balance: BalanceConfig::Equal,
        recon_loss: ReconLoss::Bce,
        optimizer: AdamWConfig {
            lr: 1e-3,
            ..AdamWConfig::default()
        },
        batch_size: 4,
        epochs: 1,
        patience: 0,
        seed: 0,
        variants: Default::default(),
    };
    let trainer = Trainer::new(config, device).unwrap();
    trainer
        .model
        .params
        .assign_from(&fx, "param.", &path)
        .unwrap();
    let batch = Batch {
        x: fx["input.x"].clone(),
        labels: fx["input.labels"].to_dtype(DType::U32).unwrap(),
        volumes: fx["input.volumes"].clone(),
    };
    (trainer, fx, batch)
}

/// Largest |a − b| relative to the largest |b| (at least 1e-3).
fn rel(a: &Tensor, b: &Tensor) -> f64 {
    let (a, b) = (values(a), values(b));
    max_abs_diff(&a, &b) / b.iter().fold(1e-3f64, |m, v| m.max(v.abs()))
}

test_device!(forward_losses_gradients_and_one_step_match_pytorch);
fn forward_losses_gradients_and_one_step_match_pytorch(device: &Device) {
    let (mut trainer, fx, batch) = setup(device);
    let out = trainer.model.forward(&batch.x).unwrap();
    for (name, got) in [
        ("z", &out.z),
        ("recon_logits", &out.recon_logits),
        ("class_logits", &out.class_logits),
        ("volume", &out.volume),
    ] {
        let r = rel(got, &fx[&format!("out.{name}")]);
        eprintln!("output {name}: max relative difference {r:.2e}");
        assert!(r < 1e-5, "output {name}: {r}");
    }
    let biomarker_deep::train::Gradients { grads, losses, .. } =
        trainer.gradients(&batch, &[1.0, 1.0, 1.0]).unwrap();
    for (i, task) in ["recon", "class", "volume"].iter().enumerate() {
        let want = values(&fx[&format!("loss.{task}")])[0];
        eprintln!("loss {task}: {} vs PyTorch {want} ", losses[i]);
        assert!(
            (losses[i] - want).abs() < 1e-5 * want.abs().max(1.0),
            "loss {task}"
        );
    }
    let mut worst: f64 = 0.0;
    for name in trainer.model.params.names() {
        worst = worst.max(rel(&grads[name], &fx[&format!("grad.{name}")]));
    }
    eprintln!("gradients: max relative difference {worst:.2e}");
    assert!(worst < 1e-4, "gradients differ from PyTorch by {worst}");
    trainer.step(&batch).unwrap();
    let mut worst: f64 = 0.0;
    for (name, var) in trainer.model.params.iter() {
        worst = worst.max(max_abs_diff(
            &values(var.as_tensor()),
            &values(&fx[&format!("step.{name}")]),
        ));
    }
    eprintln!("after one AdamW step: max abs parameter difference {worst:.2e}");
    assert!(
        worst < 1e-6,
        "parameters after one AdamW step differ by {worst}"
    );
}
