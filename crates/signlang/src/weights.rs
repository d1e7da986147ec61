//! Weights: saving a var store as safetensors, and in-memory snapshots
//! that training restores (the last good epoch after divergence, the best
//! epoch after early stopping).

use tch::nn::VarStore;
use tch::Tensor;

/// Saves the weights of a var store as safetensors, in the standard
/// (contiguous, NCHW) layout whatever their storage in memory: convolution
/// weights live channels-last during training, which safetensors cannot
/// write as they are. [`tch::nn::VarStore::load`] reads the file back into
/// any layout.
pub fn save_weights(vs: &VarStore, path: impl AsRef<std::path::Path>) -> Result<(), tch::TchError> {
    let named: Vec<(String, Tensor)> = tch::no_grad(|| {
        let mut v: Vec<(String, Tensor)> = vs
            .variables()
            .into_iter()
            .map(|(name, t)| (name, t.contiguous()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    });
    Tensor::write_safetensors(&named, path)
}

/// SHA-256 of a file's bytes, as 64 lower-case hex digits (how
/// [`crate::train::Init`] names the weights a run starts from).
pub fn file_sha256(path: impl AsRef<std::path::Path>) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path)?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Copies of a var store's variables, by name.
pub(crate) type Snapshot = Vec<(String, Tensor)>;

pub(crate) fn snapshot(vs: &VarStore) -> Snapshot {
    let _guard = tch::no_grad_guard();
    let mut v: Vec<(String, Tensor)> = vs
        .variables()
        .into_iter()
        .map(|(k, t)| (k, t.copy()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

pub(crate) fn restore(vs: &VarStore, snap: &[(String, Tensor)]) {
    let _guard = tch::no_grad_guard();
    let vars = vs.variables();
    for (name, saved) in snap {
        if let Some(t) = vars.get(name) {
            let mut t = t.shallow_clone();
            t.copy_(saved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::ModuleT;
    use tch::{Device, Kind};

    /// CNN weights are stored channels-last in memory; the safetensors file
    /// must still be written, and read back to the same outputs.
    #[test]
    fn cnn_weights_round_trip_through_safetensors() {
        let _rng = crate::runtime::torch_rng_lock();
        tch::manual_seed(1);
        let spec = crate::presets::cnn2();
        let vs = VarStore::new(Device::Cpu);
        let net = spec.build(&vs.root());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        save_weights(&vs, &path).unwrap();
        let mut vs2 = VarStore::new(Device::Cpu);
        let net2 = spec.build(&vs2.root());
        vs2.load(&path).unwrap();
        let x = Tensor::rand([3, 1, 28, 28], (Kind::Float, Device::Cpu));
        let (a, b) = (net.forward_t(&x, false), net2.forward_t(&x, false));
        assert_eq!(a.size(), vec![3, 24]);
        assert!(a.allclose(&b, 1e-6, 1e-6, false));
    }

    /// A snapshot is a copy: restoring it undoes later changes.
    #[test]
    fn restore_brings_back_the_snapshot() {
        let _rng = crate::runtime::torch_rng_lock();
        let vs = VarStore::new(Device::Cpu);
        let w = vs.root().zeros("w", &[3]);
        let snap = snapshot(&vs);
        tch::no_grad(|| {
            let _ = w.shallow_clone().fill_(5.0);
        });
        assert_eq!(Vec::<f32>::try_from(&w).unwrap(), [5.0; 3]);
        restore(&vs, &snap);
        assert_eq!(Vec::<f32>::try_from(&w).unwrap(), [0.0; 3]);
    }
}
