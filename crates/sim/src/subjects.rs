//! Subjects and their biology: age, sex, APOE ε4 dose (from the simulated genotypes),
//! diagnosis CN / MCI / AD from an ordinal liability that rises with age and ε4 dose, and
//! per-structure volume factors and shape modes driven by age, sex, diagnosis, APOE and the
//! planted causal variants. Every coefficient is written to the truth file.

use rand::Rng;
use rand_distr::{Distribution, Normal};
use serde::Serialize;

use crate::anatomy::{Geometry, Group, STRUCTURES};
use crate::genome::Layout;
use crate::rng::{rng_for, Stream};

/// Clinical diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Diagnosis {
    /// Cognitively normal.
    CN,
    /// Mild cognitive impairment.
    MCI,
    /// Alzheimer's disease.
    AD,
}

impl Diagnosis {
    /// The label written in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Diagnosis::CN => "CN",
            Diagnosis::MCI => "MCI",
            Diagnosis::AD => "AD",
        }
    }
}

/// Coefficients of the diagnosis model: liability = age·(age − 70) + apoe4·dose + logistic
/// noise; CN below `threshold_mci`, AD at or above `threshold_ad`, MCI between.
#[derive(Debug, Clone, Serialize)]
pub struct DiagnosisModel {
    /// Per year of age.
    pub age: f64,
    /// Per ε4 allele.
    pub apoe4: f64,
    /// CN/MCI threshold.
    pub threshold_mci: f64,
    /// MCI/AD threshold.
    pub threshold_ad: f64,
}

/// The diagnosis model used.
pub const DIAGNOSIS_MODEL: DiagnosisModel = DiagnosisModel {
    age: 0.12,
    apoe4: 1.1,
    threshold_mci: 0.4,
    threshold_ad: 1.9,
};

/// Effects on a structure group's natural-log volume.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct GroupEffects {
    /// Per year of age (centred at 70).
    pub age: f64,
    /// MCI vs CN.
    pub mci: f64,
    /// AD vs CN.
    pub ad: f64,
    /// Per ε4 allele (beyond its effect through diagnosis).
    pub apoe4: f64,
    /// Male vs female.
    pub male: f64,
    /// Shift of the taper shape mode in AD (MCI gets 40% of it): head-first atrophy.
    pub ad_taper: f64,
}

/// Effects per structure group.
pub fn group_effects(group: Group) -> GroupEffects {
    let e = |age, mci, ad, apoe4, male, ad_taper| GroupEffects {
        age,
        mci,
        ad,
        apoe4,
        male,
        ad_taper,
    };
    match group {
        Group::GreyMatter => e(-0.004, -0.01, -0.03, 0.0, 0.08, 0.0),
        Group::WhiteMatter => e(-0.003, 0.0, -0.01, 0.0, 0.08, 0.0),
        Group::Ventricles => e(0.025, 0.08, 0.2, 0.02, 0.08, 0.0),
        Group::Thalamus => e(-0.004, -0.01, -0.03, 0.0, 0.05, 0.0),
        Group::Caudate => e(-0.003, -0.01, -0.02, 0.0, 0.05, 0.0),
        Group::Putamen => e(-0.004, -0.01, -0.03, 0.0, 0.05, 0.0),
        Group::Hippocampus => e(-0.006, -0.06, -0.15, -0.02, 0.05, 1.0),
        Group::Amygdala => e(-0.005, -0.05, -0.12, -0.01, 0.05, 0.6),
    }
}

/// SD of the subject-level log-volume noise shared by both hemispheres.
const SHARED_NOISE: f64 = 0.07;
/// SD of the hemisphere's own log-volume noise.
const OWN_NOISE: f64 = 0.04;
/// SD of each shape mode's noise.
const SHAPE_NOISE: f64 = 0.6;

/// What a causal variant changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectKind {
    /// The structures' volume (log volume per ALT allele).
    Volume,
    /// One shape mode (volume unchanged).
    Shape,
}

/// A planted causal variant.
#[derive(Debug, Clone, Serialize)]
pub struct CausalVariant {
    /// Index into the layout.
    #[serde(skip)]
    pub index: usize,
    /// Variant ID.
    pub id: String,
    /// Chromosome.
    pub chrom: String,
    /// Position.
    pub pos: i64,
    /// The effect allele (ALT, .bim column 5).
    pub effect_allele: String,
    /// The other allele.
    pub other_allele: String,
    /// Expected effect-allele frequency.
    pub effect_allele_freq: f64,
    /// Structures acted on.
    pub structures: Vec<String>,
    /// Volume or shape.
    pub effect: EffectKind,
    /// Natural-log volume change per effect allele (0 for shape variants).
    pub beta_log_volume: f64,
    /// Shape-mode change per effect allele, in mode units (0 for volume variants).
    pub beta_shape: f64,
    /// The shape mode changed by a shape variant: 0 elongation, 1 bend, 2 taper.
    pub shape_mode: Option<usize>,
}

