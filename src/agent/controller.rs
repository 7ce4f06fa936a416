//! The LSTM controller: structure, deterministic initialisation and the teacher-forced pass.
//!
//! One categorical decision per position. Position 0 reads a learned start input; position
//! `p > 0` reads the embedding (table `p-1`) of the token chosen at `p-1`. Each position has its
//! own linear softmax head sized to its number of choices. The last token is never fed back,
//! so there are `positions - 1` embedding tables.

use tch::nn::{self, Module, RNN};
use tch::{Device, Kind, Tensor};

use crate::nn::tensor::overwrite;
use crate::nn::{Adam, SeededUniform};

use super::config::ControllerConfig;
use super::error::AgentError;

/// Largest number of choices a position may have: tokens are `u8`.
pub const MAX_CHOICES: usize = 256;

/// An LSTM policy over token sequences, with its own Adam state.
///
/// Not `Sync` (tch tensors are not); move it to the thread that samples and learns, and share
/// it elsewhere as `to_bytes()`.
///
/// Bit-exact reproducibility (same bytes -> same samples, log-probs and updates) assumes the
/// same libtorch build and a fixed intra-op thread count; run it with
/// `tch::set_num_threads(1)`. Observed: with 2 OpenMP threads while other libtorch work ran
/// concurrently, one sampled log-prob differed by 1 ulp between two identical controllers.
/// One thread is also faster for these tiny tensors on a shared 2-core machine.
pub struct Controller {
    pub(crate) cfg: ControllerConfig,
    pub(crate) sizes: Vec<usize>,
    /// Owns the variables; the fields below hold shallow clones of them.
    _vs: nn::VarStore,
    pub(crate) start: Tensor,
    pub(crate) lstm: nn::LSTM,
    /// The LSTM's own weights, for single steps with `lstm_cell` while sampling (about 3x
    /// cheaper per step than `nn::LSTM::step`, which goes through the full sequence kernel).
    pub(crate) cell: CellWeights,
    pub(crate) embeds: Vec<nn::Embedding>,
    pub(crate) heads: Vec<nn::Linear>,
    pub(crate) adam: Adam,
}

/// Shallow clones of the LSTM variables `w_ih [4H, H]`, `w_hh [4H, H]`, `b_ih`, `b_hh [4H]`.
pub(crate) struct CellWeights {
    pub w_ih: Tensor,
    pub w_hh: Tensor,
    pub b_ih: Tensor,
    pub b_hh: Tensor,
}

impl CellWeights {
    fn from_store(vs: &nn::VarStore) -> CellWeights {
        let vars = vs.variables();
        // Internal invariant: tch 0.26's `nn::lstm` under path "lstm" creates exactly these.
        let get = |n: &str| {
            vars.get(&format!("lstm.{n}"))
                .map(Tensor::shallow_clone)
                .expect("nn::lstm creates weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0")
        };
        CellWeights {
            w_ih: get("weight_ih_l0"),
            w_hh: get("weight_hh_l0"),
            b_ih: get("bias_ih_l0"),
            b_hh: get("bias_hh_l0"),
        }
    }

    /// One LSTM step: `(h, c)` -> `(h', c')`, each `[B, H]`; same math as `nn::LSTM`.
    pub fn step(&self, x: &Tensor, h: &Tensor, c: &Tensor) -> (Tensor, Tensor) {
        x.lstm_cell(
            &[h, c],
            &self.w_ih,
            &self.w_hh,
            Some(&self.b_ih),
            Some(&self.b_hh),
        )
    }
}

/// Output of the teacher-forced pass over a batch of `B` token vectors with `T` positions.
pub(crate) struct TeacherForced {
    /// `[B, T]` log-probability of the given token at each position.
    pub chosen: Tensor,
    /// `[B, T]` entropy of the policy's distribution at each position.
    pub entropy: Tensor,
    /// `T` tensors `[B, choices_p]`: the full log-distribution at each position.
    pub log_dists: Vec<Tensor>,
}

