//! The 3D layers against direct loop implementations (forward) and finite differences
//! (gradients), in f64, on every compiled device (`test_device!`).
#![allow(clippy::too_many_arguments, clippy::type_complexity)]

use biomarker_deep::ops3d::{
    conv3d, conv3d_shifted, conv3d_via_conv2d, conv_transpose3d, max_pool3d, upsample_nearest3d,
};
use biomarker_deep::test_device;
use candle_core::{Device, Tensor};

use crate::common::{check_gradients, max_abs_diff, rand_tensor, values};

/// Index of `[a, b, c, d, e]` in a row-major 5-D array of shape `s`.
fn at(s: &[usize], i: [usize; 5]) -> usize {
    (((i[0] * s[1] + i[1]) * s[2] + i[2]) * s[3] + i[3]) * s[4] + i[4]
}

/// The spatial position `p · stride + k − pad` (per axis), if it lies inside `bound`
/// (the last three entries of a 5-D shape).
fn strided(
    p: [usize; 3],
    k: [usize; 3],
    stride: usize,
    pad: usize,
    bound: &[usize],
) -> Option<[usize; 3]> {
    let mut out = [0; 3];
    for a in 0..3 {
        let v = (p[a] * stride + k[a]) as isize - pad as isize;
        if v < 0 || v >= bound[a + 2] as isize {
            return None;
        }
        out[a] = v as usize;
    }
    Some(out)
}

/// PyTorch `conv3d` semantics, written out as loops.
fn conv3d_loops(
    x: &[f64],
    xs: &[usize],
    w: &[f64],
    ws: &[usize],
    b: &[f64],
    pad: usize,
    stride: usize,
) -> (Vec<f64>, Vec<usize>) {
    let out_dim = |i: usize, k: usize| (i + 2 * pad - k) / stride + 1;
    let os = vec![
        xs[0],
        ws[0],
        out_dim(xs[2], ws[2]),
        out_dim(xs[3], ws[3]),
        out_dim(xs[4], ws[4]),
    ];
    let mut y = vec![0.0; os.iter().product()];
    for n in 0..os[0] {
        for o in 0..os[1] {
            let (o3, o4) = (os[3], os[4]);
            for (od, oh, ow) in
                (0..os[2]).flat_map(|a| (0..o3).flat_map(move |b| (0..o4).map(move |c| (a, b, c))))
            {
                let mut acc = b[o];
                for c in 0..xs[1] {
                    for kd in 0..ws[2] {
                        for kh in 0..ws[3] {
                            for kw in 0..ws[4] {
                                let Some([id, ih, iw]) =
                                    strided([od, oh, ow], [kd, kh, kw], stride, pad, xs)
                                else {
                                    continue;
                                };
                                acc +=
                                    x[at(xs, [n, c, id, ih, iw])] * w[at(ws, [o, c, kd, kh, kw])];
                            }
                        }
                    }
                }
                y[at(&os, [n, o, od, oh, ow])] = acc;
            }
        }
    }
    (y, os)
}

/// PyTorch `conv_transpose3d` semantics (scatter form), as loops.
fn conv_transpose3d_loops(
    x: &[f64],
    xs: &[usize],
    w: &[f64],
    ws: &[usize],
    b: &[f64],
    stride: usize,
    pad: usize,
    out_pad: usize,
) -> (Vec<f64>, Vec<usize>) {
    let out_dim = |i: usize, k: usize| (i - 1) * stride + k + out_pad - 2 * pad;
    let os = vec![
        xs[0],
        ws[1],
        out_dim(xs[2], ws[2]),
        out_dim(xs[3], ws[3]),
        out_dim(xs[4], ws[4]),
    ];
    let mut y = vec![0.0; os.iter().product()];
    for n in 0..os[0] {
        for o in 0..os[1] {
            for d in 0..os[2] {
                for h in 0..os[3] {
                    for w_ in 0..os[4] {
                        y[at(&os, [n, o, d, h, w_])] = b[o];
                    }
                }
            }
        }
        for c in 0..xs[1] {
            let (x3, x4) = (xs[3], xs[4]);
            for (id, ih, iw) in
                (0..xs[2]).flat_map(|a| (0..x3).flat_map(move |b| (0..x4).map(move |c| (a, b, c))))
            {
                let v = x[at(xs, [n, c, id, ih, iw])];
                for o in 0..ws[1] {
                    for kd in 0..ws[2] {
                        for kh in 0..ws[3] {
                            for kw in 0..ws[4] {
                                let Some([od, oh, ow]) =
                                    strided([id, ih, iw], [kd, kh, kw], stride, pad, &os)
                                else {
                                    continue;
                                };
                                y[at(&os, [n, o, od, oh, ow])] += v * w[at(ws, [c, o, kd, kh, kw])];
                            }
                        }
                    }
                }
            }
        }
    }
    (y, os)
}

