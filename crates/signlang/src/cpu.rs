//! What machine a timing came from: the CPU model, its widest SIMD level,
//! the thread count and libtorch's CPU back-ends, so that figures from two
//! machines can be compared honestly (an AVX2-only CPU is not an AVX-512
//! one, and a shared machine is not an idle one).

use serde::Serialize;

/// The CPU and libtorch facts behind a timing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CpuInfo {
    /// The CPU's model name (`/proc/cpuinfo`), or "unknown".
    pub model: String,
    /// The widest vector extension: "AVX-512", "AVX2", "AVX", "NEON" or "none".
    pub simd: &'static str,
    /// Logical CPUs available to this process.
    pub logical_cpus: usize,
    /// libtorch's intra-op threads.
    pub torch_threads: i32,
    /// libtorch was built with oneDNN (MKL-DNN) convolutions.
    pub onednn: bool,
    /// libtorch was built with Intel MKL.
    pub mkl: bool,
    /// A cap on the instruction set that oneDNN and ATen may use, when one is
    /// set (`ONEDNN_MAX_CPU_ISA`, else `ATEN_CPU_CAPABILITY`), e.g. "AVX2" to
    /// time an AVX-512 machine as an AVX2-only one.
    pub isa_cap: Option<String>,
}

impl CpuInfo {
    /// Reads the facts of this machine and process.
    pub fn detect() -> CpuInfo {
        CpuInfo {
            model: model_name(&std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default()),
            simd: simd_level(),
            logical_cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            torch_threads: tch::get_num_threads(),
            onednn: tch::utils::has_mkldnn(),
            mkl: tch::utils::has_mkl(),
            isa_cap: [
                "ONEDNN_MAX_CPU_ISA",
                "DNNL_MAX_CPU_ISA",
                "ATEN_CPU_CAPABILITY",
            ]
            .iter()
            .find_map(|v| std::env::var(v).ok())
            .filter(|v| !v.is_empty())
            .map(|v| v.to_uppercase()),
        }
    }

    /// The vector width that counts for this process: the hardware's
    /// [`simd_level`], lowered to AVX2 when [`CpuInfo::isa_cap`] says AVX2.
    pub fn effective_simd(&self) -> &'static str {
        match self.isa_cap.as_deref() {
            Some(cap) if self.simd == "AVX-512" && cap.starts_with("AVX2") => "AVX2",
            _ => self.simd,
        }
    }

    /// One line: `"AMD EPYC (AVX2), 2 logical CPUs, 2 torch threads, oneDNN yes, MKL yes"`
    /// (`"AMD EPYC (AVX-512, capped at AVX2)"` under an ISA cap).
    pub fn line(&self) -> String {
        let yes = |b: bool| if b { "yes" } else { "no" };
        let simd = match &self.isa_cap {
            Some(cap) => format!("{}, capped at {cap}", self.simd),
            None => self.simd.to_string(),
        };
        format!(
            "{} ({}), {} logical CPUs, {} torch threads, oneDNN {}, MKL {}",
            self.model,
            simd,
            self.logical_cpus,
            self.torch_threads,
            yes(self.onednn),
            yes(self.mkl)
        )
    }
}

/// The first `model name` (x86) or `Model`/`CPU part` (Arm) of a
/// `/proc/cpuinfo` text, or "unknown".
pub fn model_name(cpuinfo: &str) -> String {
    cpuinfo
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| matches!(k.trim(), "model name" | "Model" | "Hardware"))
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The widest SIMD extension this CPU runs.
pub fn simd_level() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            "AVX-512"
        } else if std::arch::is_x86_feature_detected!("avx2") {
            "AVX2"
        } else if std::arch::is_x86_feature_detected!("avx") {
            "AVX"
        } else {
            "none"
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        "NEON"
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        "none"
    }
}

/// The measured FP32 peak of this CPU, in GFLOP/s, on `threads` threads:
/// each thread runs 12 independent chains of fused multiply-adds on full
/// vectors (512-bit when `simd` is "AVX-512", else 256-bit AVX2), which is
/// what the arithmetic units can do at best; the median of 5 tries of about
/// 0.1 s (on a shared machine a neighbour's burst slows one try, not the
/// figure).
/// The denominator of "share of peak" in `signlang bench`. `None` where the
/// CPU has no AVX2 with FMA (or is not x86-64).
pub fn fma_peak_gflops(threads: usize, simd: &str) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    {
        if !(std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma"))
        {
            return None;
        }
        let wide = simd == "AVX-512" && std::arch::is_x86_feature_detected!("avx512f");
        Some(fma::measure(threads.max(1), wide, 40_000_000))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (threads, simd);
        None
    }
}

