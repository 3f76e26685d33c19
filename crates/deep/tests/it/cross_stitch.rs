//! Cross-stitch sharing: the unit against PyTorch 2.9 (scripts/torch-cross-stitch.py) and by
//! finite differences; the model's shapes and initialisation; the split gradient path (alphas
//! included) against a plain backward and finite differences; with identity alphas the two
//! encoders are independent; training, resume and transfer initialisation.

use std::collections::HashMap;

use biomarker_deep::balance::{BalanceConfig, Task};
use biomarker_deep::cross_stitch::{cross_stitch, Sharing};
use biomarker_deep::model::Model;
use biomarker_deep::train::{Gradients, TrainConfig, Trainer};
use candle_core::{DType, Device, Tensor, Var};

use crate::common::{
    assert_gradients_match, assert_steps_reduce_every_loss, check_gradients, fixture_path,
    max_abs_diff, rand_tensor, toy_dataset, values, whole_batch,
};
use crate::train::tiny_config;

fn stitch_config(balance: BalanceConfig) -> TrainConfig {
    let mut config = tiny_config(balance);
    config.model.sharing = Sharing::CROSS_STITCH;
    config
}

#[test]
fn unit_matches_pytorch() {
    let fx: HashMap<String, Tensor> = candle_core::safetensors::load(
        fixture_path("torch_cross_stitch.safetensors"),
        &Device::Cpu,
    )
    .unwrap();
    let vars: Vec<Var> = ["xa", "xb", "alpha"]
        .iter()
        .map(|k| Var::from_tensor(&fx[*k]).unwrap())
        .collect();
    let (ya, yb) = cross_stitch(
        vars[0].as_tensor(),
        vars[1].as_tensor(),
        vars[2].as_tensor(),
    )
    .unwrap();
    let mut worst = max_abs_diff(&values(&ya), &values(&fx["ya"]));
    worst = worst.max(max_abs_diff(&values(&yb), &values(&fx["yb"])));
    let loss = ((ya * &fx["pa"]).unwrap().sum_all().unwrap()
        + (yb * &fx["pb"]).unwrap().sum_all().unwrap())
    .unwrap();
    let grads = loss.backward().unwrap();
    for (k, v) in ["gxa", "gxb", "galpha"].iter().zip(&vars) {
        let g = grads.get(v.as_tensor()).expect("gradient");
        assert_eq!(g.dims(), fx[*k].dims(), "{k}");
        worst = worst.max(max_abs_diff(&values(g), &values(&fx[*k])));
    }
    eprintln!("cross-stitch unit: max abs difference to PyTorch {worst:.3e}");
    assert!(worst < 1e-12, "max abs difference to PyTorch {worst}");
}

#[test]
fn unit_gradients_match_finite_differences() {
    let d = Device::Cpu;
    let inputs = [
        rand_tensor(&[2, 3, 2, 3, 2], 31, &d),
        rand_tensor(&[2, 3, 2, 3, 2], 32, &d),
        rand_tensor(&[2, 2, 3], 33, &d),
    ];
    check_gradients(
        &inputs,
        |t| {
            let (a, b) = cross_stitch(&t[0], &t[1], &t[2]).unwrap();
            Tensor::cat(&[a, b], 1).unwrap()
        },
        1e-7,
    );
    // Mismatched shapes are refused.
    assert!(cross_stitch(&inputs[0], &inputs[1], &rand_tensor(&[2, 2, 4], 1, &d)).is_err());
}