test_device!(conv3d_matches_loops_for_kernels_strides_and_padding);
fn conv3d_matches_loops_for_kernels_strides_and_padding(device: &Device) {
    // (input shape, weight shape, padding, stride)
    let cases: &[([usize; 5], [usize; 5], usize, usize)] = &[
        ([2, 3, 6, 6, 6], [4, 3, 3, 3, 3], 1, 1),
        ([1, 2, 8, 8, 8], [3, 2, 3, 3, 3], 1, 2),
        ([1, 2, 5, 6, 7], [2, 2, 1, 1, 1], 0, 1),
        ([1, 1, 6, 6, 6], [2, 1, 2, 2, 2], 0, 2),
        ([1, 2, 7, 7, 7], [2, 2, 5, 5, 5], 2, 1),
        ([2, 1, 6, 6, 6], [1, 1, 4, 2, 3], 0, 1),
        // fewer outputs than inputs: the channel-mix-first path
        ([1, 4, 6, 6, 6], [2, 4, 3, 3, 3], 1, 1),
        ([2, 3, 5, 6, 7], [1, 3, 3, 2, 3], 1, 1),
        ([1, 3, 6, 6, 6], [2, 3, 3, 3, 3], 0, 1),
    ];
    for (i, (xs, ws, pad, stride)) in cases.iter().enumerate() {
        let x = rand_tensor(xs, 10 + i as u64, device);
        let w = rand_tensor(ws, 20 + i as u64, device);
        let b = rand_tensor(&[ws[0]], 30 + i as u64, device);
        let (want, os) = conv3d_loops(&values(&x), xs, &values(&w), ws, &values(&b), *pad, *stride);
        for got in [
            conv3d(&x, &w, Some(&b), *pad, *stride).unwrap(),
            conv3d_via_conv2d(&x, &w, Some(&b), *pad, *stride).unwrap(),
            conv3d_shifted(&x, &w, Some(&b), *pad, *stride).unwrap(),
        ] {
            assert_eq!(got.dims(), os.as_slice(), "case {i}");
            let d = max_abs_diff(&values(&got), &want);
            assert!(d < 1e-12, "case {i}: max abs diff {d}");
        }
    }
}

test_device!(conv3d_gradients_match_finite_differences);
fn conv3d_gradients_match_finite_differences(device: &Device) {
    for (pad, stride, c_in, c_out) in [(1, 1, 2, 2), (1, 2, 2, 2), (1, 1, 3, 1)] {
        let x = rand_tensor(&[1, c_in, 4, 4, 4], 1, device);
        let w = rand_tensor(&[c_out, c_in, 3, 3, 3], 2, device);
        let b = rand_tensor(&[c_out], 3, device);
        check_gradients(
            &[x.clone(), w.clone(), b.clone()],
            |t| conv3d(&t[0], &t[1], Some(&t[2]), pad, stride).unwrap(),
            1e-6,
        );
        check_gradients(
            &[x, w, b],
            |t| conv3d_shifted(&t[0], &t[1], Some(&t[2]), pad, stride).unwrap(),
            1e-6,
        );
    }
}

test_device!(max_pool3d_matches_loops_and_gradients);
fn max_pool3d_matches_loops_and_gradients(device: &Device) {
    let s = [2, 3, 4, 6, 4];
    let x = rand_tensor(&s, 5, device);
    let got = max_pool3d(&x).unwrap();
    assert_eq!(got.dims(), &[2, 3, 2, 3, 2]);
    let xv = values(&x);
    let os = [2, 3, 2, 3, 2];
    let mut want = vec![f64::NEG_INFINITY; 72];
    for n in 0..2 {
        for c in 0..3 {
            for d in 0..4 {
                for h in 0..6 {
                    for w in 0..4 {
                        let o = at(&os, [n, c, d / 2, h / 2, w / 2]);
                        want[o] = want[o].max(xv[at(&s, [n, c, d, h, w])]);
                    }
                }
            }
        }
    }
    assert_eq!(max_abs_diff(&values(&got), &want), 0.0);
    check_gradients(
        &[rand_tensor(&[1, 2, 4, 4, 2], 6, device)],
        |t| max_pool3d(&t[0]).unwrap(),
        1e-6,
    );
    assert!(max_pool3d(&rand_tensor(&[1, 1, 3, 4, 4], 1, device)).is_err());
}

