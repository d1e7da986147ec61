//! Near-duplicate partners between the measuring and the training folder
//! of real photos (`signlang::adapt::Partners`): the distance
//! distribution, the known near-twin pairs, the counts at the threshold,
//! and the contact sheet.
//!
//! ```text
//! cargo run -p signlang --example partners -- <measure dir> <train dir> [out dir]
//! ```
//!
//! With an out dir, writes `partners.svg` (the contact sheet) and
//! `pairs-<from>.png` (the nearest pairs in order of distance, 40 a file,
//! measuring photo left, training photo right) for viewing without SVG.

use std::path::PathBuf;

use signlang::adapt::partners::{square_pixels, Partner, Partners, CLOSE_PARTNER};

/// Pairs of the issue that are nearly the same frame.
const KNOWN: [(&str, &str); 5] = [
    ("G_1", "G_25"),
    ("G_4", "G_25"),
    ("L_3", "L_8"),
    ("U_7", "U_22"),
    ("F_1", "F_16"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [measure, train] = [0, 1].map(|i| args.get(i).map(PathBuf::from));
    let (Some(measure), Some(train)) = (measure, train) else {
        return Err("usage: partners <measure dir> <train dir> [out dir]".into());
    };
    let p = Partners::find(&measure, &train)?;
    println!("{}", p.summary(CLOSE_PARTNER));
    known_pairs(&p);
    histogram(&p);
    let mut order: Vec<&Partner> = p.same_letter.iter().collect();
    order.sort_by(|a, b| a.distance.total_cmp(&b.distance));
    for (rank, n) in order.iter().enumerate().take(80) {
        let any = &p.nearest[n.measure];
        println!(
            "{rank:3} {:6} -> {:9} d = {:.3}{}   (nearest of any letter: {} {:.3})",
            p.measure_name(n.measure),
            p.train_name(n.file),
            n.distance,
            if n.mirrored { " mirrored" } else { "" },
            p.train_name(any.file),
            any.distance
        );
    }
    if let Some(out) = args.get(2).map(PathBuf::from) {
        std::fs::create_dir_all(&out)?;
        p.contact_sheet(CLOSE_PARTNER, 16, 12)?
            .save(out.join("partners.svg"))?;
        for (k, chunk) in order.chunks(40).take(3).enumerate() {
            pair_png(&p, chunk)?.save(out.join(format!("pairs-{:03}.png", 40 * k)))?;
        }
    }
    Ok(())
}

fn known_pairs(p: &Partners) {
    for (m, s) in KNOWN {
        let mi = (0..p.measure_files.len()).find(|&i| p.measure_name(i) == m);
        let si = p.sources.iter().position(|n| n == s);
        if let (Some(mi), Some(si)) = (mi, si) {
            let nearest = &p.nearest[mi];
            let rank = p
                .nearest_distances()
                .partition_point(|&d| d < f64::from(p.distances[mi][si]));
            println!(
                "known {m} <-> {s}: d = {:.3}, rank {rank} of the same-letter nearest (nearest of any letter: {} at {:.3}{})",
                p.distances[mi][si],
                p.train_name(nearest.file),
                nearest.distance,
                if nearest.mirrored { ", mirrored" } else { "" }
            );
        }
    }
}

fn histogram(p: &Partners) {
    let d = p.nearest_distances();
    for lo in (0..30).map(|i| f64::from(i) * 0.05) {
        let k = d.iter().filter(|&&v| v >= lo && v < lo + 0.05).count();
        if k > 0 {
            println!("{lo:.2}-{:.2} {k:4} {}", lo + 0.05, "#".repeat(k));
        }
    }
}

fn pair_png(
    p: &Partners,
    pairs: &[&Partner],
) -> Result<image::GrayImage, Box<dyn std::error::Error>> {
    let side = 96u32;
    let mut sheet =
        image::GrayImage::from_pixel(4 * (2 * side + 12), 10 * (side + 6), image::Luma([255]));
    for (i, n) in pairs.iter().enumerate() {
        let (x, y) = (
            (i as u32 % 4) * (2 * side + 12),
            (i as u32 / 4) * (side + 6),
        );
        let left = square_pixels(&p.measure_files[n.measure], side)?;
        let mut right = square_pixels(&p.train_files[n.file], side)?;
        if n.mirrored {
            right = image::imageops::flip_horizontal(&right);
        }
        image::imageops::replace(&mut sheet, &left, i64::from(x), i64::from(y));
        image::imageops::replace(&mut sheet, &right, i64::from(x + side + 2), i64::from(y));
    }
    Ok(sheet)
}
