//! 3D operations built from candle's differentiable primitives (candle has no 3D convolution,
//! pooling or upsampling). Tensors are `[batch, channels, depth, height, width]`.
//!
//! - [`conv3d`]: explicit im2col: one `index_select` on the flattened padded input gathers
//!   every (kernel tap, output voxel) pair into `[N, C·kD·kH·kW, D·H·W]`, then one batched
//!   matmul with the weight. Its backward is one scatter-add and two matmuls (candle's CPU
//!   conv2d backward goes through a naive transposed convolution, many times slower here).
//!   With fewer output than input channels (stride 1) the channels are mixed first and the
//!   taps gathered afterwards, which moves O/C as much data.
//! - [`conv3d_shifted`]: the same columns built from `narrow`ed windows (backward: padding
//!   copies, no scatter); what [`conv3d`] runs on CUDA without cuDNN.
//! - [`conv3d_via_conv2d`]: the depth axis unrolled into channels (the `kD` input slices each
//!   output depth needs, gathered with one `index_select`), then one conv2d with the weight
//!   viewed as `[O, C·kD, kH, kW]`, batched over depth; kept for backends whose conv2d is fast.
//! - [`max_pool3d`]: 2×2×2 windows gathered into a last axis of 8; argmax + gather, so the
//!   gradient reaches exactly one element per window as in PyTorch.
//! - [`upsample_nearest3d`]: ×2 by reshape + broadcast.
//! - [`conv_transpose3d`]: kernel = stride = 2, padding 0 as one matmul plus a 3D pixel shuffle;
//!   any other geometry as a stride-1 conv3d of the zero-interleaved input with the flipped kernel.
//!
//! Every construction is checked against direct loops and finite differences in the tests.
//!
//! On CUDA (see docs/gpu.md): forward, everything here is gathers, copies and cuBLAS matmuls.
//! Backward, `index_select` becomes candle's `index_add`, whose CUDA kernel is serial along
//! the indexed axis (one thread per batch × channel row): [`conv3d`]'s input gradient is that
//! kernel over taps × voxels, so [`conv3d`] on a CUDA device runs [`conv3d_shifted`] instead,
//! or with the `cudnn` feature cuDNN's own kernels (`cudnn3d`). [`max_pool3d`]'s `gather` backward is `scatter_add` over a last
//! axis of 8 (parallel over all windows); [`upsample_nearest3d`]'s is a sum over broadcast
//! axes; the k = s = 2 [`conv_transpose3d`] is a matmul both ways.

use candle_core::{DType, Tensor};

use crate::error::{ensure_config, Result};

