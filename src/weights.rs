//! Each attention mode's weights: a burnpack record of the whole network, `selfie-<mode>.bpk`
//! in `models/`, to and from bytes: the browser fetches them, natively
//! `native::weight_files` reads them from a folder.

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};

use crate::attention::AttentionMode;
use crate::error::{Error, Result};
use crate::model::{SelfieNet, SelfieNetConfig};

/// The weight file of a mode: `selfie-<mode>.bpk`.
pub fn file_name(mode: AttentionMode) -> String {
    format!("selfie-{mode}.bpk")
}

/// A network of `mode` with the weights of a burnpack record.
pub fn from_bytes(bytes: Vec<u8>, mode: AttentionMode, device: &Device) -> Result<SelfieNet> {
    let weights_error = |reason| Error::Weights { mode, reason };
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|err| weights_error(format!("{}: not a weight file: {err}", file_name(mode))))?;
    SelfieNetConfig::new(mode)
        .init(device)
        .try_load_record(record)
        .map_err(|err| {
            weights_error(format!(
                "{}: does not fit the {mode} network: {err}",
                file_name(mode)
            ))
        })
}

/// The network's weights as a burnpack record.
pub fn to_bytes(net: SelfieNet) -> Result<Vec<u8>> {
    let mode = net.mode();
    let bytes = net
        .into_record()
        .into_bytes()
        .map_err(|err| Error::Weights {
            mode,
            reason: err.to_string(),
        })?;
    Ok(bytes.to_vec())
}

/// The network of `mode` with the weights `models/` ships, for the tests.
#[cfg(test)]
pub(crate) fn shipped(mode: AttentionMode, device: &Device) -> SelfieNet {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(file_name(mode));
    from_bytes(
        std::fs::read(path).expect("the mode's weights"),
        mode,
        device,
    )
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::oracle::Map;
    use burn::tensor::{Distribution, Tensor};

    /// A network survives the trip through bytes, every mode.
    #[test]
    fn records_round_trip() {
        let device = Device::flex();
        let x = Tensor::<4>::random([1, 3, 32, 48], Distribution::Default, &device);
        for mode in AttentionMode::ALL {
            let net = SelfieNetConfig::new(mode).init(&device);
            let expected = Map::from_tensor(net.forward(x.clone()));
            let loaded = from_bytes(to_bytes(net).unwrap(), mode, &device).unwrap();
            assert_eq!(
                expected.max_abs_diff(loaded.forward(x.clone())),
                0.0,
                "{mode}"
            );
        }
    }

    #[test]
    fn garbage_is_refused_with_the_file_name() {
        let err = from_bytes(
            b"not burnpack".to_vec(),
            AttentionMode::Linear,
            &Device::flex(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::BadWeights);
        assert!(err.to_string().contains("selfie-linear.bpk"), "{err}");
    }

    #[test]
    fn a_record_of_another_mode_does_not_fit() {
        let device = Device::flex();
        let bytes = to_bytes(SelfieNetConfig::new(AttentionMode::Efficient).init(&device)).unwrap();
        assert!(from_bytes(bytes, AttentionMode::None, &device).is_err());
    }
}
