//! cuDNN's 3D convolution as candle custom ops (the `cudnn` feature): the forward pass, the
//! input gradient and the weight gradient are one cuDNN call each.
//!
//! Why: on CUDA, [`ops3d::conv3d`](crate::ops3d::conv3d)'s im2col construction is fast
//! forward (an `index_select` gather and a cuBLAS batched matmul), but its backward is the
//! transpose of that gather, candle's `index_add`, whose CUDA kernel gives one thread to each
//! (batch, channel) row and walks the whole index (taps × voxels, ~7·10⁶ at 64³) serially:
//! a few hundred threads on a GPU of ~10⁵. cuDNN has native NCDHW kernels for all three.
//!
//! Only f32 and f64 tensors are handled (the model's and the tests' precisions); inputs are
//! made contiguous by the caller. Algorithms come from cuDNN's heuristics
//! (`cudnnGetConvolution*Algorithm_v7`), workspaces are allocated per call.
// cuDNN launches are FFI calls; each is made against descriptors built from the very shapes and
// dtypes of the buffers passed to it.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use candle_core::backend::BackendStorage;
use candle_core::cuda_backend::cudarc::cudnn::{
    sys, ConvBackwardData, ConvBackwardFilter, ConvDescriptor, ConvForward, Cudnn, CudnnDataType,
    FilterDescriptor, TensorDescriptor,
};
use candle_core::cuda_backend::cudarc::driver::{CudaSlice, DeviceRepr, ValidAsZeroBits};
use candle_core::cuda_backend::{CudaDType, CudaDevice, DeviceId};
use candle_core::{CpuStorage, CudaStorage, CustomOp2, DType, Layout, Shape, Tensor, WithDType};

use crate::error::Result;

thread_local! {
    // cuDNN handles are neither Send nor Sync: one per thread and device, as candle does.
    static HANDLES: RefCell<HashMap<DeviceId, Arc<Cudnn>>> = RefCell::new(HashMap::new());
}

fn handle(dev: &CudaDevice) -> candle_core::Result<Arc<Cudnn>> {
    HANDLES.with(|h| {
        if let Some(c) = h.borrow().get(&dev.id()) {
            return Ok(c.clone());
        }
        let c = Cudnn::new(dev.cuda_stream()).map_err(candle_core::Error::wrap)?;
        h.borrow_mut().insert(dev.id(), c.clone());
        Ok(c)
    })
}

/// Shapes of one convolution: input `[N, C, D, H, W]`, weight `[O, C, kD, kH, kW]`, output.
#[derive(Clone, Copy, Debug)]
struct Geom {
    x: [usize; 5],
    w: [usize; 5],
    y: [usize; 5],
    padding: usize,
    stride: usize,
}

/// Which of the three convolution computations an op performs.
#[derive(Clone, Copy, Debug)]
enum Pass {
    /// `(x, w) -> y`
    Forward,
    /// `(dy, w) -> dx`
    BackwardData,
    /// `(x, dy) -> dw`
    BackwardFilter,
}

#[derive(Clone, Copy, Debug)]
struct Conv3dOp {
    geom: Geom,
    pass: Pass,
}

/// 3D cross-correlation through cuDNN; same contract as [`crate::ops3d::conv3d`]. `x` and `w`
/// must live on a CUDA device.
pub fn conv3d(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    padding: usize,
    stride: usize,
) -> Result<Tensor> {
    let x5 = dims5(x.dims());
    let w5 = dims5(w.dims());
    let out = |i: usize, k: usize| (i + 2 * padding - k) / stride + 1;
    let y5 = [
        x5[0],
        w5[0],
        out(x5[2], w5[2]),
        out(x5[3], w5[3]),
        out(x5[4], w5[4]),
    ];
    let geom = Geom {
        x: x5,
        w: w5,
        y: y5,
        padding,
        stride,
    };
    let y = x.contiguous()?.apply_op2(
        &w.contiguous()?,
        Conv3dOp {
            geom,
            pass: Pass::Forward,
        },
    )?;
    Ok(match bias {
        Some(b) => y.broadcast_add(&b.reshape(vec![1, w5[0], 1, 1, 1])?)?,
        None => y,
    })
}

fn dims5(d: &[usize]) -> [usize; 5] {
    let mut a = [0; 5];
    a.copy_from_slice(d);
    a
}

fn strides(d: [usize; 5]) -> [i32; 5] {
    [
        (d[1] * d[2] * d[3] * d[4]) as i32,
        (d[2] * d[3] * d[4]) as i32,
        (d[3] * d[4]) as i32,
        d[4] as i32,
        1,
    ]
}

fn as_i32(d: [usize; 5]) -> [i32; 5] {
    d.map(|v| v as i32)
}

