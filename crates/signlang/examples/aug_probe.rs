use rand::SeedableRng;
use signlang::train::Augmentation;
fn main() {
    tch::set_num_threads(1);
    let x = tch::Tensor::rand([64, 1, 28, 28], (tch::Kind::Float, tch::Device::Cpu));
    let r = Augmentation::robust();
    let parts: Vec<(&str, Augmentation)> = vec![
        ("mild", Augmentation::mild()),
        (
            "geom",
            Augmentation {
                shift: 3.0,
                rotate: 15.0,
                zoom: 0.2,
                ..Augmentation::none()
            },
        ),
        (
            "mirror",
            Augmentation {
                mirror: true,
                ..Augmentation::none()
            },
        ),
        (
            "clutter",
            Augmentation {
                clutter: r.clutter,
                ..Augmentation::none()
            },
        ),
        (
            "gamma",
            Augmentation {
                gamma: r.gamma,
                ..Augmentation::none()
            },
        ),
        (
            "blur",
            Augmentation {
                blur: r.blur,
                ..Augmentation::none()
            },
        ),
        (
            "noise",
            Augmentation {
                noise: r.noise,
                ..Augmentation::none()
            },
        ),
        (
            "erase",
            Augmentation {
                erase: r.erase,
                ..Augmentation::none()
            },
        ),
        ("robust", r.clone()),
    ];
    for (name, a) in parts {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let t = std::time::Instant::now();
        for _ in 0..20 {
            let _ = a.apply(&x, &mut rng);
        }
        println!(
            "{name:8} {:.2} ms/batch",
            t.elapsed().as_secs_f64() * 1000.0 / 20.0
        );
    }
}
