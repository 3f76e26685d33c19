//! The 3D layers against PyTorch 2.9 (fixture made by scripts/torch-layers.py): outputs and
//! the gradients of sum(y · probe) with respect to every input, in f64, on every compiled device.

use std::collections::HashMap;

use biomarker_deep::ops3d::{
    conv3d, conv3d_shifted, conv3d_via_conv2d, conv_transpose3d, max_pool3d, upsample_nearest3d,
};
use biomarker_deep::test_device;
use candle_core::{Device, Tensor, Var};

use crate::common::{fixture_path, max_abs_diff, values};

fn fixture(device: &Device) -> HashMap<String, Tensor> {
    candle_core::safetensors::load(fixture_path("torch_layers.safetensors"), device)
        .expect("fixture loads")
}

/// Runs `f` on the case's inputs and compares output and gradients with PyTorch's.
fn check(
    device: &Device,
    case: &str,
    inputs: &[&str],
    f: impl Fn(&[Tensor], &[usize]) -> Tensor,
) -> f64 {
    let fx = fixture(device);
    let get = |k: &str| {
        fx.get(&format!("{case}.{k}"))
            .unwrap_or_else(|| panic!("{case}.{k} in fixture"))
            .clone()
    };
    let geom: Vec<usize> = values(&get("geom")).iter().map(|&g| g as usize).collect();
    let vars: Vec<Var> = inputs
        .iter()
        .map(|k| Var::from_tensor(&get(k)).unwrap())
        .collect();
    let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let y = f(&ts, &geom);
    let want = get("y");
    assert_eq!(y.dims(), want.dims(), "{case}: output shape");
    let mut worst = max_abs_diff(&values(&y), &values(&want));
    let grads = (y * get("probe"))
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    for (k, v) in inputs.iter().zip(&vars) {
        let g = grads.get(v.as_tensor()).expect("gradient");
        worst = worst.max(max_abs_diff(&values(g), &values(&get(&format!("g{k}")))));
    }
    eprintln!("{case}: max abs difference to PyTorch {worst:.3e}");
    assert!(
        worst < 1e-10,
        "{case}: max abs difference to PyTorch {worst}"
    );
    worst
}

test_device!(conv3d_matches_pytorch);
fn conv3d_matches_pytorch(device: &Device) {
    for case in ["conv_k3_p1_s1", "conv_k3_p1_s2", "conv_k1_p0_s1"] {
        check(device, case, &["x", "w", "b"], |t, g| {
            conv3d(&t[0], &t[1], Some(&t[2]), g[1], g[0]).unwrap()
        });
        check(device, case, &["x", "w", "b"], |t, g| {
            conv3d_via_conv2d(&t[0], &t[1], Some(&t[2]), g[1], g[0]).unwrap()
        });
        check(device, case, &["x", "w", "b"], |t, g| {
            conv3d_shifted(&t[0], &t[1], Some(&t[2]), g[1], g[0]).unwrap()
        });
    }
}

test_device!(pooling_and_upsampling_match_pytorch);
fn pooling_and_upsampling_match_pytorch(device: &Device) {
    check(device, "maxpool", &["x"], |t, _| max_pool3d(&t[0]).unwrap());
    check(device, "upsample", &["x"], |t, _| {
        upsample_nearest3d(&t[0]).unwrap()
    });
}

test_device!(conv_transpose3d_matches_pytorch);
fn conv_transpose3d_matches_pytorch(device: &Device) {
    for case in ["convt_k2_s2", "convt_k3_s2_p1_op1"] {
        check(device, case, &["x", "w", "b"], |t, g| {
            conv_transpose3d(&t[0], &t[1], Some(&t[2]), g[0], g[1], g[2]).unwrap()
        });
    }
}