/// Picks `n` causal variants: common (ALT frequency 0.2–0.5), on distinct chromosomes other
/// than 19, alternating volume and shape effects over the deep structures.
pub fn choose_causal(seed: u64, layout: &Layout, n: usize) -> Vec<CausalVariant> {
    let mut rng = rng_for(seed, Stream::Causal, 0);
    let targets: [&[&str]; 6] = [
        &["left_hippocampus", "right_hippocampus"],
        &["left_putamen", "right_putamen"],
        &["left_thalamus", "right_thalamus"],
        &["left_caudate"],
        &["left_amygdala", "right_amygdala"],
        &["right_hippocampus"],
    ];
    let mut used_chroms = Vec::new();
    let mut out = Vec::new();
    let mut tries = 0;
    while out.len() < n && tries < 100_000 {
        tries += 1;
        let v = rng.random_range(0..layout.variants.len());
        let bim = &layout.variants[v];
        let p = layout.alt_freq[v];
        if !(0.2..=0.5).contains(&p) || bim.chrom == "19" || used_chroms.contains(&bim.chrom) {
            continue;
        }
        used_chroms.push(bim.chrom.clone());
        let k = out.len();
        let effect = if k % 2 == 0 {
            EffectKind::Volume
        } else {
            EffectKind::Shape
        };
        let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
        out.push(CausalVariant {
            index: v,
            id: bim.id.clone(),
            chrom: bim.chrom.clone(),
            pos: bim.pos,
            effect_allele: bim.alt.clone(),
            other_allele: bim.reference.clone(),
            effect_allele_freq: p,
            structures: targets[k % targets.len()]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            effect,
            beta_log_volume: if effect == EffectKind::Volume {
                0.08 * sign
            } else {
                0.0
            },
            beta_shape: if effect == EffectKind::Shape {
                0.4 * sign
            } else {
                0.0
            },
            shape_mode: (effect == EffectKind::Shape).then_some(k / 2 % 3),
        });
    }
    out.sort_by_key(|c| c.index);
    out
}

/// One simulated subject.
#[derive(Debug, Clone)]
pub struct Subject {
    /// Individual ID.
    pub iid: String,
    /// Age in years.
    pub age: f64,
    /// 1 male, 2 female (PLINK coding).
    pub sex: u8,
    /// True ε4 dose (before missing calls).
    pub apoe4_dose: u8,
    /// Diagnosis liability.
    pub liability: f64,
    /// Diagnosis.
    pub diagnosis: Diagnosis,
    /// Volume factors and shape modes.
    pub geometry: Geometry,
}

/// IID of subject `i` (0-based).
pub fn iid(i: usize) -> String {
    format!("sub-{:05}", i + 1)
}

/// Draws subject `i` given its ε4 dose and its ALT counts at the causal variants.
pub fn subject(
    seed: u64,
    i: usize,
    apoe4_dose: u8,
    causal: &[CausalVariant],
    causal_dose: &[i8],
) -> Subject {
    let mut rng = rng_for(seed, Stream::Subject, i as u64);
    let std = Normal::<f64>::new(0.0, 1.0).expect("unit normal");
    let age: f64 = (70.0 + 7.0 * std.sample(&mut rng)).clamp(50.0, 90.0);
    let age = (age * 10.0).round() / 10.0;
    let sex = if rng.random::<bool>() { 1 } else { 2 };
    let u: f64 = rng.random_range(1e-12..1.0 - 1e-12);
    let m = &DIAGNOSIS_MODEL;
    let liability = m.age * (age - 70.0) + m.apoe4 * apoe4_dose as f64 + (u / (1.0 - u)).ln();
    let diagnosis = if liability < m.threshold_mci {
        Diagnosis::CN
    } else if liability < m.threshold_ad {
        Diagnosis::MCI
    } else {
        Diagnosis::AD
    };
    // One shared noise draw per group so hemispheres correlate.
    let groups = [
        Group::GreyMatter,
        Group::WhiteMatter,
        Group::Ventricles,
        Group::Thalamus,
        Group::Caudate,
        Group::Putamen,
        Group::Hippocampus,
        Group::Amygdala,
    ];
    let shared: Vec<f64> = groups
        .iter()
        .map(|_| SHARED_NOISE * std.sample(&mut rng))
        .collect();
    let mut log_volume = Vec::with_capacity(STRUCTURES.len());
    let mut shape = Vec::with_capacity(STRUCTURES.len());
    for s in &STRUCTURES {
        let e = group_effects(s.group);
        let g = groups
            .iter()
            .position(|g| *g == s.group)
            .expect("listed group");
        let dx = match diagnosis {
            Diagnosis::CN => 0.0,
            Diagnosis::MCI => e.mci,
            Diagnosis::AD => e.ad,
        };
        let mut lv = shared[g]
            + OWN_NOISE * std.sample(&mut rng)
            + e.age * (age - 70.0)
            + dx
            + e.apoe4 * apoe4_dose as f64
            + if sex == 1 { e.male } else { 0.0 };
        let mut modes = [0.0; 3].map(|_: f64| SHAPE_NOISE * std.sample(&mut rng));
        modes[2] += e.ad_taper
            * match diagnosis {
                Diagnosis::CN => 0.0,
                Diagnosis::MCI => 0.4,
                Diagnosis::AD => 1.0,
            };
        for (c, &dose) in causal.iter().zip(causal_dose) {
            if c.structures.iter().any(|n| n == s.name) {
                lv += c.beta_log_volume * dose as f64;
                if let Some(mode) = c.shape_mode {
                    modes[mode] += c.beta_shape * dose as f64;
                }
            }
        }
        log_volume.push(lv);
        shape.push(modes);
    }
    Subject {
        iid: iid(i),
        age,
        sex,
        apoe4_dose,
        liability,
        diagnosis,
        geometry: Geometry { log_volume, shape },
    }
}