/// 3D cross-correlation (PyTorch's `conv3d`): `x` `[N, C, D, H, W]`, `w` `[O, C, kD, kH, kW]`,
/// optional bias `[O]`, the same zero `padding` and `stride` on every spatial axis.
pub fn conv3d(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    padding: usize,
    stride: usize,
) -> Result<Tensor> {
    let (n, c, d, h, wd) = x.dims5()?;
    let (o, cw, kd, kh, kw) = w.dims5()?;
    check_conv(c, cw, [d, h, wd], [kd, kh, kw], padding, stride)?;
    // On CUDA the im2col backward below is candle's `index_add`, a serial loop per channel row
    // there: use cuDNN's kernels when built with it, else the slicing construction.
    #[cfg(feature = "cudnn")]
    if x.device().is_cuda() {
        return crate::cudnn3d::conv3d(x, w, bias, padding, stride);
    }
    if x.device().is_cuda() {
        return conv3d_shifted(x, w, bias, padding, stride);
    }
    let out = |i: usize, k: usize| (i + 2 * padding - k) / stride + 1;
    let (od, oh, ow) = (out(d, kd), out(h, kh), out(wd, kw));
    let xp = if padding > 0 {
        x.pad_with_zeros(2, padding, padding)?
            .pad_with_zeros(3, padding, padding)?
            .pad_with_zeros(4, padding, padding)?
    } else {
        x.clone()
    };
    let (pd, ph, pw) = (d + 2 * padding, h + 2 * padding, wd + 2 * padding);
    let k = kd * kh * kw;
    let p = od * oh * ow;
    if stride == 1 && o < c {
        // Fewer outputs than inputs (e.g. the decoder's last layer): mix channels first on the
        // padded grid, `[O·taps, C] × [C, voxels]`, then gather and sum the taps. The gathered
        // tensor holds O·taps·voxels values instead of im2col's C·taps·voxels.
        let lp = pd * ph * pw;
        let mut idx = Vec::with_capacity(k * p);
        let mut t = 0;
        for a in 0..kd {
            for b in 0..kh {
                for e in 0..kw {
                    for zd in 0..od {
                        for zh in 0..oh {
                            for zw in 0..ow {
                                idx.push((t * lp + ((zd + a) * ph + zh + b) * pw + zw + e) as u32);
                            }
                        }
                    }
                    t += 1;
                }
            }
        }
        let idx = Tensor::from_vec(idx, k * p, x.device())?;
        let w2 = w
            .reshape(vec![o, c, k])?
            .transpose(1, 2)?
            .contiguous()?
            .reshape(vec![1, o * k, c])?;
        let xf = xp.contiguous()?.reshape(vec![n, c, lp])?;
        let mixed = w2
            .broadcast_as(vec![n, o * k, c])?
            .matmul(&xf)?
            .reshape(vec![n, o, k * lp])?;
        let y = mixed
            .index_select(&idx, 2)?
            .reshape(vec![n, o, k, p])?
            .sum(2)?
            .reshape(vec![n, o, od, oh, ow])?;
        return Ok(match bias {
            Some(b) => y.broadcast_add(&b.reshape(vec![1, o, 1, 1, 1])?)?,
            None => y,
        });
    }
    // Flat index into the padded volume of (tap, output voxel), taps outer.
    let mut idx = Vec::with_capacity(k * p);
    for a in 0..kd {
        for b in 0..kh {
            for e in 0..kw {
                for zd in 0..od {
                    for zh in 0..oh {
                        for zw in 0..ow {
                            let (id, ih, iw) = (zd * stride + a, zh * stride + b, zw * stride + e);
                            idx.push(((id * ph + ih) * pw + iw) as u32);
                        }
                    }
                }
            }
        }
    }
    let idx = Tensor::from_vec(idx, k * p, x.device())?;
    let cols = xp
        .contiguous()?
        .reshape(vec![n, c, pd * ph * pw])?
        .index_select(&idx, 2)?
        .reshape(vec![n, c * k, p])?;
    let y = w
        .reshape(vec![1, o, c * k])?
        .broadcast_as(vec![n, o, c * k])?
        .matmul(&cols)?
        .reshape(vec![n, o, od, oh, ow])?;
    Ok(match bias {
        Some(b) => y.broadcast_add(&b.reshape(vec![1, o, 1, 1, 1])?)?,
        None => y,
    })
}

/// [`conv3d`] with the taps gathered by slicing: each tap's (strided) window of the padded input
/// is a `narrow`, the windows are stacked into `[N, C·kD·kH·kW, D·H·W]` and multiplied by the
/// weight in one batched matmul. The same data movement as the im2col gather, but its backward
/// is zero-padding copies and additions instead of `index_add`, whose CUDA kernel runs each
/// (batch, channel) row serially: this is the CUDA path without cuDNN.
pub fn conv3d_shifted(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    padding: usize,
    stride: usize,
) -> Result<Tensor> {
    let (n, c, d, h, wd) = x.dims5()?;
    let (o, cw, kd, kh, kw) = w.dims5()?;
    check_conv(c, cw, [d, h, wd], [kd, kh, kw], padding, stride)?;
    let s = stride;
    let out = |i: usize, k: usize| (i + 2 * padding - k) / s + 1;
    let (od, oh, ow) = (out(d, kd), out(h, kh), out(wd, kw));
    let p = od * oh * ow;
    // With stride s a window is `s·out` long from its tap offset, then every s-th element:
    // pad s-1 more zeros at the far end so that length always fits.
    let (lo, hi) = (padding, padding + s - 1);
    let xp = if lo + hi > 0 {
        x.pad_with_zeros(2, lo, hi)?
            .pad_with_zeros(3, lo, hi)?
            .pad_with_zeros(4, lo, hi)?
    } else {
        x.clone()
    };
    let mut taps = Vec::with_capacity(kd * kh * kw);
    for a in 0..kd {
        for b in 0..kh {
            for e in 0..kw {
                let t = xp
                    .narrow(2, a, s * od)?
                    .narrow(3, b, s * oh)?
                    .narrow(4, e, s * ow)?;
                let t = if s > 1 {
                    t.reshape(vec![n, c, od, s, oh, s, ow, s])?
                        .narrow(3, 0, 1)?
                        .narrow(5, 0, 1)?
                        .narrow(7, 0, 1)?
                } else {
                    t
                };
                taps.push(t.reshape(vec![n, c, p])?);
            }
        }
    }
    // Row ci·taps + t, the order of the weight viewed as [O, C·kD·kH·kW].
    let cols = Tensor::stack(&taps, 2)?.reshape(vec![n, c * kd * kh * kw, p])?;
    let y = w
        .reshape(vec![1, o, c * kd * kh * kw])?
        .broadcast_as(vec![n, o, c * kd * kh * kw])?
        .matmul(&cols)?
        .reshape(vec![n, o, od, oh, ow])?;
    Ok(match bias {
        Some(b) => y.broadcast_add(&b.reshape(vec![1, o, 1, 1, 1])?)?,
        None => y,
    })
}

