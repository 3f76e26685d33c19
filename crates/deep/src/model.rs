//! The multi-task 3D convolutional autoencoder.
//!
//! Encoder: per level a Conv3d(3³, padding 1)–ReLU–MaxPool3d(2), then a Conv3d(3³)–ReLU and a
//! linear layer to the bottleneck `z` (the last shared layer). Decoder (mirror): linear–ReLU,
//! per level an upsampling step (transposed conv k2 s2, or nearest ×2 + Conv3d(3³)) with ReLU,
//! and a final Conv3d(3³) to one channel of logits (sigmoid = reconstruction). Heads on `z`:
//! MLP → structure logits (softmax), MLP → volume (log volume as a z-score within the item's
//! structure). The strided residual variant ([`crate::residual`]) replaces pooling by strided
//! convolutions with concatenated skips and dropout; the bottleneck and heads are the same.
//! With cross-stitch sharing ([`crate::cross_stitch`]) a second encoder of the same design
//! feeds the heads, the two mixed per channel after each level; the decoder reads the first.

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::cross_stitch::{CrossStitch, Sharing, StitchBranch};
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
    /// Hard sharing (one encoder) or cross-stitch units between two encoders.
    #[serde(default, skip_serializing_if = "Sharing::is_hard")]
    pub sharing: Sharing,
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
            sharing: Sharing::Hard,
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
            self.size >= div && self.size.is_multiple_of(div),
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
        self.sharing.validate()?;
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

/// An encoder's level convolutions, residual convolutions (strided residual variant) and last
/// convolution, registered as `{prefix}.{i}`, `{prefix}.res.{i}` and `{prefix}.last`.
fn encoder_layers(
    ps: &mut ParamStore,
    config: &ModelConfig,
    prefix: &str,
) -> Result<(Vec<Conv3d>, Vec<Conv3d>, Conv3d)> {
    let fm = &config.feature_maps;
    let residual = config.architecture == Architecture::StridedResidual;
    let widen = if residual { 2 } else { 1 };
    let stride = if residual { 2 } else { 1 };
    let mut enc = Vec::new();
    let mut enc_res = Vec::new();
    let mut c_in = config.in_channels();
    for (i, &f) in fm.iter().enumerate() {
        enc.push(Conv3d::new(
            ps,
            &format!("{prefix}.{i}"),
            c_in,
            f,
            3,
            1,
            stride,
        )?);
        if residual {
            let name = format!("{prefix}.res.{i}");
            enc_res.push(Conv3d::new(ps, &name, f, f, 3, 1, 1)?);
        }
        c_in = f * widen;
    }
    let last = fm[fm.len() - 1];
    let enc_last = Conv3d::new(ps, &format!("{prefix}.last"), last * widen, last, 3, 1, 1)?;
    Ok((enc, enc_res, enc_last))
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
    /// Cross-stitch sharing: encoder B and the units (`None` with hard sharing).
    pub stitch: Option<StitchBranch>,
    /// Seeded dropout (on only inside a training step).
    pub dropout: DropoutState,
}