#[test]
fn shapes_initialisation_and_hard_model_unchanged() {
    let data = toy_dataset(4, 1);
    let batch = whole_batch(&data, &Device::Cpu);
    let config = stitch_config(BalanceConfig::Equal);
    let model = Model::new(config.model.clone(), &Device::Cpu, 7).unwrap();
    let hard = Model::new(tiny_config(BalanceConfig::Equal).model, &Device::Cpu, 7).unwrap();
    // The hard model's parameters come first, with the same values; encoder B and the units
    // follow.
    let names = model.params.names();
    assert_eq!(&names[..hard.params.names().len()], hard.params.names());
    for (name, var) in hard.params.iter() {
        let other = model.params.var(name).unwrap();
        assert_eq!(values(var.as_tensor()), values(other.as_tensor()), "{name}");
    }
    let extra: Vec<&str> = names[hard.params.names().len()..]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        extra,
        [
            "enc.b.0.weight",
            "enc.b.0.bias",
            "enc.b.1.weight",
            "enc.b.1.bias",
            "enc.b.last.weight",
            "enc.b.last.bias",
            "enc.b.bottleneck.weight",
            "enc.b.bottleneck.bias",
            "enc.stitch.0.alpha",
            "enc.stitch.1.alpha",
        ]
    );
    let a0 = model.params.var("enc.stitch.0.alpha").unwrap();
    assert_eq!(a0.dims(), &[2, 2, 4]);
    assert_eq!(
        a0.as_tensor().to_vec3::<f32>().unwrap(),
        vec![
            vec![vec![0.9; 4], vec![0.1; 4]],
            vec![vec![0.1; 4], vec![0.9; 4]]
        ]
    );
    assert_eq!(
        model.params.var("enc.stitch.1.alpha").unwrap().dims(),
        &[2, 2, 8]
    );
    let out = model.forward(&batch.x).unwrap();
    assert_eq!(out.z.dims(), &[8, 8]);
    assert_eq!(out.z_aux.as_ref().unwrap().dims(), &[8, 8]);
    assert_eq!(out.recon_logits.dims(), &[8, 1, 16, 16, 16]);
    assert_eq!(out.class_logits.dims(), &[8, 2]);
    assert_eq!(out.volume.dims(), &[8]);
    assert_ne!(values(&out.z), values(out.z_aux.as_ref().unwrap()));
    // `encode` is the main task's bottleneck.
    assert_eq!(values(&model.encode(&batch.x).unwrap()), values(&out.z));
    // Hard sharing: no second bottleneck, and its description is as before the option existed.
    assert!(hard.forward(&batch.x).unwrap().z_aux.is_none());
    let json = serde_json::to_string(&hard.config).unwrap();
    assert!(!json.contains("sharing"), "{json}");
    let json = serde_json::to_string(&model.config).unwrap();
    assert!(
        json.contains(r#""sharing":{"kind":"cross-stitch","off_diagonal":0.1}"#),
        "{json}"
    );
    let back: biomarker_deep::model::ModelConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, model.config);
    // The off-diagonal initialisation is an option, checked.
    let mut c = config.model.clone();
    c.sharing = Sharing::CrossStitch { off_diagonal: 0.3 };
    let m = Model::new(c.clone(), &Device::Cpu, 1).unwrap();
    let a = values(m.params.var("enc.stitch.1.alpha").unwrap().as_tensor());
    assert!((a[0] - 0.7).abs() < 1e-7 && (a[8] - 0.3).abs() < 1e-7);
    c.sharing = Sharing::CrossStitch { off_diagonal: 1.5 };
    let err = Model::new(c, &Device::Cpu, 1).unwrap_err().to_string();
    assert!(err.contains("off-diagonal") && err.contains("1.5"), "{err}");
}

/// Σ wᵢLᵢ by a plain forward: reconstruction at the main bottleneck, the heads at the other.
fn weighted_loss(trainer: &Trainer, batch: &biomarker_deep::data::Batch, w: &[f64]) -> Tensor {
    let (za, zb) = trainer.model.encode_both(&batch.x).unwrap();
    let zb = zb.unwrap();
    let mut total: Option<Tensor> = None;
    for (i, task) in trainer.config.tasks.iter().enumerate() {
        let z = if *task == Task::Recon { &za } else { &zb };
        let l = trainer
            .task_loss(*task, z, batch)
            .unwrap()
            .affine(w[i], 0.0)
            .unwrap();
        total = Some(match total {
            None => l,
            Some(t) => (t + l).unwrap(),
        });
    }
    total.unwrap()
}

