//! Training: the split gradient path equals a plain backward of the weighted loss; a few steps
//! reduce every task's loss (both on every compiled device); resume reproduces an
//! uninterrupted run bit for bit (on the CPU: it checks checkpoint IO, not the device).

use biomarker_deep::balance::{BalanceConfig, Task};
use biomarker_deep::data::Split;
use biomarker_deep::loss::ReconLoss;
use biomarker_deep::model::ModelConfig;
use biomarker_deep::optim::AdamWConfig;
use biomarker_deep::test_device;
use biomarker_deep::train::{fit, FitOptions, NoProgress, RunPaths, TrainConfig, Trainer};
use candle_core::Device;

use crate::common::{
    assert_gradients_match, assert_steps_reduce_every_loss, toy_dataset, values, whole_batch,
};

/// Trains `config` on `data` into `dir` (fresh, or resuming), returning the fit or its error.
pub fn fit_in(
    config: &TrainConfig,
    data: &biomarker_deep::data::Dataset,
    split: &[Split],
    dir: &std::path::Path,
    resume: bool,
    max_epochs_this_call: Option<usize>,
) -> biomarker_deep::Result<biomarker_deep::train::FitResult> {
    fit(
        config.clone(),
        data,
        split,
        &RunPaths { dir: dir.into() },
        &Device::Cpu,
        &FitOptions {
            resume,
            max_epochs_this_call,
        },
        &NoProgress,
    )
}

pub fn tiny_config(balance: BalanceConfig) -> TrainConfig {
    let mut model = ModelConfig::new(16, 2);
    model.feature_maps = vec![4, 8];
    model.bottleneck = 8;
    model.head_hidden = 8;
    TrainConfig {
        model,
        tasks: Task::ALL.to_vec(),
        balance,
        recon_loss: ReconLoss::Bce,
        optimizer: AdamWConfig {
            lr: 3e-3,
            ..AdamWConfig::default()
        },
        batch_size: 8,
        epochs: 3,
        patience: 0,
        seed: 7,
        variants: Default::default(),
    }
}

test_device!(split_gradients_equal_the_weighted_loss_gradient);
fn split_gradients_equal_the_weighted_loss_gradient(device: &Device) {
    let data = toy_dataset(4, 1);
    let trainer = Trainer::new(tiny_config(BalanceConfig::Equal), device).unwrap();
    let batch = whole_batch(&data, device);
    let w = [0.7, 1.3, 0.4];
    let biomarker_deep::train::Gradients { grads, losses, .. } =
        trainer.gradients(&batch, &w).unwrap();
    let z = trainer.model.encode(&batch.x).unwrap();
    let mut total: Option<candle_core::Tensor> = None;
    for (i, task) in Task::ALL.iter().enumerate() {
        let l = trainer.task_loss(*task, &z, &batch).unwrap();
        assert!((l.to_scalar::<f32>().unwrap() as f64 - losses[i]).abs() < 1e-6);
        let l = l.affine(w[i], 0.0).unwrap();
        total = Some(match total {
            None => l,
            Some(t) => (t + l).unwrap(),
        });
    }
    let store = total.unwrap().backward().unwrap();
    assert_gradients_match(&trainer.model.params, &store, &grads);
}

test_device!(a_few_steps_reduce_every_task_loss);
fn a_few_steps_reduce_every_task_loss(device: &Device) {
    let batch = whole_batch(&toy_dataset(4, 2), device);
    for balance in [
        BalanceConfig::Equal,
        BalanceConfig::GradNorm {
            alpha: 1.5,
            lr: 0.025,
        },
        BalanceConfig::Uncertainty { lr: 0.01 },
    ] {
        let mut trainer = Trainer::new(tiny_config(balance.clone()), device).unwrap();
        assert_steps_reduce_every_loss(&mut trainer, &batch, 60, &format!("{balance:?}"));
        if let BalanceConfig::GradNorm { .. } = balance {
            let sum: f64 = trainer.balancer.weights().iter().sum();
            assert!((sum - 3.0).abs() < 1e-9, "GradNorm weights sum to {sum}");
            assert!(
                trainer.balancer.weights() != vec![1.0; 3],
                "GradNorm weights never moved"
            );
        }
    }
}

#[test]
fn resume_gives_identical_weights() {
    let data = toy_dataset(10, 3);
    let split = data.split(0.2, 0.0, 5).unwrap();
    let config = tiny_config(BalanceConfig::GradNorm {
        alpha: 1.5,
        lr: 0.025,
    });
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let run = |dir: &std::path::Path, resume: bool, max: Option<usize>| {
        fit_in(&config, &data, &split, dir, resume, max).unwrap()
    };
    let full = run(a.path(), false, None);
    let part = run(b.path(), false, Some(1));
    assert_eq!(part.state.epoch, 1);
    let resumed = run(b.path(), true, None);
    assert_eq!(resumed.state.epoch, 3);
    for (name, var) in full.trainer.model.params.iter() {
        let other = resumed.trainer.model.params.var(name).unwrap();
        assert_eq!(
            values(var.as_tensor()),
            values(other.as_tensor()),
            "parameter {name} differs after resume"
        );
    }
    assert_eq!(full.trainer.balancer, resumed.trainer.balancer);
    let log = std::fs::read_to_string(b.path().join("train_log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 3, "one log line per epoch");
    assert_eq!(full.state.history.len(), 3);
    // A resume with other options is refused rather than mixing two runs.
    let mut other = config.clone();
    other.optimizer.lr = 1e-2;
    let err = fit_in(&other, &data, &split, b.path(), true, None).unwrap_err();
    assert!(err.to_string().contains("different configuration"), "{err}");
    assert!(split.iter().filter(|s| **s == Split::Val).count() == 2);
}

#[test]
fn classifier_beats_chance_and_volume_is_learned_on_a_small_cohort() {
    let data = toy_dataset(24, 11);
    let split = data.split(0.0, 0.25, 2).unwrap();
    let mut config = tiny_config(BalanceConfig::GradNorm {
        alpha: 1.5,
        lr: 0.025,
    });
    config.epochs = 8;
    config.optimizer.lr = 5e-3;
    let dir = tempfile::tempdir().unwrap();
    let result = fit_in(&config, &data, &split, dir.path(), false, None).unwrap();
    let test = data.items_in(&split, Split::Test);
    let eval = result
        .trainer
        .evaluate(&data, &test, &result.scaler)
        .unwrap();
    eprintln!("test metrics: {eval:?}");
    assert!(eval.accuracy > 0.9, "accuracy {}", eval.accuracy);
    assert!(eval.volume_r2 > 0.5, "volume R² {}", eval.volume_r2);
}

#[test]
fn early_stopping_stops_after_patience_epochs_without_improvement() {
    let data = toy_dataset(6, 4);
    let split = data.split(0.34, 0.0, 1).unwrap();
    let mut config = tiny_config(BalanceConfig::Equal);
    // An update far below f32 resolution leaves the weights, so validation never improves.
    config.optimizer.lr = 1e-12;
    config.epochs = 5;
    config.patience = 2;
    let dir = tempfile::tempdir().unwrap();
    let r = fit_in(&config, &data, &split, dir.path(), false, None).unwrap();
    assert!(r.state.stopped_early);
    assert_eq!(
        r.state.epoch, 3,
        "epoch 1 sets the best, epochs 2 and 3 do not improve"
    );
    assert_eq!(r.state.best_epoch, 1);
}