/// Everything a forward pass produces.
#[derive(Debug)]
pub struct Outputs {
    /// Bottleneck vectors `[N, bottleneck]` (the decoder's, i.e. encoder A's with
    /// cross-stitch sharing).
    pub z: Tensor,
    /// Reconstruction logits `[N, 1, S, S, S]`.
    pub recon_logits: Tensor,
    /// Structure logits `[N, classes]`.
    pub class_logits: Tensor,
    /// Volume predictions `[N]` (z-scores within structure).
    pub volume: Tensor,
    /// Cross-stitch sharing: the auxiliary heads' bottleneck vectors (encoder B's).
    pub z_aux: Option<Tensor>,
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
        let (enc, enc_res, enc_last) = encoder_layers(&mut ps, &config, "enc")?;
        let last = fm[fm.len() - 1];
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
        // Created last, so the hard model's parameters draw the same values either way.
        let stitch = match config.sharing {
            Sharing::Hard => None,
            Sharing::CrossStitch { off_diagonal } => {
                let (enc, enc_res, enc_last) = encoder_layers(&mut ps, &config, "enc.b")?;
                let bottleneck = Linear::new(
                    &mut ps,
                    "enc.b.bottleneck",
                    config.flat_len(),
                    config.bottleneck,
                )?;
                let units = fm
                    .iter()
                    .enumerate()
                    .map(|(i, &f)| {
                        CrossStitch::new(
                            &mut ps,
                            &format!("enc.stitch.{i}"),
                            f * widen,
                            off_diagonal,
                        )
                    })
                    .collect::<Result<Vec<_>>>()?;
                Some(StitchBranch {
                    enc,
                    enc_res,
                    enc_last,
                    bottleneck,
                    units,
                })
            }
        };
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
            stitch,
            dropout: DropoutState::default(),
        })
    }

    /// The device of the parameters.
    pub fn device(&self) -> &Device {
        self.params.device()
    }

    /// Encoder up to the bottleneck's input, flattened: `[N, 1, S, S, S]` → `[N, flat_len]`
    /// (with cross-stitch sharing, encoder A's: the main task's).
    pub fn trunk(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.trunks(x)?.0)
    }

    /// Both encoders up to their bottlenecks' inputs, flattened: encoder A's, and encoder B's
    /// with cross-stitch sharing (`None` with hard sharing).
    pub fn trunks(&self, x: &Tensor) -> Result<(Tensor, Option<Tensor>)> {
        // Batches with context carry [structure, context…]; the encoder reads its channels.
        let c = self.config.in_channels();
        let x = if x.dim(1)? > c {
            x.narrow(1, 0, c)?
        } else {
            x.clone()
        };
        let flat = |last: &Conv3d, h: &Tensor| -> Result<Tensor> {
            Ok(last.forward(h)?.relu()?.flatten_from(1)?)
        };
        match &self.stitch {
            None => {
                let mut h = x;
                for (i, conv) in self.enc.iter().enumerate() {
                    h = self.level(conv, self.enc_res.get(i), &h)?;
                }
                Ok((flat(&self.enc_last, &h)?, None))
            }
            Some(b) => {
                let (mut ha, mut hb) = (x.clone(), x);
                for (i, unit) in b.units.iter().enumerate() {
                    let a = self.level(&self.enc[i], self.enc_res.get(i), &ha)?;
                    let bb = self.level(&b.enc[i], b.enc_res.get(i), &hb)?;
                    (ha, hb) = unit.forward(&a, &bb)?;
                }
                Ok((flat(&self.enc_last, &ha)?, Some(flat(&b.enc_last, &hb)?)))
            }
        }
    }

    /// One encoder level: convolution, ReLU and max-pooling, or (strided residual) strided
    /// convolution, ReLU, concatenated skip and dropout.
    fn level(&self, conv: &Conv3d, res: Option<&Conv3d>, h: &Tensor) -> Result<Tensor> {
        Ok(match res {
            Some(res) => {
                let d = conv.forward(h)?.relu()?;
                self.dropout
                    .apply(&residual_concat(&d, res)?, self.config.dropout)?
            }
            None => max_pool3d(&conv.forward(h)?.relu()?)?,
        })
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

    /// Bottleneck vectors of a batch (with cross-stitch sharing, encoder A's: the main
    /// task's, which the decoder reads).
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        self.bottleneck.forward(&self.trunk(x)?)
    }

    /// Bottleneck vectors of the main task and, with cross-stitch sharing, of the auxiliary
    /// heads (encoder B's).
    pub fn encode_both(&self, x: &Tensor) -> Result<(Tensor, Option<Tensor>)> {
        let (ha, hb) = self.trunks(x)?;
        let zb = match (&self.stitch, hb) {
            (Some(b), Some(hb)) => Some(b.bottleneck.forward(&hb)?),
            _ => None,
        };
        Ok((self.bottleneck.forward(&ha)?, zb))
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
        let (z, z_aux) = self.encode_both(x)?;
        let heads = z_aux.as_ref().unwrap_or(&z);
        Ok(Outputs {
            recon_logits: self.decode(&z)?,
            class_logits: self.classify(heads)?,
            volume: self.regress(heads)?,
            z,
            z_aux,
        })
    }
}
