//! `signlang bench`: time training epochs of a reference model on the full
//! training set and print one JSON line per epoch on stdout (an indicatif
//! bar on stderr shows the batches).
//!
//! On a busy machine it runs with `OMP_WAIT_POLICY=PASSIVE` (see
//! [`openmp_wait_policy`]); on an idle one with libgomp's defaults, as the
//! peers under `bench/` run.
//!
//! Only training is timed: no validation set is passed to the trainer, so
//! `loss` and `accuracy` are the epoch's running training figures, as the
//! Python peers under `bench/` report them.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use signlang::data::Dataset;
use signlang::train::{self, Progress, ProgressEvent, TrainOptions};
use tch::Device;

/// Arguments of `signlang bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// Reference model: baseline_cnn, dense or cnn2.
    #[arg(long)]
    model: String,
    /// Epochs to time.
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    /// Training CSV (.csv or .csv.gz).
    #[arg(long, default_value = "data/sign_mnist_train.csv.gz")]
    data: PathBuf,
    /// libtorch intra-op threads (default: libtorch's choice).
    #[arg(long)]
    threads: Option<i32>,
    /// Device: cpu, cuda or auto (CUDA when present).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Batch size (default: the reference's, 32).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Runs `signlang bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    openmp_wait_policy()?;
    // Threads first, then FTZ/DAZ, before libtorch starts its pool.
    if let Some(t) = args.threads {
        anyhow::ensure!(t > 0, "--threads must be positive, got {t}");
        tch::set_num_threads(t);
    }
    signlang::runtime::flush_denormals();
    let (spec, mut config) = signlang::presets::reference(&args.model).with_context(|| {
        format!(
            "unknown model `{}`; choose one of {}",
            args.model,
            signlang::presets::NAMES.join(", ")
        )
    })?;
    config.epochs = args.epochs;
    config.seed = args.seed;
    if let Some(b) = args.batch_size {
        config.batch_size = b;
    }
    let device = match args.device.as_str() {
        "cpu" => Device::Cpu,
        "cuda" => Device::Cuda(0),
        "auto" => Device::cuda_if_available(),
        other => anyhow::bail!("--device must be cpu, cuda or auto, got `{other}`"),
    };
    let data = signlang::data::load_dataset(&args.data)
        .with_context(|| format!("cannot load {}; pass --data PATH", args.data.display()))?;
    let empty = Dataset {
        name: "none".into(),
        pixels: vec![],
        classes: vec![],
        rows: vec![],
    };
    let bar = progress_bar(args.quiet)?;
    let options = TrainOptions {
        device,
        progress: Progress::Callback(Box::new(reporter(
            bar.clone(),
            &args.model,
            spec.summary().train_flops_per_image(),
            device,
        ))),
        stop: None,
    };
    let trained = train::train(&spec, &config, &data, &empty, options)?;
    bar.finish_and_clear();
    if trained.history.status != train::RunStatus::Completed {
        anyhow::bail!("benchmark run ended with {:?}", trained.history.status);
    }
    Ok(())
}

/// The batch progress bar (hidden with `--quiet`).
fn progress_bar(quiet: bool) -> anyhow::Result<ProgressBar> {
    let bar = ProgressBar::new(0);
    if quiet {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} batches {per_sec} {eta}")
            .context("progress template")?
            .progress_chars("=> "),
    );
    Ok(bar)
}

