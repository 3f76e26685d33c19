//! Device selection from the command line: `cpu` or `cuda:N`. The CUDA backend is compiled only
//! with the `cuda` feature; without it, asking for CUDA is a clear error, never a silent fallback.

use candle_core::Device;

use crate::error::{DeepError, Result};

/// Parses `cpu` or `cuda:N` (also `cuda`, meaning `cuda:0`) into a device.
pub fn parse_device(spec: &str) -> Result<Device> {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("cpu") {
        return Ok(Device::Cpu);
    }
    let ordinal = match spec.strip_prefix("cuda") {
        Some("") => 0,
        Some(rest) => rest
            .strip_prefix(':')
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| DeepError::Config(format!("device {spec:?}: expected cpu or cuda:N")))?,
        None => {
            return Err(DeepError::Config(format!(
                "device {spec:?}: expected cpu or cuda:N"
            )))
        }
    };
    Device::new_cuda(ordinal)
        .map_err(|e| DeepError::Config(format!("device {spec:?} is not available: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_rejects_garbage() {
        assert!(parse_device("cpu").unwrap().is_cpu());
        assert!(parse_device("gpu").is_err());
        assert!(parse_device("cuda:x").is_err());
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_feature_is_a_clear_error() {
        let err = parse_device("cuda:0").unwrap_err().to_string();
        assert!(err.contains("cuda:0"), "{err}");
    }
}
