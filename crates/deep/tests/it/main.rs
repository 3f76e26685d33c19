//! Integration tests of biomarker-deep, one binary so it links once.

mod common;
mod context;
mod cross_stitch;
mod data;
mod latent;
mod layers;
mod torch_layers;
mod torch_model;
mod train;
mod transfer;
mod variants;