test_device!(upsample_matches_loops_and_gradients);
fn upsample_matches_loops_and_gradients(device: &Device) {
    let s = [1, 2, 2, 3, 2];
    let x = rand_tensor(&s, 7, device);
    let got = upsample_nearest3d(&x).unwrap();
    let os = [1, 2, 4, 6, 4];
    assert_eq!(got.dims(), &os);
    let xv = values(&x);
    let gv = values(&got);
    for c in 0..2 {
        for d in 0..4 {
            for h in 0..6 {
                for w in 0..4 {
                    assert_eq!(
                        gv[at(&os, [0, c, d, h, w])],
                        xv[at(&s, [0, c, d / 2, h / 2, w / 2])]
                    );
                }
            }
        }
    }
    check_gradients(&[x], |t| upsample_nearest3d(&t[0]).unwrap(), 1e-6);
}

test_device!(conv_transpose3d_matches_loops);
fn conv_transpose3d_matches_loops(device: &Device) {
    // (input shape, weight shape [in, out, k…], stride, padding, output padding)
    let cases: &[([usize; 5], [usize; 5], usize, usize, usize)] = &[
        ([2, 3, 3, 3, 3], [3, 2, 2, 2, 2], 2, 0, 0),
        ([1, 2, 3, 4, 3], [2, 3, 3, 3, 3], 2, 1, 1),
        ([1, 2, 4, 4, 4], [2, 2, 3, 3, 3], 1, 1, 0),
        ([1, 1, 2, 3, 2], [1, 2, 3, 3, 3], 2, 0, 0),
    ];
    for (i, (xs, ws, stride, pad, out_pad)) in cases.iter().enumerate() {
        let x = rand_tensor(xs, 40 + i as u64, device);
        let w = rand_tensor(ws, 50 + i as u64, device);
        let b = rand_tensor(&[ws[1]], 60 + i as u64, device);
        let got = conv_transpose3d(&x, &w, Some(&b), *stride, *pad, *out_pad).unwrap();
        let (want, os) = conv_transpose3d_loops(
            &values(&x),
            xs,
            &values(&w),
            ws,
            &values(&b),
            *stride,
            *pad,
            *out_pad,
        );
        assert_eq!(got.dims(), os.as_slice(), "case {i}");
        let d = max_abs_diff(&values(&got), &want);
        assert!(d < 1e-12, "case {i}: max abs diff {d}");
    }
}

test_device!(conv_transpose3d_gradients_match_finite_differences);
fn conv_transpose3d_gradients_match_finite_differences(device: &Device) {
    let x = rand_tensor(&[1, 2, 2, 2, 2], 8, device);
    let w = rand_tensor(&[2, 2, 2, 2, 2], 9, device);
    let b = rand_tensor(&[2], 10, device);
    check_gradients(
        &[x, w, b],
        |t| conv_transpose3d(&t[0], &t[1], Some(&t[2]), 2, 0, 0).unwrap(),
        1e-6,
    );
    let x = rand_tensor(&[1, 1, 2, 2, 2], 11, device);
    let w = rand_tensor(&[1, 2, 3, 3, 3], 12, device);
    check_gradients(
        &[x, w],
        |t| conv_transpose3d(&t[0], &t[1], None, 2, 1, 1).unwrap(),
        1e-6,
    );
}

test_device!(shape_errors_are_reported);
fn shape_errors_are_reported(device: &Device) {
    let x = rand_tensor(&[1, 2, 4, 4, 4], 1, device);
    let w = rand_tensor(&[2, 3, 3, 3, 3], 2, device);
    let err = conv3d(&x, &w, None, 1, 1).unwrap_err().to_string();
    assert!(
        err.contains("2 channels") && err.contains("expects 3"),
        "{err}"
    );
}

test_device!(max_pool3d_gradient_with_ties_goes_to_one_element);
/// Regression: with tied maxima (constant regions, common on masks) the gradient must reach
/// one element per window, not each tied one (candle's `max` reduction does the latter).
fn max_pool3d_gradient_with_ties_goes_to_one_element(device: &Device) {
    let x = candle_core::Var::from_tensor(
        &Tensor::ones((1, 1, 2, 2, 2), candle_core::DType::F64, device).unwrap(),
    )
    .unwrap();
    let g = max_pool3d(x.as_tensor())
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let gv = values(g.get(x.as_tensor()).unwrap());
    assert_eq!(gv.iter().sum::<f64>(), 1.0);
    assert_eq!(gv[0], 1.0, "the first element of the window, as PyTorch");
}
