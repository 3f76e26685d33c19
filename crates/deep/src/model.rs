//! The multi-task 3D convolutional autoencoder.
//!
//! Encoder: per level a Conv3d(3³, padding 1)–ReLU–MaxPool3d(2), then a Conv3d(3³)–ReLU and a
//! linear layer to the bottleneck `z` (the last shared layer). Decoder (mirror): linear–ReLU,
//! per level an upsampling step (transposed conv k2 s2, or nearest ×2 + Conv3d(3³)) with ReLU,
//! and a final Conv3d(3³) to one channel of logits (sigmoid = reconstruction). Heads on `z`:
//! MLP → structure logits (softmax), MLP → volume (log volume as a z-score within the item's
//! structure). The strided residual variant ([`crate::residual`]) replaces pooling by strided
//! convolutions with concatenated skips and dropout; the bottleneck and heads are the same.

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{ensure_config, Result};
use crate::layers::{Conv3d, ConvTranspose3d, Linear};
use crate::ops3d::{max_pool3d, upsample_nearest3d};
use crate::params::ParamStore;
use crate::residual::{residual_concat, Architecture, DropoutState};

/// How the decoder doubles the spatial size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Upsampling {
    /// Transposed convolution with kernel 2, stride 2.
    #[default]
    Transpose,
    /// Nearest-neighbour ×2 followed by a 3³ convolution.
    Nearest,
}

/// The architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Side of the cubic input (divisible by 2^levels).
    pub size: usize,
    /// Feature maps per encoder level (default 8, 16, 32).
    pub feature_maps: Vec<usize>,
    /// Bottleneck width (default 64).
    pub bottleneck: usize,
    /// Number of structures (classes).
    pub n_classes: usize,
    /// Hidden width of both heads' MLPs.
    pub head_hidden: usize,
    /// Decoder upsampling.
    pub upsampling: Upsampling,
    /// Encoder/decoder design.
    #[serde(default)]
    pub architecture: Architecture,
    /// Dropout probability after each level of the strided residual variant.
    #[serde(default)]
    pub dropout: f64,
    /// Other structures' masks as extra input or output channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<crate::context::ContextSpec>,
}

impl ModelConfig {
    /// The defaults of the study for `size`³ inputs and `n_classes` structures.
    pub fn new(size: usize, n_classes: usize) -> Self {
        Self {
            size,
            feature_maps: vec![8, 16, 32],
            bottleneck: 64,
            n_classes,
            head_hidden: 32,
            upsampling: Upsampling::Transpose,
            architecture: Architecture::Plain,
            dropout: 0.0,
            context: None,
        }
    }

    /// Channels the encoder reads: the structure, plus the context in input mode.
    pub fn in_channels(&self) -> usize {
        match &self.context {
            Some(c) if c.mode == crate::context::ContextMode::Input => 1 + c.structures.len(),
            _ => 1,
        }
    }

    /// Channels the decoder reconstructs: the structure, plus the context in output mode.
    pub fn out_channels(&self) -> usize {
        match &self.context {
            Some(c) if c.mode == crate::context::ContextMode::Output => 1 + c.structures.len(),
            _ => 1,
        }
    }

    /// Checks the sizes fit together.
    pub fn validate(&self) -> Result<()> {
        ensure_config!(
            !self.feature_maps.is_empty(),
            "at least one encoder level is needed"
        );
        ensure_config!(
            self.feature_maps.iter().all(|&f| f > 0),
            "feature maps must be positive"
        );
        let div = 1usize << self.feature_maps.len();
        ensure_config!(
            self.size >= div && self.size % div == 0,
            "input size {} must be a multiple of 2^levels = {div}",
            self.size
        );
        ensure_config!(
            self.bottleneck > 0 && self.head_hidden > 0,
            "bottleneck and head widths must be positive"
        );
        ensure_config!(self.n_classes >= 1, "at least one structure is needed");
        if let Some(c) = &self.context {
            c.validate()?;
        }
        ensure_config!(
            (0.0..1.0).contains(&self.dropout),
            "dropout must be in [0, 1), got {}",
            self.dropout
        );
        Ok(())
    }

