//! Interlaced sparse self-attention of Huang, Yuan, Guo, Zhang, Chen and Wang, "Interlaced
//! Sparse Self-Attention for Semantic Segmentation" (2019), arXiv:1907.12273.
//!
//! Two dot-product attentions, each among a sparse set of positions. With the map cut into
//! `P_h × P_w` blocks (`Q_h = ⌈H / P_h⌉` blocks down, `Q_w = ⌈W / P_w⌉` across), position
//! `(h, w) = (a·P_h + p, b·P_w + r)`:
//!
//! ```text
//! long range   attends to every (a′·P_h + p, b′·P_w + r): same offset in its block, any block
//! short range  attends to every (a·P_h + p′, b·P_w + r′): same block, any offset
//! stage(z)_u = Σ_{v in u's group} softmax_v(q_u·k_v / √C′) v_v      (own projections per stage)
//! out        = short(long(x))
//! y          = x + γ·out
//! ```
//!
//! After both stages every position has heard from every other, through one intermediary.
//! Groups of `Q_h·Q_w` and `P_h·P_w` positions: time `O(N·(P_h·P_w + Q_h·Q_w)·C)`, memory
//! `O(N·(P_h·P_w + Q_h·Q_w))`, least near `P_h·P_w ≈ √N`.
//!
//! **As in the reference** (`openseg-group/openseg.pytorch`, `isa_block.py`): 8 × 8 blocks, the
//! stages one after the other with their own query, key and value projections, scores scaled
//! by `1/√C′`. **Deviations**, each named: the blocks shrink to the map where it is smaller than
//! 8 (`P_h = min(8, H)`), so that a small map is not padded to 64 positions; a size that is not
//! a multiple of `P` is padded, as the reference does, but the padded positions are masked out
//! of every softmax (the reference lets zero-padded positions take weight); the projections are
//! plain 1×1 convolutions like every other mode's (the reference's have BatchNorm and ReLU),
//! and there is no output convolution, so that the modes differ in their attention alone.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};

use super::block::{Cost, CostShape, attention_block};
use super::context_weights::{ContextWeights, Features, compose, dot, softmax_over};
use super::projection::{QueryKeyValue, QueryKeyValueConfig, gated_residual, init_gamma};

/// The block size of the partition, as in the reference configurations.
pub const BLOCK: usize = 8;

/// The score of a padded position: effectively −∞ after the softmax, but finite (WGSL may
/// assume that no value is infinite).
const MASKED: f32 = -1e30;

/// Configuration of [`InterlacedAttention`].
#[derive(Config, Debug)]
pub struct InterlacedAttentionConfig {
    /// `C`: channels of the feature map.
    pub channels: usize,
    /// `C'`: channels of queries and keys.
    pub key_channels: usize,
}

impl InterlacedAttentionConfig {
    /// Initialise the block with γ = 0 (the identity).
    pub fn init(&self, device: &Device) -> InterlacedAttention {
        let qkv = || QueryKeyValueConfig::new(self.channels, self.key_channels).init(device);
        InterlacedAttention {
            long: qkv(),
            short: qkv(),
            gamma: init_gamma(device),
        }
    }
}

/// Interlaced sparse self-attention; see the [module documentation](self).
#[derive(Module, Debug)]
pub struct InterlacedAttention {
    /// The long-range stage's projections.
    pub long: QueryKeyValue,
    /// The short-range stage's projections.
    pub short: QueryKeyValue,
    /// The residual gate, `[1]`.
    pub gamma: Param<Tensor<1>>,
}

/// Which stage: whom a position attends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The positions with the same offset in every block.
    Long,
    /// The positions of the same block.
    Short,
}

/// How a `H × W` map is cut: `P` the block, `Q` the blocks, each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// `[P_h, P_w]`: the block's height and width.
    pub block: [usize; 2],
    /// `[Q_h, Q_w]`: blocks down and across.
    pub blocks: [usize; 2],
}

impl Partition {
    /// The partition of a `height × width` map: 8 × 8 blocks, smaller on a smaller map.
    pub fn new(height: usize, width: usize) -> Self {
        let block = [BLOCK.min(height).max(1), BLOCK.min(width).max(1)];
        Partition {
            block,
            blocks: [height.div_ceil(block[0]), width.div_ceil(block[1])],
        }
    }

    /// The padded map's height and width, `Q·P`.
    pub fn padded(&self) -> [usize; 2] {
        [
            self.blocks[0] * self.block[0],
            self.blocks[1] * self.block[1],
        ]
    }

