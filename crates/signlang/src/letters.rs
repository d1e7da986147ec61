//! The 24 static letters of the American Sign Language alphabet used by
//! Sign Language MNIST, and the one mapping between the CSV labels and the
//! contiguous class indices the models use.
//!
//! The CSV labels are `0..=24` with letter `chr(65 + label)`; 9 (J) and
//! 25 (Z) never occur because those letters need motion. Models predict one
//! of 24 contiguous classes `0..24`, in alphabetical order A–Y without J.

/// Number of classes (letters) the models predict.
pub const NUM_CLASSES: usize = 24;

/// The letters, indexed by class.
pub const LETTERS: [char; NUM_CLASSES] = [
    'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T',
    'U', 'V', 'W', 'X', 'Y',
];

/// The CSV label of J, which cannot occur (J needs motion).
pub const LABEL_J: i64 = 9;

/// Maps a CSV label (`0..=24`, not 9) to its class index, or `None` when the
/// label is not a static letter.
pub fn class_of_label(label: i64) -> Option<u8> {
    match label {
        0..=8 => Some(label as u8),
        10..=24 => Some(label as u8 - 1),
        _ => None,
    }
}

/// The CSV label of a class index.
pub fn label_of_class(class: u8) -> i64 {
    let class = i64::from(class);
    if class < LABEL_J {
        class
    } else {
        class + 1
    }
}

/// The letter of a class index.
///
/// # Panics
/// When `class >= 24`; class indices come from [`class_of_label`] or a model.
pub fn letter(class: u8) -> char {
    LETTERS[class as usize]
}

/// The class index of a letter (case-insensitive), or `None` for J, Z and non-letters.
pub fn class_of_letter(letter: char) -> Option<u8> {
    let upper = letter.to_ascii_uppercase();
    LETTERS.iter().position(|&l| l == upper).map(|i| i as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_map_to_contiguous_classes_and_back() {
        let classes: Vec<u8> = (0..=24).filter_map(class_of_label).collect();
        assert_eq!(classes, (0..24).collect::<Vec<u8>>());
        for class in 0..24u8 {
            let label = label_of_class(class);
            assert_eq!(class_of_label(label), Some(class));
            assert_eq!(letter(class) as u32, 65 + label as u32);
        }
        assert_eq!(class_of_label(9), None);
        assert_eq!(class_of_label(25), None);
        assert_eq!(class_of_label(-1), None);
        assert_eq!(class_of_letter('k'), Some(9));
        assert_eq!(class_of_letter('J'), None);
    }
}