impl CustomOp2 for Conv3dOp {
    fn name(&self) -> &'static str {
        match self.pass {
            Pass::Forward => "cudnn-conv3d",
            Pass::BackwardData => "cudnn-conv3d-bwd-data",
            Pass::BackwardFilter => "cudnn-conv3d-bwd-filter",
        }
    }

    fn cpu_fwd(
        &self,
        _: &CpuStorage,
        _: &Layout,
        _: &CpuStorage,
        _: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        candle_core::bail!("{}: cuDNN runs on CUDA devices only", self.name())
    }

    fn cuda_fwd(
        &self,
        s1: &CudaStorage,
        l1: &Layout,
        s2: &CudaStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CudaStorage, Shape)> {
        if !l1.is_contiguous() || !l2.is_contiguous() {
            candle_core::bail!("{}: inputs must be contiguous", self.name());
        }
        match (s1.dtype(), s2.dtype()) {
            (DType::F32, DType::F32) => self.run::<f32>(s1, l1, s2, l2),
            (DType::F64, DType::F64) => self.run::<f64>(s1, l1, s2, l2),
            (a, b) => candle_core::bail!("{}: unsupported dtypes {a:?}, {b:?}", self.name()),
        }
    }

    fn bwd(
        &self,
        a1: &Tensor,
        a2: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        match self.pass {
            Pass::Forward => {
                let (x, w) = (a1, a2);
                let grad = grad.contiguous()?;
                let dx = grad.apply_op2_no_bwd(
                    &w.contiguous()?,
                    &Conv3dOp {
                        geom: self.geom,
                        pass: Pass::BackwardData,
                    },
                )?;
                let dw = x.contiguous()?.apply_op2_no_bwd(
                    &grad,
                    &Conv3dOp {
                        geom: self.geom,
                        pass: Pass::BackwardFilter,
                    },
                )?;
                Ok((Some(dx), Some(dw)))
            }
            // Second derivatives are never needed by the training loop.
            _ => candle_core::bail!("{}: no second derivative", self.name()),
        }
    }
}

impl Conv3dOp {
    fn run<T>(
        &self,
        s1: &CudaStorage,
        l1: &Layout,
        s2: &CudaStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CudaStorage, Shape)>
    where
        T: CudaDType + CudnnDataType + DeviceRepr + ValidAsZeroBits + WithDType,
    {
        let dev = s1.device().clone();
        let cudnn = handle(&dev)?;
        let g = self.geom;
        let p = g.padding as i32;
        let s = g.stride as i32;
        let conv: ConvDescriptor<T> = cudnn
            .create_convnd::<T>(
                &[p; 3],
                &[s; 3],
                &[1; 3],
                sys::cudnnConvolutionMode_t::CUDNN_CROSS_CORRELATION,
            )
            .map_err(candle_core::Error::wrap)?;
        let xd: TensorDescriptor<T> = cudnn
            .create_nd_tensor::<T>(&as_i32(g.x), &strides(g.x))
            .map_err(candle_core::Error::wrap)?;
        let yd: TensorDescriptor<T> = cudnn
            .create_nd_tensor::<T>(&as_i32(g.y), &strides(g.y))
            .map_err(candle_core::Error::wrap)?;
        let wd: FilterDescriptor<T> = cudnn
            .create_nd_filter::<T>(sys::cudnnTensorFormat_t::CUDNN_TENSOR_NCHW, &as_i32(g.w))
            .map_err(candle_core::Error::wrap)?;
        let a = s1.as_cuda_slice::<T>()?.slice(l1.start_offset()..);
        let b = s2.as_cuda_slice::<T>()?.slice(l2.start_offset()..);
        let scale = (T::from_f64(1.0), T::from_f64(0.0));
        let out_dims = match self.pass {
            Pass::Forward => g.y,
            Pass::BackwardData => g.x,
            Pass::BackwardFilter => g.w,
        };
        let mut out: CudaSlice<T> = dev.alloc_zeros::<T>(out_dims.iter().product())?;
        let wrap = candle_core::Error::wrap;
        match self.pass {
            Pass::Forward => {
                let op = ConvForward {
                    conv: &conv,
                    x: &xd,
                    w: &wd,
                    y: &yd,
                };
                let algo = op.pick_algorithm().map_err(wrap)?;
                let mut ws = workspace(&dev, op.get_workspace_size(algo).map_err(wrap)?)?;
                // SAFETY: `a` holds x (g.x, contiguous), `b` holds w (g.w), `out` has g.y
                // elements: exactly the descriptors' shapes and dtype.
                unsafe { op.launch(algo, Some(&mut ws), scale, &a, &b, &mut out) }.map_err(wrap)?;
            }
            Pass::BackwardData => {
                let op = ConvBackwardData {
                    conv: &conv,
                    dx: &xd,
                    w: &wd,
                    dy: &yd,
                };
                let algo = op.pick_algorithm().map_err(wrap)?;
                let mut ws = workspace(&dev, op.get_workspace_size(algo).map_err(wrap)?)?;
                // SAFETY: `a` holds dy (g.y), `b` holds w (g.w), `out` has g.x elements.
                unsafe { op.launch(algo, Some(&mut ws), scale, &mut out, &b, &a) }.map_err(wrap)?;
            }
            Pass::BackwardFilter => {
                let op = ConvBackwardFilter {
                    conv: &conv,
                    x: &xd,
                    dw: &wd,
                    dy: &yd,
                };
                let algo = op.pick_algorithm().map_err(wrap)?;
                let mut ws = workspace(&dev, op.get_workspace_size(algo).map_err(wrap)?)?;
                // SAFETY: `a` holds x (g.x), `b` holds dy (g.y), `out` has g.w elements.
                unsafe { op.launch(algo, Some(&mut ws), scale, &a, &mut out, &b) }.map_err(wrap)?;
            }
        }
        Ok((
            CudaStorage::wrap_cuda_slice(out, dev),
            Shape::from(out_dims.to_vec()),
        ))
    }
}

/// A cuDNN workspace of `bytes` (at least one byte, so the pointer is valid).
fn workspace(dev: &CudaDevice, bytes: usize) -> candle_core::Result<CudaSlice<u8>> {
    dev.alloc_zeros::<u8>(bytes.max(1))
}