/// Checks the per-position choice counts a controller is built for.
pub(crate) fn validate_sizes(sizes: &[usize]) -> Result<(), AgentError> {
    if sizes.is_empty() {
        return Err(AgentError::DecisionSizes {
            reason: "no positions".to_string(),
        });
    }
    if let Some((p, &c)) = sizes
        .iter()
        .enumerate()
        .find(|(_, &c)| c == 0 || c > MAX_CHOICES)
    {
        return Err(AgentError::DecisionSizes {
            reason: format!("position {p} has {c} choices (allowed 1..={MAX_CHOICES})"),
        });
    }
    Ok(())
}

impl Controller {
    /// Builds a controller for `decision_sizes` (choices per position) whose initial weights are
    /// a pure function of `seed` and `cfg`: every variable, taken in name order, is filled with
    /// uniform(-init_scale, init_scale) values drawn from `ChaCha8Rng::seed_from_u64(seed)`.
    /// tch's global RNG is never used.
    pub fn new(
        decision_sizes: &[usize],
        cfg: ControllerConfig,
        seed: u64,
    ) -> Result<Controller, AgentError> {
        validate_sizes(decision_sizes)?;
        cfg.validate()?;
        let h = cfg.hidden as i64;
        let vs = nn::VarStore::new(Device::Cpu);
        let root = vs.root();
        let zero = nn::Init::Const(0.0);
        let start = root.var("start", &[1, h], zero);
        let rnn_cfg = nn::RNNConfig {
            w_ih_init: zero,
            w_hh_init: zero,
            b_ih_init: Some(zero),
            b_hh_init: Some(zero),
            ..Default::default()
        };
        let lstm = nn::lstm(&root / "lstm", h, h, rnn_cfg);
        let emb_cfg = nn::EmbeddingConfig {
            ws_init: zero,
            ..Default::default()
        };
        let embeds = decision_sizes[..decision_sizes.len() - 1]
            .iter()
            .enumerate()
            .map(|(p, &c)| nn::embedding(&root / format!("embed_{p:03}"), c as i64, h, emb_cfg))
            .collect();
        let lin_cfg = nn::LinearConfig {
            ws_init: zero,
            bs_init: Some(zero),
            bias: true,
        };
        let heads = decision_sizes
            .iter()
            .enumerate()
            .map(|(p, &c)| nn::linear(&root / format!("head_{p:03}"), h, c as i64, lin_cfg))
            .collect();
        let cell = CellWeights::from_store(&vs);
        let adam = Adam::new(vs.variables().into_iter().collect());
        let controller = Controller {
            cfg,
            sizes: decision_sizes.to_vec(),
            _vs: vs,
            start,
            lstm,
            cell,
            embeds,
            heads,
            adam,
        };
        controller.init_uniform(seed)?;
        Ok(controller)
    }

    /// Overwrites every variable (in the Adam slots' name order) with seeded uniform values.
    fn init_uniform(&self, seed: u64) -> Result<(), AgentError> {
        let mut uniform = SeededUniform::new(seed);
        let scale = self.cfg.init_scale as f32;
        for slot in self.adam.slots() {
            overwrite(&slot.param, &uniform.draw(slot.param.numel(), scale))?;
        }
        Ok(())
    }

    /// Choices per position, as given at construction.
    pub fn decision_sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// The settings this controller was built (or loaded) with.
    pub fn config(&self) -> &ControllerConfig {
        &self.cfg
    }

    /// Number of positions (tokens per sequence).
    pub fn positions(&self) -> usize {
        self.sizes.len()
    }

    /// Total number of trainable scalars.
    pub fn num_params(&self) -> usize {
        self.adam.num_params()
    }

    /// Number of Adam steps taken (epochs × updates), restored by checkpoints.
    pub fn optimizer_steps(&self) -> u64 {
        self.adam.step_count()
    }

    /// Checks every token vector against the positions and their choice counts.
    pub fn validate_tokens(&self, tokens: &[Vec<u8>]) -> Result<(), AgentError> {
        tokens
            .iter()
            .enumerate()
            .try_for_each(|(index, seq)| self.check_token_vector(index, seq))
    }

