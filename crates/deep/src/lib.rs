//! The multi-task 3D convolutional autoencoder on candle.
//!
//! Each brain structure's binary mask (cropped around the structure's population centroid) is
//! compressed into a bottleneck vector; three tasks share that bottleneck: reconstruction of the
//! mask, classification of the structure and regression of its volume. Their losses are
//! balanced by equal, fixed, GradNorm or uncertainty weights.
//!
//! - [`ops3d`], [`layers`]: the 3D operations candle lacks, built from its differentiable ops;
//!   with the `cudnn` feature, `cudnn3d` runs the 3D convolutions through cuDNN on CUDA;
//! - [`params`]: seeded parameters and safetensors IO;
//! - [`model`], [`loss`]: the network and the task losses;
//! - [`balance`]: task weighting, including GradNorm;
//! - [`optim`]: AdamW with saveable state (for exact resume);
//! - [`data`]: NIfTI label maps to cached mask tensors and standardized volume targets;
//! - [`train`]: the training loop with checkpoints, resume, early stopping and a JSONL log;
//! - [`encode`]: bottleneck features into a FeatureTable;
//! - [`variants`], [`seg_loss`]: the founding studies' model variants (sparsity, convex
//!   weighting, segmentation losses) as options of the base model;
//! - [`context`]: other structures' masks as extra input or output channels;
//! - [`residual`]: the strided residual architecture (concatenated skips, seeded dropout);
//!   [`cross_stitch`]: soft parameter sharing (two encoders joined by cross-stitch units);
//! - [`transfer`], [`class_metrics`]: a classifier head on a pretrained encoder (frozen, then
//!   fine-tuned) with AUC, accuracy, sensitivity and specificity; [`aux_tasks`]: auxiliary
//!   clinical heads chosen by their Spearman correlation with the main task.
//! - [`bench`]: training throughput on random masks (CPU or CUDA).
//!
//! Every function takes the device as a parameter (`cpu` or `cuda:N`, see [`device`]).

pub mod aux_tasks;
pub mod balance;
pub mod bench;
pub mod class_metrics;
pub mod context;
pub mod cross_stitch;
#[cfg(feature = "cudnn")]
pub mod cudnn3d;
pub mod data;
pub mod device;
pub mod encode;
pub mod error;
pub mod latent;
pub mod layers;
pub mod loss;
pub mod metrics;
pub mod model;
pub mod ops3d;
pub mod optim;
pub mod params;
pub mod residual;
pub mod seg_loss;
pub mod train;
pub mod transfer;
pub mod variants;

pub use error::{DeepError, Result};