fn check_conv(
    c: usize,
    cw: usize,
    size: [usize; 3],
    k: [usize; 3],
    padding: usize,
    stride: usize,
) -> Result<()> {
    ensure_config!(
        c == cw,
        "conv3d: input has {c} channels, weight expects {cw}"
    );
    ensure_config!(stride >= 1, "conv3d: stride must be at least 1");
    ensure_config!(
        (0..3).all(|i| size[i] + 2 * padding >= k[i]),
        "conv3d: kernel {k:?} larger than padded input {size:?} (padding {padding})"
    );
    Ok(())
}

/// [`conv3d`] as one conv2d over depth-shifted slices stacked into channels.
pub fn conv3d_via_conv2d(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    padding: usize,
    stride: usize,
) -> Result<Tensor> {
    let (n, c, d, h, wd) = x.dims5()?;
    let (o, cw, kd, kh, kw) = w.dims5()?;
    ensure_config!(
        c == cw,
        "conv3d: input has {c} channels, weight expects {cw}"
    );
    ensure_config!(stride >= 1, "conv3d: stride must be at least 1");
    ensure_config!(
        d + 2 * padding >= kd && h + 2 * padding >= kh && wd + 2 * padding >= kw,
        "conv3d: kernel {kd}x{kh}x{kw} larger than padded input {d}x{h}x{wd} (padding {padding})"
    );
    let d_out = (d + 2 * padding - kd) / stride + 1;
    let xp = if padding > 0 {
        x.pad_with_zeros(2, padding, padding)?
    } else {
        x.contiguous()?
    };
    // Input depth index of (kernel tap k, output depth t) is k + stride·t.
    let idx: Vec<u32> = (0..kd)
        .flat_map(|k| (0..d_out).map(move |t| (k + stride * t) as u32))
        .collect();
    let idx = Tensor::from_vec(idx, kd * d_out, x.device())?;
    let slices = xp
        .index_select(&idx, 2)?
        .reshape(vec![n, c, kd, d_out, h, wd])?
        .permute(vec![0, 3, 1, 2, 4, 5])?
        .reshape(vec![n * d_out, c * kd, h, wd])?;
    let w2 = w.reshape(vec![o, c * kd, kh, kw])?;
    let y = slices.conv2d(&w2, padding, stride, 1, 1)?;
    let (_, _, ho, wo) = y.dims4()?;
    let y = y
        .reshape(vec![n, d_out, o, ho, wo])?
        .permute(vec![0, 2, 1, 3, 4])?;
    Ok(match bias {
        Some(b) => y.broadcast_add(&b.reshape(vec![1, o, 1, 1, 1])?)?,
        None => y,
    })
}

/// Max pooling over non-overlapping 2×2×2 windows; every spatial size must be even.
///
/// The gradient goes to the first maximum of each window (in depth, height, width order), as
/// in PyTorch. candle's `max` reduction would hand the full gradient to every tied element,
/// and ties are the rule here: a convolution over the empty part of a mask is constant.
pub fn max_pool3d(x: &Tensor) -> Result<Tensor> {
    let (n, c, d, h, w) = x.dims5()?;
    ensure_config!(
        d % 2 == 0 && h % 2 == 0 && w % 2 == 0,
        "max_pool3d: spatial size {d}x{h}x{w} is not even"
    );
    let windows = x
        .reshape(vec![n, c, d / 2, 2, h / 2, 2, w / 2, 2])?
        .permute(vec![0, 1, 2, 4, 6, 3, 5, 7])?
        .reshape(vec![n, c, d / 2, h / 2, w / 2, 8])?;
    let first = windows.argmax_keepdim(5)?;
    Ok(windows.gather(&first, 5)?.squeeze(5)?)
}

/// Nearest-neighbour upsampling by 2 on every spatial axis.
pub fn upsample_nearest3d(x: &Tensor) -> Result<Tensor> {
    let (n, c, d, h, w) = x.dims5()?;
    Ok(x.reshape(vec![n, c, d, 1, h, 1, w, 1])?
        .broadcast_as(vec![n, c, d, 2, h, 2, w, 2])?
        .reshape(vec![n, c, 2 * d, 2 * h, 2 * w])?)
}

