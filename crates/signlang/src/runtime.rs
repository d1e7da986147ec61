//! The process-wide runtime settings in one place: denormal flushing
//! (`SIGNLANG_KEEP_DENORMALS` turns it off), channels-last convolutions
//! (`SIGNLANG_NCHW` turns them off), and the batch size of evaluation and
//! prediction on each device with the one batching helper every prediction
//! path uses ([`in_batches`]). The thread count is libtorch's
//! (`tch::set_num_threads`), set by the callers that measure it.

use std::sync::{Mutex, MutexGuard};

use tch::Device;

/// libtorch's random generator is global: training holds this lock from
/// seeding to the end of the run (one run at a time per process), so
/// seeded runs repeat. Anything else that seeds or draws from it while
/// runs may train (tests in parallel threads) holds it too.
pub(crate) fn torch_rng_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sets flush-to-zero and denormals-are-zero on the calling thread (x86_64
/// MXCSR) and on libtorch's OpenMP worker threads, so tiny optimizer
/// state does not fall into slow denormal arithmetic. Threads created later
/// by this thread inherit the setting. A no-op on other architectures, and
/// when the environment variable `SIGNLANG_KEEP_DENORMALS` is set (to
/// measure the difference).
pub fn flush_denormals() {
    if std::env::var_os("SIGNLANG_KEEP_DENORMALS").is_some() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        set_ftz_daz();
        gomp_everywhere(tch::get_num_threads());
    }
}

#[cfg(target_arch = "x86_64")]
extern "C" fn set_ftz_daz_on_thread(_: *mut std::ffi::c_void) {
    set_ftz_daz();
}

#[cfg(target_arch = "x86_64")]
fn set_ftz_daz() {
    let mut csr: u32 = 0;
    // SAFETY: stmxcsr/ldmxcsr read and write the SSE control register of
    // this thread from/to a valid u32; bits 15 (FTZ) and 6 (DAZ) only.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr as *mut u32, options(nostack));
        csr |= 0x8040;
        std::arch::asm!("ldmxcsr [{}]", in(reg) &csr as *const u32, options(nostack, readonly));
    }
}

/// Runs [`set_ftz_daz`] on every thread of the OpenMP team libtorch uses,
/// through libgomp's `GOMP_parallel` (found with `dlsym`, so nothing is
/// linked in; nothing happens without libgomp).
#[cfg(target_arch = "x86_64")]
fn gomp_everywhere(threads: i32) {
    use std::ffi::{c_char, c_uint, c_void};
    type GompParallel =
        unsafe extern "C" fn(extern "C" fn(*mut c_void), *mut c_void, c_uint, c_uint);
    extern "C" {
        fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    }
    if threads <= 1 {
        return;
    }
    // SAFETY: RTLD_DEFAULT (null) searches the loaded objects; the symbol,
    // if present, is libgomp's GOMP_parallel with the declared signature,
    // and the callback only touches its own thread's MXCSR.
    unsafe {
        let f = dlsym(std::ptr::null_mut(), c"GOMP_parallel".as_ptr());
        if !f.is_null() {
            let f: GompParallel = std::mem::transmute(f);
            f(
                set_ftz_daz_on_thread,
                std::ptr::null_mut(),
                threads as c_uint,
                0,
            );
        }
    }
}

/// Whether flush-to-zero is on for the calling thread (x86_64; false elsewhere).
pub fn denormals_flushed() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let mut csr: u32 = 0;
        // SAFETY: reads this thread's MXCSR into a valid u32.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr as *mut u32, options(nostack)) };
        csr & 0x8040 == 0x8040
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Whether convolutions use channels-last (NHWC) storage: 2–3× faster
/// forward passes on CPUs with oneDNN. Off when the environment variable
/// `SIGNLANG_NCHW` is set (to measure the difference).
pub(crate) fn channels_last() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("SIGNLANG_NCHW").is_none())
}

/// Batch size for evaluation and prediction on `device`: 1,024 on GPUs;
/// 32 on the CPU, where measured (examples/train_profile.rs, cnn2, 2
/// threads) no_grad batches of 32 evaluate 1,024 images in 103 ms against
/// 151 ms in batches of 128 and 310 ms in one batch (cache-bound convolutions).
pub(crate) fn eval_batch(device: Device) -> i64 {
    if device == Device::Cpu {
        32
    } else {
        1024
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// After the flush, a product whose exact value is denormal comes out
    /// as zero on this thread, and the register says so.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn flushing_makes_denormal_results_zero() {
        std::thread::spawn(|| {
            let tiny = std::hint::black_box(f32::MIN_POSITIVE);
            let half = std::hint::black_box(0.5f32);
            set_ftz_daz();
            assert!(denormals_flushed());
            assert_eq!(tiny * half, 0.0);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn evaluation_batches_are_small_on_the_cpu() {
        assert_eq!(eval_batch(Device::Cpu), 32);
        assert_eq!(eval_batch(Device::Cuda(0)), 1024);
    }

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
}