    /// Side of the deepest feature map.
    pub fn deep_side(&self) -> usize {
        self.size >> self.feature_maps.len()
    }

    /// Length of the flattened input of the bottleneck layer.
    pub fn flat_len(&self) -> usize {
        self.feature_maps[self.feature_maps.len() - 1] * self.deep_side().pow(3)
    }
}

/// One decoder upsampling step.
#[derive(Debug, Clone)]
enum Up {
    Transpose(ConvTranspose3d),
    Nearest(Conv3d),
}

/// The network.
#[derive(Debug)]
pub struct Model {
    /// The architecture.
    pub config: ModelConfig,
    /// All trainable parameters.
    pub params: ParamStore,
    enc: Vec<Conv3d>,
    enc_last: Conv3d,
    /// The last shared layer (GradNorm takes gradient norms at its weight).
    pub bottleneck: Linear,
    dec_fc: Linear,
    dec_up: Vec<Up>,
    dec_out: Conv3d,
    cls1: Linear,
    cls2: Linear,
    vol1: Linear,
    vol2: Linear,
    /// Strided residual variant: the concatenated-skip convolutions of the encoder and decoder.
    enc_res: Vec<Conv3d>,
    dec_res: Vec<Conv3d>,
    /// Seeded dropout (on only inside a training step).
    pub dropout: DropoutState,
}

/// Everything a forward pass produces.
#[derive(Debug)]
pub struct Outputs {
    /// Bottleneck vectors `[N, bottleneck]`.
    pub z: Tensor,
    /// Reconstruction logits `[N, 1, S, S, S]`.
    pub recon_logits: Tensor,
    /// Structure logits `[N, classes]`.
    pub class_logits: Tensor,
    /// Volume predictions `[N]` (z-scores within structure).
    pub volume: Tensor,
}

impl Model {
    /// A freshly initialised model on `device`; the same seed gives the same weights.
    pub fn new(config: ModelConfig, device: &Device, seed: u64) -> Result<Self> {
        config.validate()?;
        let mut ps = ParamStore::new(device, seed);
        let fm = &config.feature_maps;
        let residual = config.architecture == Architecture::StridedResidual;
        // A residual level outputs its input and its convolution's output side by side.
        let widen = if residual { 2 } else { 1 };
        let stride = if residual { 2 } else { 1 };
        let mut enc = Vec::new();
        let mut enc_res = Vec::new();
        let mut c_in = config.in_channels();
        for (i, &f) in fm.iter().enumerate() {
            enc.push(Conv3d::new(
                &mut ps,
                &format!("enc.{i}"),
                c_in,
                f,
                3,
                1,
                stride,
            )?);
            if residual {
                enc_res.push(Conv3d::new(
                    &mut ps,
                    &format!("enc.res.{i}"),
                    f,
                    f,
                    3,
                    1,
                    1,
                )?);
            }
            c_in = f * widen;
        }
        let last = fm[fm.len() - 1];
        let enc_last = Conv3d::new(&mut ps, "enc.last", last * widen, last, 3, 1, 1)?;
        let bottleneck = Linear::new(&mut ps, "bottleneck", config.flat_len(), config.bottleneck)?;
        let dec_fc = Linear::new(&mut ps, "dec.fc", config.bottleneck, config.flat_len())?;
        let mut dec_up = Vec::new();
        let mut dec_res = Vec::new();
        let mut c_in = last;
        for i in (0..fm.len()).rev() {
            let c_out = if i == 0 { fm[0] } else { fm[i - 1] };
            let name = format!("dec.up.{i}");
            dec_up.push(match config.upsampling {
                Upsampling::Transpose => {
                    Up::Transpose(ConvTranspose3d::new(&mut ps, &name, c_in, c_out, 2, 2)?)
                }
                Upsampling::Nearest => {
                    Up::Nearest(Conv3d::new(&mut ps, &name, c_in, c_out, 3, 1, 1)?)
                }
            });
            if residual {
                let name = format!("dec.res.{i}");
                dec_res.push(Conv3d::new(&mut ps, &name, c_out, c_out, 3, 1, 1)?);
            }
            c_in = c_out * widen;
        }
        let dec_out = Conv3d::new(
            &mut ps,
            "dec.out",
            fm[0] * widen,
            config.out_channels(),
            3,
            1,
            1,
        )?;
        let cls1 = Linear::new(&mut ps, "cls.0", config.bottleneck, config.head_hidden)?;
        let cls2 = Linear::new(&mut ps, "cls.1", config.head_hidden, config.n_classes)?;
        let vol1 = Linear::new(&mut ps, "vol.0", config.bottleneck, config.head_hidden)?;
        let vol2 = Linear::new(&mut ps, "vol.1", config.head_hidden, 1)?;
        Ok(Self {
            config,
            params: ps,
            enc,
            enc_last,
            bottleneck,
            dec_fc,
            dec_up,
            dec_out,
            cls1,
            cls2,
            vol1,
            vol2,
            enc_res,
            dec_res,
            dropout: DropoutState::default(),
        })
    }