    /// `(groups, members)` of a stage: `P_h·P_w` groups of `Q_h·Q_w` for the long range,
    /// `Q_h·Q_w` groups of `P_h·P_w` for the short range.
    pub fn groups(&self, stage: Stage) -> (usize, usize) {
        let (p, q) = (
            self.block[0] * self.block[1],
            self.blocks[0] * self.blocks[1],
        );
        match stage {
            Stage::Long => (p, q),
            Stage::Short => (q, p),
        }
    }

    /// The padded position `(h, w)` of member `m` of group `g` in a stage.
    pub fn position(&self, stage: Stage, g: usize, m: usize) -> (usize, usize) {
        let ([ph, pw], [_, qw]) = (self.block, self.blocks);
        let ((a, b), (p, r)) = match stage {
            Stage::Long => ((m / qw, m % qw), (g / pw, g % pw)),
            Stage::Short => ((g / qw, g % qw), (m / pw, m % pw)),
        };
        (a * ph + p, b * pw + r)
    }
}

impl InterlacedAttention {
    /// The long-range stage, then the short-range one.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`
    /// - output: `[B, C, H, W]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let long = attend_in_groups(&self.long, x.clone(), Stage::Long);
        let out = attend_in_groups(&self.short, long, Stage::Short);
        gated_residual(x, &self.gamma, out)
    }

    /// Two stages on a `Q·P`-padded map: per stage q, k, v; the groups' scores and their
    /// softmax together; the output.
    pub fn cost(shape: CostShape) -> Cost {
        let (c, k) = (shape.channels, shape.key_channels);
        let partition = Partition::new(shape.height as usize, shape.width as usize);
        let [hp, wp] = partition.padded();
        let padded = (hp * wp) as u64;
        let core = |stage| {
            let (_, members) = partition.groups(stage);
            let m = members as u64;
            2 * padded * m * (k + c) + 5 * padded * m
        };
        let widest = partition
            .groups(Stage::Long)
            .1
            .max(partition.groups(Stage::Short).1) as u64;
        let projections = 2 * shape.qkv_flops();
        Cost {
            flops: projections + core(Stage::Long) + core(Stage::Short),
            projection_flops: projections,
            peak_floats: 2 * k * padded + 2 * c * padded + 2 * padded * widest,
            largest_floats: (padded * widest).max(c * padded),
        }
    }
}

/// Pad a map with zeros on the bottom and right to `height × width`.
///
/// # Shapes
/// - `x`: `[B, C, H, W]`
/// - output: `[B, C, height, width]`
fn pad(x: Tensor<4>, height: usize, width: usize) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let device = x.device();
    let x = if height > h {
        Tensor::cat(vec![x, Tensor::zeros([b, c, height - h, w], &device)], 2)
    } else {
        x
    };
    if width > w {
        Tensor::cat(
            vec![x, Tensor::zeros([b, c, height, width - w], &device)],
            3,
        )
    } else {
        x
    }
}

/// One stage: dense dot-product attention within each group of positions, padded positions
/// masked out.
///
/// # Shapes
/// - `x`: `[B, C, H, W]`
/// - output: `[B, C, H, W]`
fn attend_in_groups(qkv: &QueryKeyValue, x: Tensor<4>, stage: Stage) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let device = x.device();
    let partition = Partition::new(h, w);
    let ([ph, pw], [qh, qw]) = (partition.block, partition.blocks);
    let [hp, wp] = partition.padded();
    let (groups, members) = partition.groups(stage);
    let (q, k, v) = qkv.forward(x);
    let key_channels = q.dims()[1];

    // [B, ch, H, W] -> [B·G, ch, M]: each group's members side by side.
    let group = |t: Tensor<4>| -> Tensor<3> {
        let ch = t.dims()[1];
        let t = pad(t, hp, wp).reshape([b, ch, qh, ph, qw, pw]); // h = a·P_h + p, w = b·P_w + r
        match stage {
            // Groups by offset (p, r), members by block (a, b).
            Stage::Long => t
                .permute([0, 3, 5, 1, 2, 4]) // [B, P_h, P_w, ch, Q_h, Q_w]
                .reshape([b * groups, ch, members]),
            // Groups by block (a, b), members by offset (p, r).
            Stage::Short => t
                .permute([0, 2, 4, 1, 3, 5]) // [B, Q_h, Q_w, ch, P_h, P_w]
                .reshape([b * groups, ch, members]),
        }
    };
    let q = group(q).swap_dims(1, 2); // [B·G, M, C']
    let k = group(k); // [B·G, C', M]
    let v = group(v); // [B·G, C, M]

    // The padded members of each group, as keys: −∞ before the softmax.
    let mask: Vec<f32> = (0..groups)
        .flat_map(|g| (0..members).map(move |m| (g, m)))
        .map(|(g, m)| {
            let (y, x) = partition.position(stage, g, m);
            if y < h && x < w { 0.0 } else { MASKED }
        })
        .collect();
    let mask = Tensor::<4>::from_data(TensorData::new(mask, [1, groups, 1, members]), &device);

    let scale = 1.0 / (key_channels as f64).sqrt();
    let scores = q
        .matmul(k)
        .mul_scalar(scale)
        .reshape([b, groups, members, members])
        + mask; // [B, G, M, M']
    let attention = softmax(scores, 3).reshape([b * groups, members, members]); // rows sum to 1
    let out = v.matmul(attention.swap_dims(1, 2)); // [B·G, C, M]: out_u = Σ_v A_uv v_v

    let out = match stage {
        Stage::Long => out
            .reshape([b, ph, pw, c, qh, qw])
            .permute([0, 3, 4, 1, 5, 2]), // [B, C, Q_h, P_h, Q_w, P_w]
        Stage::Short => out
            .reshape([b, qh, qw, c, ph, pw])
            .permute([0, 3, 1, 4, 2, 5]), // [B, C, Q_h, P_h, Q_w, P_w]
    };
    out.reshape([b, c, hp, wp]).narrow(2, 0, h).narrow(3, 0, w) // [B, C, H, W]
}

