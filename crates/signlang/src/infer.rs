//! Inference: the one batching helper that every prediction path uses,
//! and the class probabilities of a network.

use tch::nn::ModuleT;
use tch::{Device, Kind, Tensor};

use crate::model::Net;
use crate::runtime::eval_batch;

/// Calls `f(start, len)` for consecutive batches of at most `batch` of `n`
/// items, in order, and collects the results; stops at the first error.
pub fn in_batches<T, E>(
    n: i64,
    batch: i64,
    mut f: impl FnMut(i64, i64) -> Result<T, E>,
) -> Result<Vec<T>, E> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < n {
        let len = batch.min(n - start);
        out.push(f(start, len)?);
        start += len;
    }
    Ok(out)
}

/// Class probabilities (`N×24` softmax, on the CPU) of `images`
/// (`N×1×28×28` in `[0, 1]`, any device) in eval mode under `no_grad`,
/// in batches on `device` (1,024 on GPUs, 32 on the CPU, where that is
/// faster; see [`crate::runtime`]).
pub fn predict_proba(net: &Net, images: &Tensor, device: Device) -> Tensor {
    let _guard = tch::no_grad_guard();
    let n = images.size()[0];
    let parts = in_batches(n, eval_batch(device), |start, len| {
        let bx = images.narrow(0, start, len).to_device(device);
        let p = net.forward_t(&bx, false).softmax(-1, Kind::Float);
        Ok::<_, std::convert::Infallible>(p.to_device(Device::Cpu))
    })
    .unwrap_or_else(|e| match e {});
    if parts.is_empty() {
        return Tensor::zeros([0, crate::NUM_CLASSES as i64], (Kind::Float, Device::Cpu));
    }
    Tensor::cat(&parts, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_every_item_once_in_order() {
        let spans = in_batches(10, 4, |s, l| Ok::<_, ()>((s, l))).unwrap();
        assert_eq!(spans, vec![(0, 4), (4, 4), (8, 2)]);
        assert!(in_batches(0, 4, |s, l| Ok::<_, ()>((s, l)))
            .unwrap()
            .is_empty());
        let err = in_batches(10, 4, |s, _| if s == 4 { Err(s) } else { Ok(s) });
        assert_eq!(err, Err(4));
    }

    #[test]
    fn probabilities_have_one_row_per_image_and_sum_to_one() {
        let vs = tch::nn::VarStore::new(Device::Cpu);
        let net = crate::presets::dense().build(&vs.root());
        let x = Tensor::rand([70, 1, 28, 28], (Kind::Float, Device::Cpu));
        let p = predict_proba(&net, &x, Device::Cpu);
        assert_eq!(p.size(), vec![70, 24]);
        let sums = p.sum_dim_intlist([1i64].as_slice(), false, Kind::Float);
        assert!((sums - 1.0).abs().max().double_value(&[]) < 1e-5);
        let empty = x.narrow(0, 0, 0);
        assert_eq!(predict_proba(&net, &empty, Device::Cpu).size(), vec![0, 24]);
    }
}
