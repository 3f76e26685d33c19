//! The multi-task 3D convolutional autoencoder, on candle.
//!
//! This crate will own: 3D layers built from candle's differentiable operations (Conv3d,
//! MaxPool3d, nearest upsampling, ConvTranspose3d); the encoder/decoder with the structure
//! classifier and volume regressor heads at the bottleneck; task balancing (equal, fixed,
//! GradNorm, uncertainty weighting); training with checkpoints and exact resume; and encoding
//! every subject × structure into a FeatureTable. The device (CPU or CUDA) is a parameter
//! everywhere.