/// The split gradient path equals a plain backward of Σ wᵢLᵢ for every parameter (both
/// encoders and the alphas included), and the alphas' gradients equal central finite
/// differences of the loss.
#[test]
fn split_gradients_and_alpha_gradients() {
    let data = toy_dataset(4, 1);
    let batch = whole_batch(&data, &Device::Cpu);
    let mut config = stitch_config(BalanceConfig::Equal);
    config.variants.l1 = 0.05;
    let trainer = Trainer::new(config, &Device::Cpu).unwrap();
    let w = [0.7, 1.3, 0.4];
    let Gradients { grads, losses, .. } = trainer.gradients(&batch, &w).unwrap();
    assert_eq!(losses.len(), 3);
    let (za, _) = trainer.model.encode_both(&batch.x).unwrap();
    let penalty = biomarker_deep::variants::l1_penalty(&za)
        .unwrap()
        .affine(0.05, 0.0)
        .unwrap();
    let loss = (weighted_loss(&trainer, &batch, &w) + penalty).unwrap();
    let store = loss.backward().unwrap();
    assert_gradients_match(&trainer.model.params, &store, &grads);
    for name in ["enc.b.0.weight", "enc.stitch.0.alpha", "enc.stitch.1.alpha"] {
        assert!(
            values(&grads[name]).iter().any(|g| *g != 0.0),
            "{name}: zero gradient"
        );
    }

    // Finite differences (f32 model, so a coarse step) at the largest alpha gradients.
    let objective = |trainer: &Trainer| -> f64 {
        let (za, _) = trainer.model.encode_both(&batch.x).unwrap();
        let p = biomarker_deep::variants::l1_penalty(&za)
            .unwrap()
            .affine(0.05, 0.0)
            .unwrap();
        (weighted_loss(trainer, &batch, &w) + p)
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
    };
    let mut checked = 0;
    for name in ["enc.stitch.0.alpha", "enc.stitch.1.alpha"] {
        let var = trainer.model.params.var(name).unwrap();
        let g = values(&grads[name]);
        let base = values(var.as_tensor());
        let mut order: Vec<usize> = (0..g.len()).collect();
        order.sort_by(|&a, &b| g[b].abs().total_cmp(&g[a].abs()));
        for &j in &order[..3] {
            let eps = 1e-2;
            let at = |delta: f64| {
                let mut v = base.clone();
                v[j] += delta;
                let t = Tensor::from_vec(v, var.dims().to_vec(), &Device::Cpu)
                    .unwrap()
                    .to_dtype(DType::F32)
                    .unwrap();
                var.set(&t).unwrap();
                objective(&trainer)
            };
            let numeric = (at(eps) - at(-eps)) / (2.0 * eps);
            at(0.0);
            let rel = (numeric - g[j]).abs() / g[j].abs().max(1e-3);
            eprintln!(
                "{name}[{j}]: autograd {:.6e} finite differences {numeric:.6e}",
                g[j]
            );
            assert!(rel < 2e-2, "{name}[{j}]: {} vs {numeric} (rel {rel})", g[j]);
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}

/// With identity alphas the encoders do not exchange anything: the reconstruction loss's
/// gradient does not reach encoder B nor the heads' losses encoder A, and encoder A's
/// bottleneck is exactly the hard model's of the same seed.
#[test]
fn identity_alphas_make_the_encoders_independent() {
    let data = toy_dataset(4, 1);
    let batch = whole_batch(&data, &Device::Cpu);
    let mut config = stitch_config(BalanceConfig::Equal);
    config.model.sharing = Sharing::CrossStitch { off_diagonal: 0.0 };
    let trainer = Trainer::new(config, &Device::Cpu).unwrap();
    let hard = Model::new(tiny_config(BalanceConfig::Equal).model, &Device::Cpu, 7).unwrap();
    assert_eq!(
        values(&trainer.model.encode(&batch.x).unwrap()),
        values(&hard.encode(&batch.x).unwrap())
    );
    let is_b = |n: &str| n.starts_with("enc.b.");
    let is_a = |n: &str| n.starts_with("enc.") && !is_b(n) && !n.starts_with("enc.stitch.");
    for (task, w) in [
        (Task::Recon, [1.0, 0.0, 0.0]),
        (Task::Class, [0.0, 1.0, 0.0]),
        (Task::Volume, [0.0, 0.0, 1.0]),
    ] {
        let loss = weighted_loss(&trainer, &batch, &w);
        let store = loss.backward().unwrap();
        let Gradients { grads, .. } = trainer.gradients(&batch, &w).unwrap();
        let mut reached_other = 0;
        let mut reached_own = 0;
        for (name, var) in trainer.model.params.iter() {
            let other = if task == Task::Recon {
                is_b(name)
            } else {
                is_a(name) || name.starts_with("bottleneck.")
            };
            let own = if task == Task::Recon {
                is_a(name)
            } else {
                is_b(name)
            };
            let nonzero =
                |g: Option<&Tensor>| g.is_some_and(|g| values(g).iter().any(|v| *v != 0.0));
            if other {
                assert!(
                    !nonzero(store.get(var.as_tensor())) && !nonzero(grads.get(name)),
                    "{task:?} reached {name}"
                );
                reached_other += 1;
            }
            if own && nonzero(grads.get(name)) {
                reached_own += 1;
            }
        }
        assert!(reached_other >= 6 && reached_own >= 6, "{task:?}");
    }
}

#[test]
fn training_reduces_every_loss_under_each_weighting() {
    let batch = whole_batch(&toy_dataset(4, 2), &Device::Cpu);
    for balance in [
        BalanceConfig::Equal,
        BalanceConfig::GradNorm {
            alpha: 1.5,
            lr: 0.025,
        },
        BalanceConfig::Uncertainty { lr: 0.01 },
    ] {
        let mut trainer = Trainer::new(stitch_config(balance.clone()), &Device::Cpu).unwrap();
        let alphas = |t: &Trainer| {
            values(
                t.model
                    .params
                    .var("enc.stitch.1.alpha")
                    .unwrap()
                    .as_tensor(),
            )
        };
        let before = alphas(&trainer);
        assert_steps_reduce_every_loss(&mut trainer, &batch, 40, &format!("{balance:?}"));
        let after = alphas(&trainer);
        assert_ne!(before, after, "{balance:?}: the alphas did not learn");
        if let BalanceConfig::GradNorm { .. } = balance {
            let sum: f64 = trainer.balancer.weights().iter().sum();
            assert!((sum - 3.0).abs() < 1e-9, "GradNorm weights sum to {sum}");
            assert_ne!(trainer.balancer.weights(), vec![1.0; 3]);
        }
    }
}

/// A killed and resumed cross-stitch run (strided residual with dropout, so every random
/// draw counts) ends with the weights of an uninterrupted one; a resume with hard sharing in
/// the same folder is refused.
#[test]
fn resume_is_exact_and_a_changed_sharing_is_refused() {
    let data = toy_dataset(6, 3);
    let split = data.split(0.2, 0.0, 5).unwrap();
    let mut config = stitch_config(BalanceConfig::GradNorm {
        alpha: 1.5,
        lr: 0.025,
    });
    config.model.architecture = biomarker_deep::residual::Architecture::StridedResidual;
    config.model.dropout = 0.2;
    config.epochs = 2;
    let run = |config: &TrainConfig, dir: &std::path::Path, resume: bool, max: Option<usize>| {
        crate::train::fit_in(config, &data, &split, dir, resume, max)
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let full = run(&config, a.path(), false, None).unwrap();
    run(&config, b.path(), false, Some(1)).unwrap();
    let mut hard = config.clone();
    hard.model.sharing = Sharing::Hard;
    let err = run(&hard, b.path(), true, None).unwrap_err().to_string();
    assert!(err.contains("different configuration"), "{err}");
    let resumed = run(&config, b.path(), true, None).unwrap();
    assert!(full
        .trainer
        .model
        .params
        .var("enc.stitch.1.alpha")
        .is_some());
    for (name, var) in full.trainer.model.params.iter() {
        let other = resumed.trainer.model.params.var(name).unwrap();
        assert_eq!(values(var.as_tensor()), values(other.as_tensor()), "{name}");
    }
    // The saved model encodes both bottlenecks.
    let loaded = biomarker_deep::encode::load_model(a.path(), &Device::Cpu).unwrap();
    use biomarker_deep::encode::{encode_layer, Layer};
    let main = encode_layer(&loaded, &data, None, 4, Layer::Main, |_| {}).unwrap();
    let aux = encode_layer(&loaded, &data, None, 4, Layer::Aux, |_| {}).unwrap();
    assert_eq!((main.n_rows(), aux.n_rows()), (12, 12));
    assert_eq!(aux.metadata["layer"], "bottleneck.aux");
}

/// A hard encoder starts both encoders of a cross-stitch model (the units keep their
/// initialisation); a cross-stitch encoder gives a hard model its encoder A.
#[test]
fn transfer_copies_what_matches() {
    use biomarker_deep::transfer::init_encoder;
    let dir = tempfile::tempdir().unwrap();
    let hard = Model::new(tiny_config(BalanceConfig::Equal).model, &Device::Cpu, 3).unwrap();
    let hard_path = dir.path().join("hard.safetensors");
    hard.params.save(&hard_path).unwrap();
    let stitch = Model::new(stitch_config(BalanceConfig::Equal).model, &Device::Cpu, 11).unwrap();
    let alpha_before = values(stitch.params.var("enc.stitch.0.alpha").unwrap().as_tensor());
    let n = init_encoder(&stitch, &hard_path).unwrap();
    // enc.{0,1,last} and bottleneck into both encoders: 2 × 8 tensors.
    assert_eq!(n, 16);
    let get = |m: &Model, n: &str| values(m.params.var(n).unwrap().as_tensor());
    assert_eq!(get(&stitch, "enc.b.1.weight"), get(&hard, "enc.1.weight"));
    assert_eq!(get(&stitch, "enc.1.weight"), get(&hard, "enc.1.weight"));
    assert_eq!(
        get(&stitch, "enc.b.bottleneck.weight"),
        get(&hard, "bottleneck.weight")
    );
    assert_eq!(get(&stitch, "enc.stitch.0.alpha"), alpha_before);
    assert_ne!(get(&stitch, "dec.fc.weight"), get(&hard, "dec.fc.weight"));

    let stitch_path = dir.path().join("stitch.safetensors");
    stitch.params.save(&stitch_path).unwrap();
    let other = Model::new(tiny_config(BalanceConfig::Equal).model, &Device::Cpu, 5).unwrap();
    assert_eq!(init_encoder(&other, &stitch_path).unwrap(), 8);
    assert_eq!(get(&other, "enc.0.weight"), get(&stitch, "enc.0.weight"));
}
