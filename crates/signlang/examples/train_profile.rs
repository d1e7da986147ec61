//! Where does a training epoch's time go? Times the parts of the trainer's
//! inner loop on random data shaped like Sign Language MNIST, on the CPU:
//! batching (per-batch `index_select` vs `narrow` on a pre-shuffled copy),
//! forward + backward + optimizer step, augmentation, evaluation with and
//! without `no_grad`, and arithmetic on denormal floats with and without
//! flush-to-zero.
//!
//! `cargo run --release -p signlang --example train_profile -- [model] [threads]`

use std::time::Instant;

use signlang::runtime::flush_denormals;
use signlang::train::Augmentation;
use tch::nn::{ModuleT, OptimizerConfig};
use tch::{nn, Device, Kind, Reduction, Tensor};

fn time<T>(label: &str, reps: usize, mut f: impl FnMut() -> T) -> f64 {
    f();
    let t0 = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(f());
    }
    let us = t0.elapsed().as_secs_f64() / reps as f64 * 1e6;
    println!("{label:<58} {us:>10.1} µs");
    us
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = args.get(1).map(String::as_str).unwrap_or("cnn2");
    let threads: i32 = args.get(2).and_then(|t| t.parse().ok()).unwrap_or(2);
    tch::set_num_threads(threads);
    let denormal_us = |label: &str| {
        let x = Tensor::full([400_000], 1e-39, (Kind::Float, Device::Cpu));
        let normal = Tensor::full([400_000], 1e-3, (Kind::Float, Device::Cpu));
        let d = time(&format!("{label}: 400k denormal mul+add"), 200, || {
            &x * 0.9 + &x * 0.1
        });
        let n = time(&format!("{label}: 400k normal mul+add"), 200, || {
            &normal * 0.9 + &normal * 0.1
        });
        d / n
    };
    let slow = denormal_us("default MXCSR");
    flush_denormals();
    let fast = denormal_us("after flush_denormals()");
    println!("denormal/normal cost ratio: {slow:.1}× before, {fast:.1}× after flush_denormals\n");

    let (spec, config) = signlang::presets::reference(model).expect("baseline_cnn, dense or cnn2");
    let n = 27_455i64;
    let bs = config.batch_size as i64;
    tch::manual_seed(0);
    let x = Tensor::rand([n, 1, 28, 28], (Kind::Float, Device::Cpu));
    let y = Tensor::randint(24, [n], (Kind::Int64, Device::Cpu));
    let perm = Tensor::randperm(n, (Kind::Int64, Device::Cpu));
    println!("model {model}, threads {threads}, batch {bs}");
    time("shuffle: one index_select of the whole set", 5, || {
        x.index_select(0, &perm)
    });
    let xs = x.index_select(0, &perm);
    let mut b = 0i64;
    let nb = n / bs;
    time("batch: index_select of 32 rows", 2000, || {
        b = (b + 1) % nb;
        x.index_select(0, &perm.narrow(0, b * bs, bs))
    });
    time("batch: narrow of the pre-shuffled copy", 2000, || {
        b = (b + 1) % nb;
        xs.narrow(0, b * bs, bs)
    });
    let aug = Augmentation::mild();
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
    let bx = xs.narrow(0, 0, bs);
    time(
        "augment: affine_grid + grid_sample + brightness/contrast",
        500,
        || aug.apply(&bx, &mut rng),
    );
    let robust = Augmentation::robust();
    time(
        "augment: the robust recipes' preset (mild + flips, gamma, noise, ...)",
        500,
        || robust.apply(&bx, &mut rng),
    );

    let vs = nn::VarStore::new(Device::Cpu);
    let net = spec.build(&vs.root());
    let mut opt = match config.optimizer {
        signlang::train::Optimizer::Sgd { momentum, .. } => nn::Sgd {
            momentum,
            ..Default::default()
        }
        .build(&vs, config.lr)
        .unwrap(),
        _ => nn::Adam::default().build(&vs, config.lr).unwrap(),
    };
    let by = y.narrow(0, 0, bs);
    let step = time("train step: forward + backward + optimizer", 300, || {
        let loss = net.forward_t(&bx, true).cross_entropy_loss::<Tensor>(
            &by,
            None,
            Reduction::Mean,
            -100,
            0.0,
        );
        opt.backward_step(&loss);
    });
    time("  of which forward (train mode)", 300, || {
        net.forward_t(&bx, true)
    });
    time("  of which optimizer step", 300, || opt.step());
    println!(
        "  => {:.2} s per epoch of {n} images from steps alone",
        step * (n / bs) as f64 / 1e6
    );
    let vx = x.narrow(0, 0, 1024);
    let with = time("eval 1024 images in batches of 32, with grad", 5, || {
        for i in 0..32 {
            let _ = net.forward_t(&vx.narrow(0, i * 32, 32), false);
        }
    });
    for eb in [32i64, 128, 256, 1024] {
        let without = time(
            &format!("eval 1024 images in batches of {eb}, no_grad"),
            5,
            || {
                tch::no_grad(|| {
                    for i in 0..1024 / eb {
                        let _ = net.forward_t(&vx.narrow(0, i * eb, eb), false);
                    }
                })
            },
        );
        println!(
            "  => {:.2}× the time with grad in batches of 32",
            without / with
        );
    }
}