/// Transposed 3D convolution (PyTorch's `conv_transpose3d`): `x` `[N, C, D, H, W]`,
/// `w` `[C, O, kD, kH, kW]`, optional bias `[O]`, uniform `stride`, `padding` and
/// `output_padding`.
pub fn conv_transpose3d(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    output_padding: usize,
) -> Result<Tensor> {
    let (n, c, d, h, wd) = x.dims5()?;
    let (cw, o, kd, kh, kw) = w.dims5()?;
    ensure_config!(
        c == cw,
        "conv_transpose3d: input has {c} channels, weight expects {cw}"
    );
    ensure_config!(stride >= 1, "conv_transpose3d: stride must be at least 1");
    ensure_config!(
        output_padding < stride.max(1) && padding < kd.min(kh).min(kw),
        "conv_transpose3d: output_padding {output_padding} must be below stride {stride} and padding {padding} below the kernel size"
    );
    let y = if kd == stride && kh == stride && kw == stride && padding == 0 && output_padding == 0 {
        // Each input voxel writes its own disjoint k³ block: one matmul + a pixel shuffle.
        let k = stride;
        let xm = x
            .permute(vec![0, 2, 3, 4, 1])?
            .reshape(vec![n * d * h * wd, c])?;
        let wm = w.reshape(vec![c, o * k * k * k])?;
        xm.matmul(&wm)?
            .reshape(vec![n, d, h, wd, o, k, k, k])?
            .permute(vec![0, 4, 1, 5, 2, 6, 3, 7])?
            .reshape(vec![n, o, d * k, h * k, wd * k])?
    } else {
        // Zero-interleave the input by the stride, pad by k-1-p (+ output padding at the end),
        // and correlate with the spatially flipped kernel, channels swapped.
        let xs = dilate(x, stride)?;
        let xs = pad_asym(
            &xs,
            kd - 1 - padding,
            kh - 1 - padding,
            kw - 1 - padding,
            output_padding,
        )?;
        let wf = flip_spatial(w)?.transpose(0, 1)?.contiguous()?;
        conv3d(&xs, &wf, None, 0, 1)?
    };
    Ok(match bias {
        Some(b) => y.broadcast_add(&b.reshape(vec![1, o, 1, 1, 1])?)?,
        None => y,
    })
}

/// Inserts `s - 1` zeros between neighbouring voxels on every spatial axis.
fn dilate(x: &Tensor, s: usize) -> Result<Tensor> {
    if s == 1 {
        return Ok(x.clone());
    }
    let (n, c, d, h, w) = x.dims5()?;
    let y = x
        .reshape(vec![n, c, d, 1, h, 1, w, 1])?
        .pad_with_zeros(3, 0, s - 1)?
        .pad_with_zeros(5, 0, s - 1)?
        .pad_with_zeros(7, 0, s - 1)?
        .reshape(vec![n, c, d * s, h * s, w * s])?;
    Ok(y.narrow(2, 0, (d - 1) * s + 1)?
        .narrow(3, 0, (h - 1) * s + 1)?
        .narrow(4, 0, (w - 1) * s + 1)?)
}

/// Zero padding `pd`/`ph`/`pw` on both sides of each spatial axis plus `extra` at the far end.
fn pad_asym(x: &Tensor, pd: usize, ph: usize, pw: usize, extra: usize) -> Result<Tensor> {
    Ok(x.pad_with_zeros(2, pd, pd + extra)?
        .pad_with_zeros(3, ph, ph + extra)?
        .pad_with_zeros(4, pw, pw + extra)?)
}

/// Reverses the three spatial axes of a `[A, B, kD, kH, kW]` kernel.
fn flip_spatial(w: &Tensor) -> Result<Tensor> {
    let mut out = w.clone();
    for axis in 2..5 {
        let k = w.dim(axis)?;
        let idx: Vec<u32> = (0..k as u32).rev().collect();
        out = out
            .contiguous()?
            .index_select(&Tensor::from_vec(idx, k, w.device())?, axis)?;
    }
    Ok(out)
}

/// Element-wise logistic function, numerically safe for large |x|.
pub fn sigmoid(x: &Tensor) -> Result<Tensor> {
    Ok(candle_nn::ops::sigmoid(x)?)
}

/// Casts to f32 if needed (the model's working precision).
pub fn as_f32(x: &Tensor) -> Result<Tensor> {
    Ok(if x.dtype() == DType::F32 {
        x.clone()
    } else {
        x.to_dtype(DType::F32)?
    })
}
