//! Task weighting: equal, fixed, GradNorm (Chen et al. 2018) and uncertainty weighting
//! (Kendall et al. 2018).
//!
//! The training step hands every balancer the task losses `Lᵢ` and the gradient norms
//! `‖∇_W Lᵢ‖` at the bottleneck weight `W` (unweighted), then asks for the weights of the next
//! step. GradNorm: `Gᵢ = wᵢ‖∇_W Lᵢ‖`, `Ḡ = mean Gᵢ`, `rᵢ = L̃ᵢ / mean L̃` with
//! `L̃ᵢ = Lᵢ / Lᵢ(0)`, `L_grad = Σ|Gᵢ − Ḡ rᵢ^α|` with the target held constant, so
//! `∂L_grad/∂wᵢ = sign(Gᵢ − Ḡ rᵢ^α)·‖∇_W Lᵢ‖`; one Adam step on `w`, then `w` is clamped
//! positive and renormalised to sum to the number of tasks. Uncertainty weighting learns
//! `sᵢ = log σᵢ²` with objective `Σ exp(−sᵢ) Lᵢ + sᵢ` (weights `exp(−sᵢ)`). Convex weighting
//! fixes `α·L_main + (1−α)·L_aux`, the main task being the first active one (see
//! [`convex_weights`]).

use serde::{Deserialize, Serialize};

use crate::error::{ensure_config, Result};

/// One of the three tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Reconstruction of the mask.
    Recon,
    /// Which structure it is.
    Class,
    /// Its standardized volume.
    Volume,
}

impl Task {
    /// All tasks in their fixed order.
    pub const ALL: [Task; 3] = [Task::Recon, Task::Class, Task::Volume];

    /// Short name used in logs and tables.
    pub fn name(self) -> &'static str {
        match self {
            Task::Recon => "recon",
            Task::Class => "class",
            Task::Volume => "volume",
        }
    }

    /// Parses `recon`, `class` or `volume`.
    pub fn parse(s: &str) -> Result<Self> {
        Task::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| {
                crate::DeepError::Config(format!(
                    "unknown task {s:?}: expected recon, class or volume"
                ))
            })
    }
}

/// How the task losses are combined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BalanceConfig {
    /// All weights 1.
    Equal,
    /// Given weights, one per active task.
    Fixed {
        /// The weights.
        weights: Vec<f64>,
    },
    /// GradNorm with asymmetry `alpha` and Adam on the weights with learning rate `lr`.
    GradNorm {
        /// Restoring-force strength α (paper: 1.5).
        alpha: f64,
        /// Learning rate of the weights (paper: 0.025).
        lr: f64,
    },
    /// Kendall et al.'s homoscedastic uncertainty weighting, with Adam at `lr` on log σ².
    Uncertainty {
        /// Learning rate of the log-variances.
        lr: f64,
    },
    /// Fixed convex weighting `α·L_main + (1−α)·L_aux` (see [`convex_weights`]).
    Convex {
        /// Weight α ∈ [0, 1] of the main (first active) task.
        alpha: f64,
    },
}

/// Weights of convex weighting for `n_tasks` ≥ 2 tasks: α for the first (main) task and
/// (1−α)/(n−1) for each of the others, so `L_aux` is the mean auxiliary loss and the weights
/// sum to 1.
pub fn convex_weights(alpha: f64, n_tasks: usize) -> Result<Vec<f64>> {
    ensure_config!(
        (0.0..=1.0).contains(&alpha),
        "convex weighting needs alpha in [0, 1], got {alpha}"
    );
    ensure_config!(
        n_tasks >= 2,
        "convex weighting needs a main task and at least one auxiliary task"
    );
    let aux = (1.0 - alpha) / (n_tasks - 1) as f64;
    Ok(std::iter::once(alpha)
        .chain(std::iter::repeat_n(aux, n_tasks - 1))
        .collect())
}