    /// The device of the parameters.
    pub fn device(&self) -> &Device {
        self.params.device()
    }

    /// Encoder up to the bottleneck's input, flattened: `[N, 1, S, S, S]` → `[N, flat_len]`.
    pub fn trunk(&self, x: &Tensor) -> Result<Tensor> {
        // Batches with context carry [structure, context…]; the encoder reads its channels.
        let c = self.config.in_channels();
        let mut h = if x.dim(1)? > c {
            x.narrow(1, 0, c)?
        } else {
            x.clone()
        };
        for (i, conv) in self.enc.iter().enumerate() {
            h = match self.enc_res.get(i) {
                Some(res) => {
                    let d = conv.forward(&h)?.relu()?;
                    self.dropout
                        .apply(&residual_concat(&d, res)?, self.config.dropout)?
                }
                None => max_pool3d(&conv.forward(&h)?.relu()?)?,
            };
        }
        h = self.enc_last.forward(&h)?.relu()?;
        Ok(h.flatten_from(1)?)
    }

    /// What the decoder must reconstruct from a batch's `x`: its first
    /// [`ModelConfig::out_channels`] channels.
    pub fn recon_target(&self, x: &Tensor) -> Result<Tensor> {
        let c = self.config.out_channels();
        Ok(if x.dim(1)? > c {
            x.narrow(1, 0, c)?
        } else {
            x.clone()
        })
    }

    /// Bottleneck vectors of a batch.
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        self.bottleneck.forward(&self.trunk(x)?)
    }

    /// Reconstruction logits from bottleneck vectors.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        let n = z.dim(0)?;
        let s = self.config.deep_side();
        let c = self.config.feature_maps[self.config.feature_maps.len() - 1];
        let mut h = self
            .dec_fc
            .forward(z)?
            .relu()?
            .reshape(vec![n, c, s, s, s])?;
        for (i, up) in self.dec_up.iter().enumerate() {
            h = match up {
                Up::Transpose(t) => t.forward(&h)?,
                Up::Nearest(conv) => conv.forward(&upsample_nearest3d(&h)?)?,
            }
            .relu()?;
            if let Some(res) = self.dec_res.get(i) {
                h = self
                    .dropout
                    .apply(&residual_concat(&h, res)?, self.config.dropout)?;
            }
        }
        self.dec_out.forward(&h)
    }

    /// Structure logits from bottleneck vectors.
    pub fn classify(&self, z: &Tensor) -> Result<Tensor> {
        self.cls2.forward(&self.cls1.forward(z)?.relu()?)
    }

    /// Volume predictions `[N]` (z-scores within structure) from bottleneck vectors.
    pub fn regress(&self, z: &Tensor) -> Result<Tensor> {
        Ok(self
            .vol2
            .forward(&self.vol1.forward(z)?.relu()?)?
            .squeeze(1)?)
    }

    /// The whole forward pass.
    pub fn forward(&self, x: &Tensor) -> Result<Outputs> {
        let z = self.encode(x)?;
        Ok(Outputs {
            recon_logits: self.decode(&z)?,
            class_logits: self.classify(&z)?,
            volume: self.regress(&z)?,
            z,
        })
    }
}