impl InterlacedAttention {
    /// The long-range stage's queries and keys, then the short-range stage's (from the long
    /// stage's output), `[1, C', H, W]` each.
    pub fn weight_maps(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        let long = attend_in_groups(&self.long, x.clone(), Stage::Long);
        [
            self.long.queries_and_keys(x),
            self.short.queries_and_keys(long),
        ]
        .concat()
    }

    /// Row `u` is the two stages composed, `A_short·A_long`: `u`'s block in the short stage,
    /// each of its members' long-range group — the whole map, through one intermediary.
    pub fn context_weights(&self, maps: Vec<Features>) -> Box<dyn ContextWeights> {
        let [ql, kl, qs, ks] =
            <[Features; 4]>::try_from(maps).expect("two stages' queries and keys");
        let partition = Partition::new(ql.height, ql.width);
        Box::new(InterlacedWeights {
            partition,
            long: (ql, kl),
            short: (qs, ks),
        })
    }
}

/// Interlaced attention's weights, from both stages' queries and keys.
struct InterlacedWeights {
    partition: Partition,
    long: (Features, Features),
    short: (Features, Features),
}

impl InterlacedWeights {
    /// Row `u` of one stage: a softmax over `u`'s group of real (unpadded) positions, scaled
    /// by `1/√C′`.
    fn stage(&self, stage: Stage, u: usize) -> Vec<f32> {
        let (queries, keys) = match stage {
            Stage::Long => &self.long,
            Stage::Short => &self.short,
        };
        let (width, n) = (queries.width, queries.positions());
        let [ph, pw] = self.partition.block;
        let (h, w) = (u / width, u % width);
        let together = |t: usize| {
            let (h2, w2) = (t / width, t % width);
            match stage {
                Stage::Long => h % ph == h2 % ph && w % pw == w2 % pw,
                Stage::Short => h / ph == h2 / ph && w / pw == w2 / pw,
            }
        };
        let kept: Vec<usize> = (0..n).filter(|&t| together(t)).collect();
        let scale = 1.0 / (queries.channels as f32).sqrt();
        let q = queries.vector(u);
        softmax_over(&kept, |t| scale * dot(q, keys.vector(t)), n)
    }
}

impl ContextWeights for InterlacedWeights {
    fn row(&self, u: usize) -> Vec<f32> {
        compose(&self.stage(Stage::Short, u), |t| self.stage(Stage::Long, t))
    }
}

