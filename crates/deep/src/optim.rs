//! AdamW (decoupled weight decay, as PyTorch's `torch.optim.AdamW`) whose moments can be saved
//! and restored, so a resumed run takes exactly the steps an uninterrupted run would.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{DeepError, Result};
use crate::params::ParamStore;

/// Hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamWConfig {
    /// Learning rate.
    pub lr: f64,
    /// β₁.
    pub beta1: f64,
    /// β₂.
    pub beta2: f64,
    /// ε.
    pub eps: f64,
    /// Decoupled weight decay (0 unless asked for).
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

/// The optimizer and its state.
#[derive(Debug)]
pub struct AdamW {
    /// Hyper-parameters.
    pub config: AdamWConfig,
    /// Steps taken.
    pub step: u64,
    m: HashMap<String, Tensor>,
    v: HashMap<String, Tensor>,
}

impl AdamW {
    /// A fresh optimizer.
    pub fn new(config: AdamWConfig) -> Self {
        Self {
            config,
            step: 0,
            m: HashMap::new(),
            v: HashMap::new(),
        }
    }

    /// One step: `grads` maps parameter names to gradients; parameters without a gradient
    /// (an inactive head) are left untouched, moments included.
    pub fn apply(&mut self, params: &ParamStore, grads: &HashMap<String, Tensor>) -> Result<()> {
        self.step += 1;
        let c = self.config;
        let t = self.step as i32;
        let (c1, c2) = (1.0 - c.beta1.powi(t), 1.0 - c.beta2.powi(t));
        for (name, var) in params.iter() {
            let Some(g) = grads.get(name) else { continue };
            let m = match self.m.get(name) {
                Some(m) => (m.affine(c.beta1, 0.0)? + g.affine(1.0 - c.beta1, 0.0)?)?,
                None => g.affine(1.0 - c.beta1, 0.0)?,
            };
            let g2 = g.sqr()?;
            let v = match self.v.get(name) {
                Some(v) => (v.affine(c.beta2, 0.0)? + g2.affine(1.0 - c.beta2, 0.0)?)?,
                None => g2.affine(1.0 - c.beta2, 0.0)?,
            };
            let update = m
                .affine(1.0 / c1, 0.0)?
                .div(&v.affine(1.0 / c2, 0.0)?.sqrt()?.affine(1.0, c.eps)?)?;
            let p = var.as_tensor();
            let decayed = if c.weight_decay > 0.0 {
                p.affine(1.0 - c.lr * c.weight_decay, 0.0)?
            } else {
                p.clone()
            };
            var.set(&(decayed - update.affine(c.lr, 0.0)?)?)?;
            self.m.insert(name.to_string(), m);
            self.v.insert(name.to_string(), v);
        }
        Ok(())
    }

    /// The moments as named tensors (`m.<name>`, `v.<name>`).
    pub fn tensors(&self, prefix: &str) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        for (k, t) in &self.m {
            out.insert(format!("{prefix}m.{k}"), t.clone());
        }
        for (k, t) in &self.v {
            out.insert(format!("{prefix}v.{k}"), t.clone());
        }
        out
    }

    /// Restores the moments from tensors written by [`AdamW::tensors`] and the step count.
    pub fn restore(
        &mut self,
        source: &HashMap<String, Tensor>,
        prefix: &str,
        step: u64,
        device: &Device,
        path: &Path,
    ) -> Result<()> {
        self.step = step;
        self.m.clear();
        self.v.clear();
        for (k, t) in source {
            let Some(rest) = k.strip_prefix(prefix) else {
                continue;
            };
            let t = t.to_device(device)?;
            if let Some(name) = rest.strip_prefix("m.") {
                self.m.insert(name.to_string(), t);
            } else if let Some(name) = rest.strip_prefix("v.") {
                self.v.insert(name.to_string(), t);
            } else {
                return Err(DeepError::Checkpoint {
                    path: path.into(),
                    message: format!("unexpected optimizer tensor {k:?}"),
                });
            }
        }
        Ok(())
    }
}
