//! `signlang bench-landmarks FOLDER [--limit N] [--side S]`: the landmark
//! front end's cost per photo, for comparison with MediaPipe's own Python
//! package on the same photos (`bench/landmarks.sh`,
//! `bench/landmarks_mediapipe.py`).
//!
//! The photos are the folder's `.jpg`, `.jpeg` and `.png` files sorted by
//! path; `--limit N` takes N of them evenly spaced (photo `⌊i·total/N⌋`
//! for `i = 0..N`), so every letter of a `<LETTER>_<n>.jpg` folder is
//! represented. They are decoded (and, with `--side`, resized so their
//! longer side is S pixels) before any timing. Then, for each way of
//! looking ("default": the library's four attempts with a second look;
//! "first attempt": the first of them alone, no second look, like
//! MediaPipe's single pass), one untimed warm-up photo and one timed pass
//! over all photos on one thread: padding, both models and the steps
//! around them, from decoded RGB pixels to landmarks. One JSON line each:
//! photos, hands found, wall and process CPU milliseconds per photo
//! (`/proc/self/stat`, all threads, in clock ticks of 10 ms), and the CPU.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use image::RgbImage;
use signlang::landmarks::{default_models_dir, FindOptions, Landmarker};

/// Arguments of `signlang bench-landmarks`.
#[derive(Args)]
pub struct BenchLandmarksArgs {
    /// Folder of hand photos (.jpg, .jpeg, .png).
    pub folder: PathBuf,
    /// Time N photos, evenly spaced over the sorted folder (default: all).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Resize each photo so its longer side is S pixels first (default: as it is).
    #[arg(long)]
    pub side: Option<u32>,
    /// MediaPipe's models (default: .models/mediapipe in the project).
    #[arg(long)]
    pub models: Option<PathBuf>,
}

/// `limit` indices evenly spaced over `0..total` (all of them without a
/// limit or when the limit is not smaller).
pub fn evenly_spaced(total: usize, limit: Option<usize>) -> Vec<usize> {
    match limit {
        Some(n) if n < total => (0..n).map(|i| i * total / n).collect(),
        _ => (0..total).collect(),
    }
}

/// This process's CPU seconds (user + system, all threads) from
/// `/proc/self/stat`, counted in Linux's clock ticks of 1/100 s; `None`
/// where it cannot be read.
pub fn process_cpu_seconds() -> Option<f64> {
    cpu_seconds_of(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// User + system CPU seconds of a `/proc/<pid>/stat` line.
pub fn cpu_seconds_of(stat: &str) -> Option<f64> {
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Decodes the photos (resized to `side` when given).
fn decode(files: &[PathBuf], side: Option<u32>) -> anyhow::Result<Vec<RgbImage>> {
    files
        .iter()
        .map(|f| {
            let photo = signlang::landmarks::read_photo(f)?;
            Ok(match side {
                Some(s) => resize_longer_side(&photo, s),
                None => photo,
            })
        })
        .collect()
}

fn resize_longer_side(photo: &RgbImage, side: u32) -> RgbImage {
    let (w, h) = photo.dimensions();
    let scale = side as f64 / w.max(h) as f64;
    let (nw, nh) = (
        ((w as f64 * scale).round() as u32).max(1),
        ((h as f64 * scale).round() as u32).max(1),
    );
    image::imageops::resize(photo, nw, nh, image::imageops::FilterType::Triangle)
}

/// One timed pass: (hands found, by attempt; wall s; CPU s).
fn timed_pass(finder: &Landmarker, photos: &[RgbImage]) -> anyhow::Result<(Vec<usize>, f64, f64)> {
    finder.find(&photos[0])?; // warm-up, untimed
    let mut by_attempt = vec![0; finder.options.attempts.len()];
    let cpu0 = process_cpu_seconds().unwrap_or(f64::NAN);
    let t0 = Instant::now();
    for photo in photos {
        if let Some(found) = finder.find(photo)? {
            by_attempt[found.attempt] += 1;
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds().unwrap_or(f64::NAN) - cpu0;
    Ok((by_attempt, wall, cpu))
}

/// The two ways of looking timed: the default and its first attempt alone.
fn modes() -> [(&'static str, FindOptions); 2] {
    let default = FindOptions::default();
    let first = FindOptions {
        attempts: vec![default.attempts[0]],
        refine: false,
    };
    [("default", default), ("first attempt", first)]
}

/// Runs `signlang bench-landmarks`.
pub fn run(args: BenchLandmarksArgs) -> anyhow::Result<()> {
    let all = signlang::field::list_images(&args.folder)?;
    anyhow::ensure!(
        !all.is_empty(),
        "{}: no .jpg, .jpeg or .png photos; pass a folder of hand photos",
        args.folder.display()
    );
    let files: Vec<PathBuf> = evenly_spaced(all.len(), args.limit)
        .into_iter()
        .map(|i| all[i].clone())
        .collect();
    let photos = decode(&files, args.side)?;
    let models = args.models.clone().unwrap_or_else(default_models_dir);
    let cpu = signlang::cpu::CpuInfo::detect();
    for (name, options) in modes() {
        let mut finder = Landmarker::load(&models)?;
        finder.options = options.clone();
        let (by_attempt, wall, cpu_s) = timed_pass(&finder, &photos)
            .with_context(|| format!("timing the landmark front end ({name})"))?;
        let n = photos.len() as f64;
        let line = serde_json::json!({
            "peer": "signlang",
            "find": name,
            "attempts": options.attempts.len(),
            "refine": options.refine,
            "folder": folder_name(&args.folder),
            "photos": photos.len(),
            "found": by_attempt.iter().sum::<usize>(),
            "found_by_attempt": by_attempt,
            "side": args.side,
            "threads": 1,
            "wall_ms_per_photo": 1000.0 * wall / n,
            "cpu_ms_per_photo": cpu_s.is_finite().then(|| 1000.0 * cpu_s / n),
            "cpu": &cpu.model,
            "simd": cpu.simd,
            "logical_cpus": cpu.logical_cpus,
        });
        println!("{line}");
    }
    Ok(())
}

fn folder_name(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_spreads_over_the_folder() {
        assert_eq!(evenly_spaced(10, Some(4)), vec![0, 2, 5, 7]);
        assert_eq!(evenly_spaced(3, Some(5)), vec![0, 1, 2]);
        assert_eq!(evenly_spaced(3, None), vec![0, 1, 2]);
    }

    #[test]
    fn cpu_time_is_user_plus_system_ticks() {
        // pid (comm with a space) state ppid pgrp session tty tpgid flags
        // minflt cminflt majflt cmajflt utime stime …
        let stat = "4242 (sign lang) R 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 1";
        assert_eq!(cpu_seconds_of(stat), Some(3.25));
        assert_eq!(cpu_seconds_of("garbage"), None);
        assert!(process_cpu_seconds().is_some(), "/proc/self/stat on Linux");
    }
}