attention_block!(
    InterlacedAttention,
    InterlacedAttentionConfig,
    convolutions: |block| [block.long.convolutions(), block.short.convolutions()].concat()
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::context_weights::tests::{assert_rows_match, compose_dense, read_all};
    use crate::attention::oracle::{Map, dot, gamma, masked_softmax, random_input};

    /// One stage as dense attention over all `N` positions, every position outside the group
    /// masked out (long: `h ≡ h′ mod P_h` and `w ≡ w′ mod P_w`; short: `⌊h/P_h⌋ = ⌊h′/P_h⌋` and
    /// `⌊w/P_w⌋ = ⌊w′/P_w⌋`), in f64.
    /// Returns `(A, output)`, `A` one `N × N` matrix per batch item.
    fn dense_stage(
        input: &Map,
        qkv: &QueryKeyValue,
        stage: Stage,
        scale: f64,
    ) -> (Vec<Vec<Vec<f64>>>, Map) {
        let (q, k, v) = input.project(qkv);
        let (n, width) = (input.positions(), input.width);
        let partition = Partition::new(input.height, input.width);
        let [ph, pw] = partition.block;
        let together = |u: usize, t: usize| {
            let ((h, w), (h2, w2)) = ((u / width, u % width), (t / width, t % width));
            match stage {
                Stage::Long => h % ph == h2 % ph && w % pw == w2 % pw,
                Stage::Short => h / ph == h2 / ph && w / pw == w2 / pw,
            }
        };
        let weights = input.matrices(|b, u| {
            let kept: Vec<usize> = (0..n).filter(|&t| together(u, t)).collect();
            masked_softmax(&kept, |t| scale * dot(&q.vector(b, u), &k.vector(b, t)), n)
        });
        let output = v.attend(&weights);
        (weights, output)
    }

    /// Both stages against dense masked attention, on maps that divide into 8 × 8 blocks, that
    /// do not (padding, masked), and that are smaller than a block.
    #[test]
    fn matches_dense_attention_masked_to_each_stage_s_groups_in_f64() {
        let device = Device::flex();
        let mut block = InterlacedAttentionConfig::new(16, 4).init(&device);
        block.gamma = gamma(0.7, &device);
        for [h, w] in [[16, 8], [11, 13], [5, 3]] {
            let x = random_input([2, 16, h, w], &device);
            let input = Map::from_tensor(x.clone());
            let scale = 1.0 / 2.0; // 1/√C′, C′ = 4
            let (_, long) = dense_stage(&input, &block.long, Stage::Long, scale);
            let (_, short) = dense_stage(&long, &block.short, Stage::Short, scale);
            let expected = input.gated(0.7, &short);
            let error = expected.max_abs_diff(block.forward(x));
            assert!(error <= 1e-4, "{h}×{w}: max abs error {error}");
        }
    }

    /// The weights a position looks with are the oracle's two stages composed, on a map that
    /// divides into blocks and one that is padded.
    #[test]
    fn context_weights_are_the_oracle_s_stages_composed() {
        let device = Device::flex();
        let block = InterlacedAttentionConfig::new(16, 4).init(&device);
        for [h, w] in [[16, 8], [11, 13]] {
            let x = random_input([1, 16, h, w], &device);
            let input = Map::from_tensor(x.clone());
            let (long, between) = dense_stage(&input, &block.long, Stage::Long, 0.5);
            let (short, _) = dense_stage(&between, &block.short, Stage::Short, 0.5);
            let weights = block.context_weights(read_all(block.weight_maps(x)));
            assert_rows_match(&*weights, &compose_dense(&short[0], &long[0]));
        }
    }

    /// With one block (a map no larger than 8 × 8) the long stage's groups have one member each
    /// and the short stage is the non-local block: ISSA is dense attention there.
    #[test]
    fn a_map_of_one_block_is_attended_densely() {
        let partition = Partition::new(6, 8);
        assert_eq!(partition.blocks, [1, 1]);
        assert_eq!(partition.groups(Stage::Short), (1, 48));
        assert_eq!(partition.groups(Stage::Long), (48, 1));
    }

    /// At 64 × 64, C = 128: a 1/64 of dot's N × N map, and an operation count that matches the
    /// oracle's: per stage, each of the N padded positions scores M members (C′ multiply-adds
    /// each), weighs M values (C each), and the softmax's five operations per score.
    #[test]
    fn the_cost_counts_the_oracle_s_operations() {
        let shape = CostShape {
            channels: 128,
            key_channels: 16,
            height: 64,
            width: 64,
        };
        let cost = InterlacedAttention::cost(shape);
        let n = 4096u64;
        let per_stage = 2 * n * 64 * (16 + 128) + 5 * n * 64;
        assert_eq!(cost.flops - cost.projection_flops, 2 * per_stage);
        assert_eq!(cost.projection_flops, 2 * shape.qkv_flops());
        assert_eq!(cost.largest_floats, (n * 64).max(128 * n));
        let dot = crate::attention::DotAttention::cost(shape);
        assert!(dot.largest_floats >= 32 * cost.largest_floats);
    }
}