    /// Checks one token vector; `index` is only used to name it in the error.
    pub(crate) fn check_token_vector(&self, index: usize, seq: &[u8]) -> Result<(), AgentError> {
        if seq.len() != self.sizes.len() {
            return Err(AgentError::TokenLength {
                index,
                expected: self.sizes.len(),
                found: seq.len(),
            });
        }
        for (position, (&token, &choices)) in seq.iter().zip(&self.sizes).enumerate() {
            if token as usize >= choices {
                return Err(AgentError::TokenRange {
                    index,
                    position,
                    token,
                    choices,
                });
            }
        }
        Ok(())
    }

    /// Per-position log-probabilities of the given token vectors under the current policy,
    /// computed teacher-forced in one batched pass (no gradient). Equal, up to float rounding,
    /// to the `log_probs` that `sample` reported for the same tokens.
    pub fn log_probs(&self, tokens: &[Vec<u8>]) -> Result<Vec<Vec<f32>>, AgentError> {
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        let tf = tch::no_grad(|| self.teacher_forced(tokens))?;
        Ok(Vec::<Vec<f32>>::try_from(&tf.chosen)?)
    }

    /// The full distribution at every position given the preceding tokens of each vector:
    /// `result[i][p][c]` = P(token c at position p | tokens[i][..p]). Useful for inspection
    /// and for tests; the token at `p` itself does not influence `result[i][p]`.
    pub fn probabilities(&self, tokens: &[Vec<u8>]) -> Result<Vec<Vec<Vec<f32>>>, AgentError> {
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        let tf = tch::no_grad(|| self.teacher_forced(tokens))?;
        let per_position: Vec<Vec<Vec<f32>>> = tf
            .log_dists
            .iter()
            .map(|d| Vec::<Vec<f32>>::try_from(&d.exp()))
            .collect::<Result<_, _>>()?;
        Ok((0..tokens.len())
            .map(|i| per_position.iter().map(|pos| pos[i].clone()).collect())
            .collect())
    }

    /// The teacher-forced forward pass over validated, non-empty `tokens`: the LSTM runs once
    /// over `[start, embed(t_0), ..., embed(t_{T-2})]` (`seq_init` from the zero state).
    /// Gradients flow if the caller is not under `no_grad`.
    pub(crate) fn teacher_forced(&self, tokens: &[Vec<u8>]) -> Result<TeacherForced, AgentError> {
        self.validate_tokens(tokens)?;
        let b = tokens.len() as i64;
        let t = self.sizes.len() as i64;
        let flat: Vec<i64> = tokens.iter().flatten().map(|&x| x as i64).collect();
        let tok = Tensor::f_from_slice(&flat)?.f_view([b, t])?;
        let mut inputs = Vec::with_capacity(self.sizes.len());
        inputs.push(self.start.expand([b, self.cfg.hidden as i64], false));
        for (p, emb) in self.embeds.iter().enumerate() {
            inputs.push(emb.forward(&tok.select(1, p as i64)));
        }
        let xs = Tensor::f_stack(&inputs, 1)?;
        let (out, _) = self.lstm.seq_init(&xs, &self.lstm.zero_state(b));
        let mut chosen = Vec::with_capacity(self.sizes.len());
        let mut entropy = Vec::with_capacity(self.sizes.len());
        let mut log_dists = Vec::with_capacity(self.sizes.len());
        for (p, head) in self.heads.iter().enumerate() {
            let lsm = head
                .forward(&out.select(1, p as i64))
                .log_softmax(-1, Kind::Float);
            let idx = tok.select(1, p as i64).unsqueeze(1);
            chosen.push(lsm.gather(1, &idx, false).squeeze_dim(1));
            entropy.push(-(lsm.exp() * &lsm).sum_dim_intlist(-1, false, Kind::Float));
            log_dists.push(lsm);
        }
        Ok(TeacherForced {
            chosen: Tensor::f_stack(&chosen, 1)?,
            entropy: Tensor::f_stack(&entropy, 1)?,
            log_dists,
        })
    }
}