/// Adam on a small vector (the balancers' own parameters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VecAdam {
    /// Learning rate.
    pub lr: f64,
    /// Steps taken.
    pub t: u64,
    /// First moments.
    pub m: Vec<f64>,
    /// Second moments.
    pub v: Vec<f64>,
}

impl VecAdam {
    /// β₁, β₂, ε as in PyTorch's defaults.
    const B1: f64 = 0.9;
    const B2: f64 = 0.999;
    const EPS: f64 = 1e-8;

    /// State for `n` parameters.
    pub fn new(n: usize, lr: f64) -> Self {
        Self {
            lr,
            t: 0,
            m: vec![0.0; n],
            v: vec![0.0; n],
        }
    }

    /// One step on `x` with gradient `g`.
    pub fn step(&mut self, x: &mut [f64], g: &[f64]) {
        self.t += 1;
        let (c1, c2) = (
            1.0 - Self::B1.powi(self.t as i32),
            1.0 - Self::B2.powi(self.t as i32),
        );
        for i in 0..x.len() {
            self.m[i] = Self::B1 * self.m[i] + (1.0 - Self::B1) * g[i];
            self.v[i] = Self::B2 * self.v[i] + (1.0 - Self::B2) * g[i] * g[i];
            x[i] -= self.lr * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + Self::EPS);
        }
    }
}

/// The balancer's state (saved in checkpoints so a resumed run continues exactly).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balancer {
    /// The configuration.
    pub config: BalanceConfig,
    /// Current weights wᵢ (GradNorm, fixed, equal) or log-variances sᵢ (uncertainty).
    pub params: Vec<f64>,
    /// Initial losses Lᵢ(0) (GradNorm), set at the first step.
    pub initial_losses: Option<Vec<f64>>,
    /// Optimizer of `params` (GradNorm, uncertainty).
    pub adam: Option<VecAdam>,
}

/// What one GradNorm update saw and did, for logs and tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradNormStep {
    /// Gᵢ = wᵢ‖∇_W Lᵢ‖.
    pub g: Vec<f64>,
    /// Targets Ḡ·rᵢ^α.
    pub target: Vec<f64>,
    /// L_grad before the update.
    pub l_grad: f64,
    /// ∂L_grad/∂wᵢ.
    pub grad_w: Vec<f64>,
}

impl Balancer {
    /// A balancer for `n_tasks` tasks.
    pub fn new(config: BalanceConfig, n_tasks: usize) -> Result<Self> {
        ensure_config!(n_tasks >= 1, "at least one task is needed");
        let (params, adam) = match &config {
            BalanceConfig::Equal => (vec![1.0; n_tasks], None),
            BalanceConfig::Fixed { weights } => {
                ensure_config!(
                    weights.len() == n_tasks,
                    "{} fixed weights given for {n_tasks} tasks",
                    weights.len()
                );
                ensure_config!(
                    weights.iter().all(|w| w.is_finite() && *w >= 0.0),
                    "fixed weights must be finite and ≥ 0"
                );
                (weights.clone(), None)
            }
            BalanceConfig::GradNorm { alpha, lr } => {
                ensure_config!(
                    *alpha >= 0.0 && alpha.is_finite(),
                    "GradNorm alpha must be ≥ 0, got {alpha}"
                );
                ensure_config!(*lr > 0.0, "GradNorm learning rate must be positive");
                (vec![1.0; n_tasks], Some(VecAdam::new(n_tasks, *lr)))
            }
            BalanceConfig::Uncertainty { lr } => {
                ensure_config!(*lr > 0.0, "uncertainty learning rate must be positive");
                (vec![0.0; n_tasks], Some(VecAdam::new(n_tasks, *lr)))
            }
            BalanceConfig::Convex { alpha } => (convex_weights(*alpha, n_tasks)?, None),
        };
        Ok(Self {
            config,
            params,
            initial_losses: None,
            adam,
        })
    }

    /// Weights wᵢ to apply to the task losses at this step.
    pub fn weights(&self) -> Vec<f64> {
        match self.config {
            BalanceConfig::Uncertainty { .. } => self.params.iter().map(|s| (-s).exp()).collect(),
            _ => self.params.clone(),
        }
    }

