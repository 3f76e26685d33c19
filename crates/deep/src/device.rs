//! Device selection from the command line: `cpu` or `cuda:N`. The CUDA backend is compiled only
//! with the `cuda` feature; without it, asking for CUDA is a clear error, never a silent fallback.
//!
//! Also the [`test_device!`](crate::test_device) macro: a test body written once over a
//! `&Device` runs on the CPU always and on CUDA when the `cuda` feature is on.

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
    cuda_device(spec, ordinal)
}

/// Opens CUDA device `ordinal`; `spec` is how the user wrote it, for the error message.
#[cfg(feature = "cuda")]
fn cuda_device(spec: &str, ordinal: usize) -> Result<Device> {
    // candle's own error for a missing driver or a bad ordinal is a bare driver status code;
    // say which device was asked for and what is needed.
    Device::new_cuda(ordinal).map_err(|e| {
        DeepError::Config(format!(
            "device {spec:?} is not available ({e}); it needs an NVIDIA GPU with ordinal \
             {ordinal}, a driver for CUDA 13 and the CUDA libraries on LD_LIBRARY_PATH \
             (see docs/gpu.md)"
        ))
    })
}

/// Without the `cuda` feature no CUDA code is compiled: asking for it is a configuration error.
#[cfg(not(feature = "cuda"))]
fn cuda_device(spec: &str, _ordinal: usize) -> Result<Device> {
    Err(DeepError::Config(format!(
        "device {spec:?}: this binary was built without CUDA support; build it with \
         `--features cuda` (scripts/build-cuda.sh) or use `--device cpu`"
    )))
}

/// Whether this build can use CUDA devices (the `cuda` feature).
pub const CUDA_BUILT: bool = cfg!(feature = "cuda");

/// The CUDA device the [`test_device!`](crate::test_device) tests run on: `cuda:0`, or the
/// ordinal in `BIOMARKER_TEST_CUDA`. Panics (failing the test) when it cannot be opened: a
/// `cuda` build's tests are meant to run on a GPU machine.
pub fn test_cuda_device() -> Device {
    let ordinal = std::env::var("BIOMARKER_TEST_CUDA").unwrap_or_else(|_| "0".into());
    parse_device(&format!("cuda:{ordinal}")).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs one test body on every compiled device: `test_device!(name)` turns a function
/// `fn name(device: &Device)` into tests `name::cpu` (always) and `name::cuda` (only with the
/// `cuda` feature of the crate that expands it).
#[macro_export]
macro_rules! test_device {
    ($name:ident) => {
        mod $name {
            #[test]
            fn cpu() {
                super::$name(&::candle_core::Device::Cpu);
            }

            #[cfg(feature = "cuda")]
            #[test]
            fn cuda() {
                super::$name(&$crate::device::test_cuda_device());
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_rejects_garbage() {
        assert!(parse_device("cpu").unwrap().is_cpu());
        assert!(parse_device(" CPU ").unwrap().is_cpu());
        for bad in ["gpu", "cuda:x", "cuda0", "cuda:-1", "metal:0"] {
            let err = parse_device(bad).unwrap_err().to_string();
            assert!(err.contains("expected cpu or cuda:N"), "{bad}: {err}");
        }
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_feature_is_a_clear_error() {
        for spec in ["cuda:0", "cuda", "cuda:3"] {
            let err = parse_device(spec).unwrap_err().to_string();
            assert!(
                err.contains(spec) && err.contains("built without CUDA support"),
                "{err}"
            );
        }
    }

    #[cfg(feature = "cuda")]
    #[test]
    fn cuda_device_opens_or_names_the_ordinal() {
        assert!(parse_device("cuda:0").unwrap().is_cuda());
        let err = parse_device("cuda:999").unwrap_err().to_string();
        assert!(err.contains("cuda:999"), "{err}");
    }
}
