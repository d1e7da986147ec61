use signlang::model::ModelSpec;
use tch::{nn, nn::ModuleT, Device, Kind, Tensor};
fn main() {
    tch::set_num_threads(1);
    signlang::train::flush_denormals();
    for norm in [false, true, false, true] {
        let mut spec = ModelSpec::cnn2();
        if let ModelSpec::Cnn(c) = &mut spec {
            c.input_norm = norm;
        }
        let vs = nn::VarStore::new(Device::Cpu);
        let net = spec.build(&vs.root());
        let x = Tensor::rand([64, 1, 28, 28], (Kind::Float, Device::Cpu));
        let t = std::time::Instant::now();
        for _ in 0..30 {
            let y = net.forward_t(&x, true);
            y.sum(Kind::Float).backward();
        }
        println!(
            "norm={norm} {:.2} ms/step",
            t.elapsed().as_secs_f64() * 1000.0 / 30.0
        );
    }
}