    /// Updates the weights after a step that saw `losses` and unweighted gradient norms
    /// `norms` = ‖∇_W Lᵢ‖. Returns GradNorm's diagnostics when GradNorm ran.
    pub fn update(&mut self, losses: &[f64], norms: &[f64]) -> Option<GradNormStep> {
        let n = self.params.len();
        match self.config.clone() {
            BalanceConfig::Equal | BalanceConfig::Fixed { .. } | BalanceConfig::Convex { .. } => {
                None
            }
            BalanceConfig::Uncertainty { .. } => {
                let grad: Vec<f64> = (0..n)
                    .map(|i| 1.0 - (-self.params[i]).exp() * losses[i])
                    .collect();
                if let Some(adam) = &mut self.adam {
                    adam.step(&mut self.params, &grad);
                }
                None
            }
            BalanceConfig::GradNorm { alpha, .. } => {
                let l0 = self
                    .initial_losses
                    .get_or_insert_with(|| losses.to_vec())
                    .clone();
                let step = gradnorm_gradient(&self.params, losses, &l0, norms, alpha);
                if let Some(adam) = &mut self.adam {
                    adam.step(&mut self.params, &step.grad_w);
                }
                renormalise(&mut self.params);
                Some(step)
            }
        }
    }
}

/// GradNorm's loss and its gradient with respect to the weights (target held constant).
pub fn gradnorm_gradient(
    w: &[f64],
    losses: &[f64],
    initial: &[f64],
    norms: &[f64],
    alpha: f64,
) -> GradNormStep {
    let n = w.len() as f64;
    let g: Vec<f64> = w.iter().zip(norms).map(|(w, g)| w * g).collect();
    let g_bar = g.iter().sum::<f64>() / n;
    let ratio: Vec<f64> = losses
        .iter()
        .zip(initial)
        .map(|(l, l0)| if *l0 > 0.0 { l / l0 } else { 1.0 })
        .collect();
    let r_bar = ratio.iter().sum::<f64>() / n;
    let target: Vec<f64> = ratio
        .iter()
        .map(|r| g_bar * (r / r_bar).powf(alpha))
        .collect();
    let l_grad = g.iter().zip(&target).map(|(g, t)| (g - t).abs()).sum();
    let grad_w = (0..w.len())
        .map(|i| sign(g[i] - target[i]) * norms[i])
        .collect();
    GradNormStep {
        g,
        target,
        l_grad,
        grad_w,
    }
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Clamps weights to a small positive floor and rescales them to sum to their count.
fn renormalise(w: &mut [f64]) {
    for x in w.iter_mut() {
        *x = x.max(1e-4);
    }
    let sum: f64 = w.iter().sum();
    let n = w.len() as f64;
    for x in w.iter_mut() {
        *x *= n / sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: w = (1, 1, 1), losses (2, 1, 0.5) from initial (1, 1, 1), norms
    /// (1, 2, 3), α = 1. G = (1, 2, 3), Ḡ = 2; L̃ = (2, 1, 0.5), mean 7/6, r = (12/7, 6/7, 3/7);
    /// targets = 2r = (24/7, 12/7, 6/7); G − target = (−17/7, 2/7, 15/7);
    /// L_grad = 34/7; ∂/∂w = (−1·1, +1·2, +1·3). Adam's first step moves each weight by −lr·sign
    /// of its gradient: w = (1.1, 0.9, 0.9) with lr 0.1, sum 2.9, renormalised ×3/2.9.
    #[test]
    fn gradnorm_update_matches_hand_computation() {
        let step = gradnorm_gradient(
            &[1.0; 3],
            &[2.0, 1.0, 0.5],
            &[1.0; 3],
            &[1.0, 2.0, 3.0],
            1.0,
        );
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(close(&step.g, &[1.0, 2.0, 3.0]));
        assert!(
            close(&step.target, &[24.0 / 7.0, 12.0 / 7.0, 6.0 / 7.0]),
            "{:?}",
            step.target
        );
        assert!((step.l_grad - 34.0 / 7.0).abs() < 1e-12);
        assert!(close(&step.grad_w, &[-1.0, 2.0, 3.0]));

        let mut b = Balancer::new(
            BalanceConfig::GradNorm {
                alpha: 1.0,
                lr: 0.1,
            },
            3,
        )
        .unwrap();
        b.initial_losses = Some(vec![1.0; 3]);
        b.update(&[2.0, 1.0, 0.5], &[1.0, 2.0, 3.0]);
        let s = 3.0 / 2.9;
        let want = [1.1 * s, 0.9 * s, 0.9 * s];
        assert!(
            b.params
                .iter()
                .zip(&want)
                .all(|(x, y)| (x - y).abs() < 1e-7),
            "{:?} vs {want:?}",
            b.params
        );
        assert!((b.params.iter().sum::<f64>() - 3.0).abs() < 1e-12);
    }

    /// The first update records Lᵢ(0), so every ratio is 1 and targets equal Ḡ.
    #[test]
    fn gradnorm_first_step_targets_the_mean_norm() {
        let mut b = Balancer::new(
            BalanceConfig::GradNorm {
                alpha: 1.5,
                lr: 0.025,
            },
            2,
        )
        .unwrap();
        let step = b.update(&[3.0, 0.5], &[4.0, 1.0]).unwrap();
        assert_eq!(step.target, vec![2.5, 2.5]);
        assert_eq!(step.grad_w, vec![4.0, -1.0]);
        // Adam's first step is −lr·sign: (0.975, 1.025), already summing to 2.
        assert!(
            (b.params[0] - 0.975).abs() < 1e-9 && (b.params[1] - 1.025).abs() < 1e-9,
            "{:?}",
            b.params
        );
    }

    /// Uncertainty weighting's gradient of Σ exp(−s)L + s at s = 0 is 1 − L.
    #[test]
    fn uncertainty_moves_towards_the_loss_scale() {
        let mut b = Balancer::new(BalanceConfig::Uncertainty { lr: 0.1 }, 2).unwrap();
        b.update(&[4.0, 0.25], &[0.0, 0.0]);
        // Gradient (−3, 0.75): s moves up for the large loss (weight falls) and down for the small.
        assert!(
            (b.params[0] - 0.1).abs() < 1e-7 && (b.params[1] + 0.1).abs() < 1e-7,
            "{:?}",
            b.params
        );
        let w = b.weights();
        assert!(w[0] < 1.0 && w[1] > 1.0);
    }

    /// α = 0.7 over recon, class and volume: 0.7·L_recon + 0.3·(L_class + L_volume)/2.
    #[test]
    fn convex_weights_are_alpha_and_the_shared_rest() {
        let mut b = Balancer::new(BalanceConfig::Convex { alpha: 0.7 }, 3).unwrap();
        let want = [0.7, 0.15, 0.15];
        assert!(b
            .weights()
            .iter()
            .zip(want)
            .all(|(w, x)| (w - x).abs() < 1e-15));
        b.update(&[5.0, 1.0, 0.1], &[1.0, 2.0, 3.0]);
        assert!(b
            .weights()
            .iter()
            .zip(want)
            .all(|(w, x)| (w - x).abs() < 1e-15));
        let two = convex_weights(0.25, 2).unwrap();
        assert_eq!(two, vec![0.25, 0.75]);
        assert!(convex_weights(1.5, 3).is_err());
        assert!(convex_weights(0.5, 1).is_err());
    }

    #[test]
    fn bad_configurations_are_rejected() {
        assert!(Balancer::new(BalanceConfig::Fixed { weights: vec![1.0] }, 2).is_err());
        assert!(Balancer::new(
            BalanceConfig::GradNorm {
                alpha: -1.0,
                lr: 0.1
            },
            2
        )
        .is_err());
        assert!(Task::parse("size").is_err());
    }
}