#[cfg(target_arch = "x86_64")]
mod fma {
    use std::arch::x86_64::*;

    /// GFLOP/s of `threads` threads running `iters` rounds of the chains
    /// (512-bit when `wide`); the median of 5 tries. The caller checks the
    /// CPU features.
    pub fn measure(threads: usize, wide: bool, iters: u64) -> f64 {
        let lanes = if wide { 16.0 } else { 8.0 };
        let flops = threads as f64 * iters as f64 * 12.0 * lanes * 2.0;
        let mut times: Vec<f64> = (0..5)
            .map(|_| {
                let t = std::time::Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..threads {
                        s.spawn(move || {
                            // SAFETY: `fma_peak_gflops` checked AVX2+FMA (and AVX-512F for `wide`).
                            let r = unsafe {
                                if wide {
                                    chains_512(iters)
                                } else {
                                    chains_256(iters)
                                }
                            };
                            std::hint::black_box(r);
                        });
                    }
                });
                t.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        flops / times[2] / 1e9
    }

    /// 12 independent chains of 256-bit FMAs, `iters` rounds.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn chains_256(iters: u64) -> f32 {
        let (a, b) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
        let mut acc = [_mm256_set1_ps(1.0); 12];
        for _ in 0..iters {
            for x in acc.iter_mut() {
                *x = _mm256_fmadd_ps(*x, a, b);
            }
        }
        let mut out = [0f32; 8];
        let sum = acc
            .iter()
            .fold(_mm256_setzero_ps(), |s, &x| _mm256_add_ps(s, x));
        _mm256_storeu_ps(out.as_mut_ptr(), sum);
        out.iter().sum()
    }

    /// 12 independent chains of 512-bit FMAs, `iters` rounds.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn chains_512(iters: u64) -> f32 {
        let (a, b) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
        let mut acc = [_mm512_set1_ps(1.0); 12];
        for _ in 0..iters {
            for x in acc.iter_mut() {
                *x = _mm512_fmadd_ps(*x, a, b);
            }
        }
        _mm512_reduce_add_ps(
            acc.iter()
                .fold(_mm512_setzero_ps(), |s, &x| _mm512_add_ps(s, x)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_name_reads_x86_and_arm_cpuinfo() {
        let x86 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t: avx2\n";
        assert_eq!(model_name(x86), "AMD EPYC 7B13");
        let arm = "processor\t: 0\nBogoMIPS\t: 50.00\nModel\t: Raspberry Pi 4 Model B\n";
        assert_eq!(model_name(arm), "Raspberry Pi 4 Model B");
        assert_eq!(model_name(""), "unknown");
        assert_eq!(model_name("model name\t: \n"), "unknown");
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn fma_chains_compute_and_report_a_rate() {
        if !std::arch::is_x86_feature_detected!("fma") {
            assert_eq!(fma_peak_gflops(1, "AVX2"), None);
            return;
        }
        // Each of the 12 chains × 8 lanes computes what this scalar loop does.
        let n = 100_000;
        let one = (0..n).fold(1.0f32, |x, _| x.mul_add(0.999_999, 1e-7));
        // SAFETY: FMA and AVX2 were detected (AVX2 comes with every FMA CPU that runs this).
        let sum = unsafe { fma::chains_256(n) };
        assert!(
            (sum - 96.0 * one).abs() < 1e-3,
            "{sum} against {}",
            96.0 * one
        );
        let rate = fma::measure(1, false, 10_000);
        assert!(rate.is_finite() && rate > 0.0, "{rate}");
    }

    #[test]
    fn detect_names_a_simd_level_and_at_least_one_cpu() {
        let info = CpuInfo::detect();
        assert!(["AVX-512", "AVX2", "AVX", "NEON", "none"].contains(&info.simd));
        assert!(info.logical_cpus >= 1 && info.torch_threads >= 1);
        let line = info.line();
        assert!(
            info.isa_cap.is_some() || info.effective_simd() == info.simd,
            "{line}"
        );
        assert!(
            line.contains(info.simd) && line.contains("torch threads"),
            "{line}"
        );
    }
}
