//! Layers with parameters: 3D convolution, transposed 3D convolution and linear, each owning
//! its weight and bias tensors (registered in a [`ParamStore`]) and initialised as PyTorch does.

use candle_core::Tensor;

use crate::error::Result;
use crate::ops3d;
use crate::params::ParamStore;

/// A 3D convolution with cubic kernel `k`, uniform padding and stride.
#[derive(Debug, Clone)]
pub struct Conv3d {
    /// `[out, in, k, k, k]`.
    pub weight: Tensor,
    /// `[out]`.
    pub bias: Tensor,
    /// Zero padding on every side.
    pub padding: usize,
    /// Stride on every axis.
    pub stride: usize,
}

impl Conv3d {
    /// Registers `{name}.weight` and `{name}.bias`.
    pub fn new(
        ps: &mut ParamStore,
        name: &str,
        c_in: usize,
        c_out: usize,
        k: usize,
        padding: usize,
        stride: usize,
    ) -> Result<Self> {
        let bound = 1.0 / ((c_in * k * k * k) as f64).sqrt();
        let weight = ps.uniform(&format!("{name}.weight"), &[c_out, c_in, k, k, k], bound)?;
        let bias = ps.uniform(&format!("{name}.bias"), &[c_out], bound)?;
        Ok(Self {
            weight,
            bias,
            padding,
            stride,
        })
    }

    /// Applies the convolution.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        ops3d::conv3d(x, &self.weight, Some(&self.bias), self.padding, self.stride)
    }
}

/// A transposed 3D convolution with cubic kernel `k` and stride `s` (no padding).
#[derive(Debug, Clone)]
pub struct ConvTranspose3d {
    /// `[in, out, k, k, k]` (PyTorch's layout).
    pub weight: Tensor,
    /// `[out]`.
    pub bias: Tensor,
    /// Stride on every axis.
    pub stride: usize,
}

impl ConvTranspose3d {
    /// Registers `{name}.weight` and `{name}.bias`.
    pub fn new(
        ps: &mut ParamStore,
        name: &str,
        c_in: usize,
        c_out: usize,
        k: usize,
        stride: usize,
    ) -> Result<Self> {
        // PyTorch computes fan_in of a transposed conv weight from dim 1 (= out channels).
        let bound = 1.0 / ((c_out * k * k * k) as f64).sqrt();
        let weight = ps.uniform(&format!("{name}.weight"), &[c_in, c_out, k, k, k], bound)?;
        let bias = ps.uniform(&format!("{name}.bias"), &[c_out], bound)?;
        Ok(Self {
            weight,
            bias,
            stride,
        })
    }

    /// Applies the transposed convolution.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        ops3d::conv_transpose3d(x, &self.weight, Some(&self.bias), self.stride, 0, 0)
    }
}

/// A fully connected layer `y = x Wᵀ + b`.
#[derive(Debug, Clone)]
pub struct Linear {
    /// `[out, in]`.
    pub weight: Tensor,
    /// `[out]`.
    pub bias: Tensor,
}

impl Linear {
    /// Registers `{name}.weight` and `{name}.bias`.
    pub fn new(ps: &mut ParamStore, name: &str, d_in: usize, d_out: usize) -> Result<Self> {
        let bound = 1.0 / (d_in as f64).sqrt();
        let weight = ps.uniform(&format!("{name}.weight"), &[d_out, d_in], bound)?;
        let bias = ps.uniform(&format!("{name}.bias"), &[d_out], bound)?;
        Ok(Self { weight, bias })
    }

    /// Applies the layer to `[N, in]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.matmul(&self.weight.t()?)?.broadcast_add(&self.bias)?)
    }
}
