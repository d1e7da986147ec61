//! The evaluation figures draw what the evaluation says. Set
//! `SIGNLANG_PLOT_DIR` to also write the SVGs there for a look.

use signlang::data::PIXELS;
use signlang::evaluate::Evaluation;
use signlang::letters::class_of_letter;
use signlang::plots::{confusion_matrix, misclassified_grid, per_letter_accuracy};

fn c(l: char) -> u8 {
    class_of_letter(l).unwrap()
}

/// 40 images per letter, 38 right; M gets 32 right (8 → N), R gets 37 (3 → U).
fn example() -> Evaluation {
    let (mut t, mut p) = (Vec::new(), Vec::new());
    for class in 0..24u8 {
        for i in 0..40 {
            t.push(class);
            let pred = if class == c('M') && i < 8 {
                c('N')
            } else if class == c('R') && i < 3 {
                c('U')
            } else if class != c('M') && class != c('R') && i < 2 {
                (class + 1) % 24
            } else {
                class
            };
            p.push(pred);
        }
    }
    Evaluation::from_predictions(&t, &p).unwrap()
}

fn save(name: &str, svg: &signlang::display::Svg) {
    if let Ok(dir) = std::env::var("SIGNLANG_PLOT_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        svg.save(std::path::Path::new(&dir).join(name)).unwrap();
    }
}

/// Occurrences of `needle` in the SVG with line breaks removed (plotters
/// puts text on its own line inside `<text>`).
fn count(haystack: &str, needle: &str) -> usize {
    haystack.replace('\n', "").matches(needle).count()
}

#[test]
fn confusion_matrix_labels_letters_and_error_counts() {
    let e = example();
    let svg = confusion_matrix(&e);
    save("confusion.svg", &svg);
    let s = &svg.svg;
    assert!(s.starts_with("<svg"));
    // 24 letters on each axis.
    assert_eq!(count(s, ">Y</text>"), 2);
    assert_eq!(count(s, ">A</text>"), 2);
    // The largest error cell (M → N, 8) is written, and named below.
    assert_eq!(count(s, ">8</text>"), 1);
    assert_eq!(count(s, ">most common error: M → N (8 images)</text>"), 1);
    // 22 letters with 2 errors and R → U with 3.
    assert_eq!(count(s, ">2</text>"), 22);
    assert_eq!(count(s, ">3</text>"), 1);
    assert!(s.contains("accuracy 94.27%"));
}

#[test]
fn per_letter_bars_show_intervals_and_the_goal() {
    let e = example();
    let svg = per_letter_accuracy(&e);
    save("per_letter.svg", &svg);
    let s = &svg.svg;
    assert!(s.contains("dashed line: goal 90%"));
    assert_eq!(count(s, ">40</text>"), 24); // n under each letter
                                            // M (75%) is red; no other letter's point estimate is at or below 90%.
    assert_eq!(count(s, "fill=\"#D66556\""), 1, "{s}");
}

#[test]
fn misclassified_grid_captions_true_and_predicted() {
    let e = example();
    let images: Vec<Vec<u8>> = (0..e.n)
        .map(|i| {
            (0..PIXELS)
                .map(|p| ((p % 28) * 9 + i) as u8)
                .collect::<Vec<u8>>()
        })
        .collect();
    let refs: Vec<&[u8]> = images.iter().map(Vec::as_slice).collect();
    let svg = misclassified_grid(&refs, &e.truth, &e.predicted, 12);
    save("misclassified.svg", &svg);
    let s = &svg.svg;
    assert!(s.contains("12 of 55 shown"), "{s}");
    assert_eq!(count(s, "→"), 12 + 1); // captions and the title
    assert_eq!(count(s, ">A→B</text>"), 2); // the first two A images
                                            // Bad input is skipped, not a panic.
    let short: Vec<&[u8]> = vec![&[1, 2, 3]];
    let svg = misclassified_grid(&short, &[0], &[1], 5);
    assert!(svg.svg.contains("no misclassified images"));
}
