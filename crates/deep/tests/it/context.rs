//! Other structures' masks as extra input channels or extra output channels.

use biomarker_deep::balance::BalanceConfig;
use biomarker_deep::context::{batch, resampled_mask, ContextMode, ContextSpec};
use biomarker_deep::data::prep::BoxSpec;
use biomarker_deep::train::Trainer;
use candle_core::Device;

use crate::common::{toy_dataset, values};
use crate::train::tiny_config;

fn spec(mode: ContextMode) -> ContextSpec {
    ContextSpec {
        structures: vec!["box".into()],
        mode,
    }
}

#[test]
fn masks_are_resampled_into_the_items_box() {
    let mut data = toy_dataset(2, 1);
    // Item 0 is subject 0's ball, item 1 its box. Without boxes the grids coincide.
    assert_eq!(
        resampled_mask(&data, 1, 0),
        data.mask(1)
            .iter()
            .map(|&b| f32::from(b))
            .collect::<Vec<_>>()
    );
    // The box structure's box starts 4 voxels further along x: target voxel x holds source
    // voxel x − 4.
    data.boxes = vec![
        BoxSpec {
            origin: [0, 0, 0],
            side: 16,
        },
        BoxSpec {
            origin: [4, 0, 0],
            side: 16,
        },
    ];
    let m = resampled_mask(&data, 1, 0);
    let src = data.mask(1);
    for z in 0..16 {
        for y in 0..16 {
            for x in 0..16 {
                let want = if x >= 4 {
                    f32::from(src[(z * 16 + y) * 16 + x - 4])
                } else {
                    0.0
                };
                assert_eq!(m[(z * 16 + y) * 16 + x], want, "voxel {x} {y} {z}");
            }
        }
    }
}

#[test]
fn batches_carry_the_context_channels() {
    let data = toy_dataset(3, 2);
    let items: Vec<usize> = (0..data.len()).collect();
    let scaler = data.volume_scaler(&items);
    let b = batch(
        &data,
        &items,
        &scaler,
        Some(&spec(ContextMode::Input)),
        &Device::Cpu,
    )
    .unwrap();
    assert_eq!(b.x.dims(), &[6, 2, 16, 16, 16]);
    // Item 0 (subject 0's ball): channel 0 its mask, channel 1 the same subject's box.
    let ch1 = values(&b.x.narrow(0, 0, 1).unwrap().narrow(1, 1, 1).unwrap());
    let want: Vec<f64> = data.mask(1).iter().map(|&v| f64::from(v)).collect();
    assert_eq!(ch1, want);
    let bad = ContextSpec {
        structures: vec!["white_matter".into()],
        mode: ContextMode::Input,
    };
    let err = batch(&data, &items, &scaler, Some(&bad), &Device::Cpu).unwrap_err();
    assert!(err.to_string().contains("\"white_matter\""), "{err}");
}

/// Input mode widens the first convolution, output mode the last; both train.
#[test]
fn context_as_input_or_output_trains() {
    let data = toy_dataset(4, 3);
    let items: Vec<usize> = (0..data.len()).collect();
    let scaler = data.volume_scaler(&items);
    for mode in [ContextMode::Input, ContextMode::Output] {
        let mut config = tiny_config(BalanceConfig::Equal);
        config.model.context = Some(spec(mode));
        let mut trainer = Trainer::new(config, &Device::Cpu).unwrap();
        let p = &trainer.model.params;
        let (enc_in, dec_out) = match mode {
            ContextMode::Input => (2, 1),
            ContextMode::Output => (1, 2),
        };
        assert_eq!(p.var("enc.0.weight").unwrap().dims()[1], enc_in);
        assert_eq!(p.var("dec.out.weight").unwrap().dims()[0], dec_out);
        let b = batch(&data, &items, &scaler, Some(&spec(mode)), &Device::Cpu).unwrap();
        let out = trainer.model.forward(&b.x).unwrap();
        assert_eq!(out.recon_logits.dims(), &[8, dec_out, 16, 16, 16]);
        let first = trainer.step(&b).unwrap();
        let mut last = first.clone();
        for _ in 0..25 {
            last = trainer.step(&b).unwrap();
        }
        for i in 0..3 {
            assert!(
                last.losses[i] < first.losses[i],
                "{mode:?} task {i}: {} -> {}",
                first.losses[i],
                last.losses[i]
            );
        }
        let ev = trainer.evaluate(&data, &items, &scaler).unwrap();
        assert!(ev.dice.is_finite() && ev.dice_by_structure.len() == 2);
    }
}
