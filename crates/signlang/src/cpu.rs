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
        }
    }

    /// One line: `"AMD EPYC (AVX2), 2 logical CPUs, 2 torch threads, oneDNN yes, MKL yes"`.
    pub fn line(&self) -> String {
        let yes = |b: bool| if b { "yes" } else { "no" };
        format!(
            "{} ({}), {} logical CPUs, {} torch threads, oneDNN {}, MKL {}",
            self.model,
            self.simd,
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
    fn detect_names_a_simd_level_and_at_least_one_cpu() {
        let info = CpuInfo::detect();
        assert!(["AVX-512", "AVX2", "AVX", "NEON", "none"].contains(&info.simd));
        assert!(info.logical_cpus >= 1 && info.torch_threads >= 1);
        let line = info.line();
        assert!(
            line.contains(info.simd) && line.contains("torch threads"),
            "{line}"
        );
    }
}
