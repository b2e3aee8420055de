//! What one position looks at: the weights with which a block gathers context for one position
//! of its map, over every position of that map.
//!
//! A block names the maps its weights come from (its queries and keys, stage by stage:
//! [`AttentionBlock::weight_maps`](super::AttentionBlock::weight_maps)); they are read back from
//! the device once per map, as [`Features`], and the block turns them into a
//! [`ContextWeights`], which answers for any position in `O(N·C′)` or less — cheap enough to
//! follow a pointer. Where a mode attends in stages (criss-cross's two passes, interlaced
//! attention's two stages, axial attention's column and row), the weights are the stages'
//! composed, `A₂·A₁`: how much of each position's value reaches this one through both.

use burn::tensor::Tensor;

/// One map read back from the device, position-major: `[H, W, C]` as `N` vectors of `C`.
#[derive(Debug, Clone)]
pub struct Features {
    /// `C`.
    pub channels: usize,
    /// `H`.
    pub height: usize,
    /// `W`.
    pub width: usize,
    /// `N·C` values, position `n`'s vector at `n·C..(n + 1)·C`.
    pub data: Vec<f32>,
}

impl Features {
    /// Read a map off its device, waiting for it.
    ///
    /// # Shapes
    /// - `map`: `[1, C, H, W]`
    pub async fn read(map: Tensor<4>) -> crate::Result<Features> {
        let [_, channels, height, width] = map.dims();
        let data = crate::network::read_back(map.permute([0, 2, 3, 1])).await?; // [1, H, W, C]
        Ok(Features {
            channels,
            height,
            width,
            data,
        })
    }

    /// `N = H·W`.
    pub fn positions(&self) -> usize {
        self.height * self.width
    }

    /// Position `n`'s channel vector, `[C]`.
    pub fn vector(&self, n: usize) -> &[f32] {
        &self.data[n * self.channels..(n + 1) * self.channels]
    }

    /// `q · vector(n)` for every position `n`, `[N]`.
    pub fn scores(&self, q: &[f32]) -> Vec<f32> {
        (0..self.positions())
            .map(|n| dot(q, self.vector(n)))
            .collect()
    }
}

/// The weights of one block on one map, for any of its positions.
pub trait ContextWeights {
    /// The weights with which position `n` (row-major over `H × W`) gathers context: `N`
    /// values, each ≥ 0, that sum to 1.
    fn row(&self, n: usize) -> Vec<f32>;
}

/// `Σ a_i b_i`.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Softmax in place over `scores`.
pub fn softmax_in_place(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    for s in scores.iter_mut() {
        *s /= sum;
    }
}

/// Softmax over the positions `kept`, everything else 0: a dense row of `n` weights.
pub fn softmax_over(kept: &[usize], score: impl Fn(usize) -> f32, n: usize) -> Vec<f32> {
    let mut scores: Vec<f32> = kept.iter().map(|&t| score(t)).collect();
    softmax_in_place(&mut scores);
    let mut row = vec![0.0; n];
    for (&t, a) in kept.iter().zip(scores) {
        row[t] = a;
    }
    row
}

/// Two attentions one after the other: `Σ_t second[t] · first(t)`, the row of `A₂·A₁` for the
/// position whose second-stage row is `second` (`[N]`; `first(t)` is row `t` of `A₁`, `[N]`).
pub fn compose(second: &[f32], first: impl Fn(usize) -> Vec<f32>) -> Vec<f32> {
    let mut row = vec![0.0; second.len()];
    for (t, &a) in second.iter().enumerate() {
        if a != 0.0 {
            for (out, w) in row.iter_mut().zip(first(t)) {
                *out += a * w;
            }
        }
    }
    row
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::attention::oracle::Map;
    use burn::tensor::Device;

    /// Read `maps` with the block's own reader, as the engine does.
    pub fn read_all(maps: Vec<Tensor<4>>) -> Vec<Features> {
        maps.into_iter()
            .map(|map| futures_lite::future::block_on(Features::read(map)))
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// `A₂·A₁` for explicit matrices, `[M][K]·[K][N]`.
    pub fn compose_dense(second: &[Vec<f64>], first: &[Vec<f64>]) -> Vec<Vec<f64>> {
        second
            .iter()
            .map(|row| {
                (0..first[0].len())
                    .map(|j| row.iter().zip(first).map(|(a, f)| a * f[j]).sum())
                    .collect()
            })
            .collect()
    }

    /// Every row of `weights` against the oracle's `N × N` matrix, within 1e-4, and summing to 1.
    pub fn assert_rows_match(weights: &dyn ContextWeights, oracle: &[Vec<f64>]) {
        for (n, expected) in oracle.iter().enumerate() {
            let row = weights.row(n);
            assert_eq!(row.len(), expected.len(), "row {n}");
            let error = row
                .iter()
                .zip(expected)
                .map(|(a, b)| (*a as f64 - b).abs())
                .fold(0.0, f64::max);
            assert!(error <= 1e-4, "row {n}: max abs error {error}");
            let sum: f32 = row.iter().sum();
            assert!((sum - 1.0).abs() <= 1e-4, "row {n} sums to {sum}");
            assert!(
                row.iter().all(|&w| w >= 0.0),
                "row {n} has a negative weight"
            );
        }
    }

    /// A read map keeps every value where its position and channel say.
    #[test]
    fn features_are_read_position_major() {
        let device = Device::flex();
        let map = crate::attention::oracle::random_input([1, 3, 2, 5], &device);
        let expected = Map::from_tensor(map.clone());
        let read = read_all(vec![map]).remove(0);
        assert_eq!([read.channels, read.height, read.width], [3, 2, 5]);
        for n in 0..10 {
            let vector: Vec<f64> = read.vector(n).iter().map(|&v| v as f64).collect();
            let want = expected.vector(0, n);
            for (a, b) in vector.iter().zip(&want) {
                assert!((a - b).abs() < 1e-6, "position {n}");
            }
        }
    }

    /// Composing keeps rows summing to 1 and equals the matrix product.
    #[test]
    fn compose_is_the_matrix_product() {
        let first = [
            vec![0.5, 0.5, 0.0],
            vec![0.0, 1.0, 0.0],
            vec![0.2, 0.3, 0.5],
        ];
        let second = [0.25, 0.0, 0.75];
        let row = compose(&second, |t| first[t].iter().map(|&v| v as f32).collect());
        let expected = [0.125 + 0.15, 0.125 + 0.225, 0.375];
        for (a, b) in row.iter().zip(expected) {
            assert!((a - b as f32).abs() < 1e-6, "{row:?}");
        }
    }
}
