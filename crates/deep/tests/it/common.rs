//! Shared helpers: deterministic random tensors and finite-difference gradients.

use candle_core::{DType, Device, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Path of `tests/fixtures/<name>`: under `BIOMARKER_DEEP_DIR` (this crate's folder) when set,
/// for a test binary run away from the tree it was built in (a CUDA build's tests on a GPU
/// machine), else under the crate folder of the build.
pub fn fixture_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::var_os("BIOMARKER_DEEP_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    dir.join("tests/fixtures").join(name)
}

/// Uniform values in [-1, 1] from a seeded generator.
pub fn rand_vec(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

/// A seeded random f64 tensor of `shape` on `device` (the same values on every device).
pub fn rand_tensor(shape: &[usize], seed: u64, device: &Device) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_vec(rand_vec(n, seed), shape.to_vec(), device).unwrap()
}

/// Flattened values as f64.
pub fn values(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f64>()
        .unwrap()
}

/// Largest absolute difference.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Checks the autograd gradient of `f(inputs)·probe` (a random projection of the output, so
/// every output element matters) against central finite differences, for every input.
pub fn check_gradients(inputs: &[Tensor], f: impl Fn(&[Tensor]) -> Tensor, tol: f64) {
    let vars: Vec<Var> = inputs
        .iter()
        .map(|t| Var::from_tensor(t).unwrap())
        .collect();
    let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let out = f(&ts);
    let probe = rand_tensor(out.dims(), 99, out.device());
    let loss = (out * &probe).unwrap().sum_all().unwrap();
    let grads = loss.backward().unwrap();
    let scalar = |xs: &[Tensor]| -> f64 {
        (f(xs) * &probe)
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
    };
    let eps = 1e-6;
    for (i, var) in vars.iter().enumerate() {
        let analytic = values(grads.get(var.as_tensor()).expect("gradient present"));
        let base = values(var.as_tensor());
        for j in 0..base.len() {
            let shifted = |delta: f64| {
                let mut v = base.clone();
                v[j] += delta;
                let mut xs: Vec<Tensor> = ts.iter().map(|t| t.detach()).collect();
                xs[i] = Tensor::from_vec(v, var.dims().to_vec(), var.device()).unwrap();
                scalar(&xs)
            };
            let numeric = (shifted(eps) - shifted(-eps)) / (2.0 * eps);
            assert!(
                (numeric - analytic[j]).abs() <= tol * (1.0 + numeric.abs()),
                "input {i} element {j}: autograd {} vs finite difference {numeric}",
                analytic[j]
            );
        }
    }
}

/// A toy cohort on a 16³ grid: structure 0 is a ball left of centre, structure 1 a box right
/// of centre, each with a subject-specific size (so volume is learnable) and the volume the
/// voxel count × 1 mm³.
pub fn toy_dataset(n_subjects: usize, seed: u64) -> biomarker_deep::data::Dataset {
    let s = 16usize;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut ds = biomarker_deep::data::Dataset {
        size: s,
        structures: vec!["ball".into(), "box".into()],
        subjects: (0..n_subjects).map(|i| format!("S{i:03}")).collect(),
        item_subject: Vec::new(),
        item_structure: Vec::new(),
        item_volume: Vec::new(),
        masks: Vec::new(),
        boxes: Vec::new(),
    };
    for subj in 0..n_subjects {
        let r: f64 = rng.random_range(2.0..5.0);
        let half: i64 = rng.random_range(1..4);
        for structure in 0..2u32 {
            let mut count = 0;
            for z in 0..s as i64 {
                for y in 0..s as i64 {
                    for x in 0..s as i64 {
                        let inside = if structure == 0 {
                            let (dx, dy, dz) = (x as f64 - 5.5, y as f64 - 7.5, z as f64 - 7.5);
                            dx * dx + dy * dy + dz * dz <= r * r
                        } else {
                            (x - 11).abs() <= half
                                && (y - 8).abs() <= half + 1
                                && (z - 8).abs() <= half
                        };
                        ds.masks.push(u8::from(inside));
                        count += usize::from(inside);
                    }
                }
            }
            ds.item_subject.push(subj);
            ds.item_structure.push(structure);
            ds.item_volume.push(count as f64);
        }
    }
    ds
}

/// All of `data` as one batch on `device`, volumes scaled over all of it.
pub fn whole_batch(
    data: &biomarker_deep::data::Dataset,
    device: &Device,
) -> biomarker_deep::data::Batch {
    let items: Vec<usize> = (0..data.len()).collect();
    let scaler = data.volume_scaler(&items);
    data.batch(&items, &scaler, device).unwrap()
}

/// Asserts that the split gradients `grads` (by parameter name) equal the plain backward's
/// `store` for every parameter in `params`, relative to each gradient's largest magnitude
/// (at least 1e-3), to 1e-4.
pub fn assert_gradients_match(
    params: &biomarker_deep::params::ParamStore,
    store: &candle_core::backprop::GradStore,
    grads: &std::collections::HashMap<String, Tensor>,
) {
    let mut worst: f64 = 0.0;
    for (name, var) in params.iter() {
        let want = values(store.get(var.as_tensor()).unwrap());
        let got = values(&grads[name]);
        let scale = want.iter().fold(1e-3f64, |m, v| m.max(v.abs()));
        worst = worst.max(max_abs_diff(&got, &want) / scale);
    }
    assert!(worst < 1e-4, "relative gradient difference {worst}");
}

/// Asserts that `steps` more training steps on `batch` bring each of the three task losses
/// below 0.8 of its value at the first step; `what` names the run in the failure message.
pub fn assert_steps_reduce_every_loss(
    trainer: &mut biomarker_deep::train::Trainer,
    batch: &biomarker_deep::data::Batch,
    steps: usize,
    what: &str,
) {
    let first = trainer.step(batch).unwrap();
    let mut last = first.clone();
    for _ in 0..steps {
        last = trainer.step(batch).unwrap();
    }
    for i in 0..3 {
        assert!(
            last.losses[i] < 0.8 * first.losses[i],
            "{what}: task {i} loss {} -> {}",
            first.losses[i],
            last.losses[i]
        );
    }
}