/// Drives `pb` with the trainer's batches and prints one JSON line per epoch,
/// with the training throughput in GFLOP/s and its share of the CPU's FP32
/// peak (measured first, on as many threads as libtorch uses).
fn reporter(
    pb: ProgressBar,
    model: &str,
    train_flops_per_image: i64,
    device: Device,
) -> impl FnMut(&ProgressEvent<'_>) + Send + 'static {
    let name = model.to_string();
    let threads = tch::get_num_threads();
    let cpu = signlang::cpu::CpuInfo::detect();
    eprintln!("signlang bench: {}", cpu.line());
    let peak = (device == Device::Cpu)
        .then(|| signlang::cpu::fma_peak_gflops(threads.max(1) as usize, cpu.effective_simd()))
        .flatten();
    if let Some(p) = peak {
        eprintln!(
            "signlang bench: FP32 peak {p:.0} GFLOP/s on {threads} threads ({} FMA chains)",
            cpu.effective_simd()
        );
    }
    let dev = format!("{device:?}").to_lowercase();
    // What libgomp was started with (set by the user or by
    // `openmp_wait_policy`'s re-run); "default" is libgomp's spin-then-sleep,
    // with the spin count named when the user set one.
    let wait_policy = match (
        std::env::var("OMP_WAIT_POLICY"),
        std::env::var("GOMP_SPINCOUNT"),
    ) {
        (Ok(policy), _) => policy,
        (Err(_), Ok(spin)) => format!("default, GOMP_SPINCOUNT={spin}"),
        (Err(_), Err(_)) => "default".to_string(),
    };
    move |ev: &ProgressEvent<'_>| match ev {
        ProgressEvent::Start {
            epochs,
            batches_per_epoch,
        } => {
            pb.set_length(*batches_per_epoch as u64);
            pb.set_prefix(format!("epoch 1/{epochs}"));
        }
        ProgressEvent::Batch { epoch, batch, .. } => {
            if *batch == 1 {
                pb.reset();
                pb.set_prefix(format!("epoch {epoch}"));
            }
            pb.set_position(*batch as u64);
        }
        ProgressEvent::Epoch(e) => {
            let gflops = e.images_per_sec * train_flops_per_image as f64 / 1e9;
            let line = serde_json::json!({
                "model": name,
                "epoch": e.epoch,
                "seconds": e.seconds,
                "images_per_sec": e.images_per_sec,
                "loss": e.train_loss,
                "accuracy": e.train_accuracy,
                "threads": threads,
                "device": dev,
                "cpu": &cpu.model,
                "simd": cpu.simd,
                "onednn": cpu.onednn,
                "mkl": cpu.mkl,
                "isa_cap": &cpu.isa_cap,
                "omp_wait_policy": &wait_policy,
                "train_flops_per_image": train_flops_per_image,
                "gflops": gflops,
                "peak_gflops": peak,
                "share_of_peak": peak.map(|p| gflops / p),
            });
            pb.suspend(|| println!("{line}"));
        }
    }
}

/// libtorch's OpenMP threads spin a while before they sleep (libgomp's
/// default). On an idle machine that is the fastest setting, and passive
/// waiting costs 1.5–2.8× (measured: dense 0.9 s against 2.6 s per epoch,
/// baseline_cnn 2.5 s against 4.3 s). When other processes hold a core,
/// spinning threads wait for a descheduled partner at every barrier, and
/// passive waiting wins (with one core busy: dense 2.0 s against 3.1–3.7 s,
/// baseline_cnn 7.0 s against 8.3–10.3 s).
///
/// libgomp reads the policy when it loads, before `main`. So when neither
/// `OMP_WAIT_POLICY` nor `GOMP_SPINCOUNT` is set and other processes use half
/// a core or more (sampled from `/proc/stat` over 0.3 s), the command runs
/// itself again with `OMP_WAIT_POLICY=PASSIVE` and says so on stderr.
fn openmp_wait_policy() -> anyhow::Result<()> {
    if std::env::var_os("OMP_WAIT_POLICY").is_some() || std::env::var_os("GOMP_SPINCOUNT").is_some()
    {
        return Ok(());
    }
    let Some(busy) = busy_cores(std::time::Duration::from_millis(300)) else {
        return Ok(());
    };
    if busy < 0.5 {
        return Ok(());
    }
    eprintln!(
        "signlang bench: other processes use {busy:.1} cores, so OpenMP threads wait \
         passively (OMP_WAIT_POLICY=PASSIVE); set OMP_WAIT_POLICY or GOMP_SPINCOUNT to choose"
    );
    let exe = std::env::current_exe().context("cannot find the running executable")?;
    let status = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("OMP_WAIT_POLICY", "PASSIVE")
        .status()
        .context("cannot rerun with OMP_WAIT_POLICY=PASSIVE; set it yourself")?;
    std::process::exit(status.code().unwrap_or(1));
}

/// Cores kept busy by the whole machine over `window` (from the `cpu` line
/// of `/proc/stat`); this process sleeps meanwhile. `None` where
/// `/proc/stat` cannot be read (not Linux).
fn busy_cores(window: std::time::Duration) -> Option<f64> {
    fn sample() -> Option<(u64, u64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal ...
        let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
        Some((fields.iter().take(8).sum(), idle))
    }
    let (total0, idle0) = sample()?;
    std::thread::sleep(window);
    let (total1, idle1) = sample()?;
    let total = total1.saturating_sub(total0);
    if total == 0 {
        return None;
    }
    let busy = total - idle1.saturating_sub(idle0).min(total);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    Some(busy as f64 / total as f64 * cores)
}
