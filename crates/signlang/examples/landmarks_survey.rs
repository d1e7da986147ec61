//! How often the landmark front end finds a hand, and how long it takes,
//! on a folder of photos, as they are and shrunk to a given size; for each
//! attempt of the default search, how many photos it found.
//!
//! `cargo run --release -p signlang --example landmarks_survey -- FOLDER [SIDE...]`

use std::time::Instant;

use signlang::landmarks::{FindOptions, Landmarker};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .first()
        .ok_or("usage: landmarks_survey FOLDER [SIDE...]")?;
    let sides: Vec<u32> = args[1..]
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let files = signlang::field::list_images(std::path::Path::new(dir))?;
    let mut finder = Landmarker::load_default()?;
    finder.options = FindOptions::default();
    println!("{} photos in {dir}; CPU: {}", files.len(), {
        let c = signlang::cpu::CpuInfo::detect();
        format!("{} ({})", c.model, c.simd)
    });
    for side in std::iter::once(0).chain(sides) {
        let (mut found, mut by_attempt) = (0, vec![0; finder.options.attempts.len()]);
        let t0 = Instant::now();
        for f in &files {
            let mut photo = signlang::landmarks::read_photo(f)?;
            if side > 0 {
                photo = image::imageops::resize(
                    &photo,
                    side,
                    side,
                    image::imageops::FilterType::Triangle,
                );
            }
            if let Some(hit) = finder.find(&photo)? {
                found += 1;
                by_attempt[hit.attempt] += 1;
            }
        }
        let ms = 1000.0 * t0.elapsed().as_secs_f64() / files.len() as f64;
        let label = if side == 0 {
            "as they are".to_string()
        } else {
            format!("{side}×{side}")
        };
        println!(
            "{label}: {found}/{} found ({:.1}%), by attempt {by_attempt:?}, {ms:.1} ms per photo",
            files.len(),
            100.0 * found as f64 / files.len() as f64
        );
    }
    Ok(())
}
