//! Named trainable parameters with seeded initialisation and safetensors IO.
//!
//! candle's `VarMap` draws its initial values from an unseeded generator; a reproducible run
//! (same seed, same weights; exact resume) needs the values drawn here from a seeded ChaCha
//! stream in a fixed order.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{DeepError, Result};

/// The parameters of a model, by name, in creation order.
#[derive(Debug)]
pub struct ParamStore {
    device: Device,
    rng: ChaCha8Rng,
    vars: BTreeMap<String, Var>,
    order: Vec<String>,
}

impl ParamStore {
    /// An empty store whose initial values derive from `seed`.
    pub fn new(device: &Device, seed: u64) -> Self {
        Self {
            device: device.clone(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            vars: BTreeMap::new(),
            order: Vec::new(),
        }
    }

    /// The device the parameters live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// A new parameter drawn uniformly from `[-bound, bound]` (PyTorch's default layer
    /// initialisation uses `bound = 1/sqrt(fan_in)` for weights and biases).
    pub fn uniform(&mut self, name: &str, shape: &[usize], bound: f64) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        let values: Vec<f32> = (0..n)
            .map(|_| self.rng.random_range(-bound..=bound) as f32)
            .collect();
        self.insert(
            name,
            Tensor::from_vec(values, shape.to_vec(), &self.device)?,
        )
    }

    /// A new parameter with the given value.
    pub fn insert(&mut self, name: &str, value: Tensor) -> Result<Tensor> {
        if self.vars.contains_key(name) {
            return Err(DeepError::Config(format!(
                "parameter {name:?} defined twice"
            )));
        }
        let var = Var::from_tensor(&value.to_device(&self.device)?.to_dtype(DType::F32)?)?;
        let t = var.as_tensor().clone();
        self.vars.insert(name.to_string(), var);
        self.order.push(name.to_string());
        Ok(t)
    }

    /// Names in creation order.
    pub fn names(&self) -> &[String] {
        &self.order
    }

    /// The variable called `name`.
    pub fn var(&self, name: &str) -> Option<&Var> {
        self.vars.get(name)
    }

    /// All (name, variable) pairs in creation order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Var)> {
        self.order.iter().map(|n| (n.as_str(), &self.vars[n]))
    }

    /// Total number of scalar parameters.
    pub fn count(&self) -> usize {
        self.vars.values().map(|v| v.elem_count()).sum()
    }

    /// The current values by name (for saving).
    pub fn tensors(&self, prefix: &str) -> HashMap<String, Tensor> {
        self.vars
            .iter()
            .map(|(k, v)| (format!("{prefix}{k}"), v.as_tensor().clone()))
            .collect()
    }

    /// Overwrites every parameter with the tensor of the same name (after `prefix`) from
    /// `source`; a missing or mis-shaped tensor is an error naming `path`.
    pub fn assign_from(
        &self,
        source: &HashMap<String, Tensor>,
        prefix: &str,
        path: &Path,
    ) -> Result<()> {
        for (name, var) in &self.vars {
            let key = format!("{prefix}{name}");
            let t = source.get(&key).ok_or_else(|| DeepError::Checkpoint {
                path: path.into(),
                message: format!("tensor {key:?} is missing"),
            })?;
            if t.dims() != var.dims() {
                return Err(DeepError::Checkpoint {
                    path: path.into(),
                    message: format!(
                        "tensor {key:?} has shape {:?}, the model expects {:?}",
                        t.dims(),
                        var.dims()
                    ),
                });
            }
            var.set(&t.to_device(&self.device)?.to_dtype(DType::F32)?)?;
        }
        Ok(())
    }

    /// Saves all parameters as safetensors.
    pub fn save(&self, path: &Path) -> Result<()> {
        candle_core::safetensors::save(&self.tensors(""), path)?;
        Ok(())
    }

    /// Loads all parameters from a safetensors file written by [`ParamStore::save`].
    pub fn load(&self, path: &Path) -> Result<()> {
        let map = candle_core::safetensors::load(path, &self.device)?;
        self.assign_from(&map, "", path)
    }
}
