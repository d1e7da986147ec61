//! The sentence that explains the field result, generated from the
//! diagnosis's measurements (never a fixed text).

/// The measurements the explanation is made of.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Findings {
    /// Accuracy on the field photos with the plain input.
    pub field_accuracy: f64,
    /// Median distance of the test half to its nearest training image.
    pub test_median_distance: f64,
    /// Median distance of the field photos to their nearest training image.
    pub field_median_distance: f64,
    /// The best input variant other than the plain input and its change in
    /// accuracy over the plain input (points; may be negative).
    pub best_variant: Option<(String, f64)>,
    /// The letter white noise is read as most, and its share.
    pub noise_letter: Option<(char, f64)>,
    /// The letter the field photos are read as most, and its share.
    pub field_letter: Option<(char, f64)>,
    /// The network standardises each image itself (per-image contrast
    /// normalisation): contrast variants are then rescalings it cannot see,
    /// and rule nothing out.
    #[serde(default)]
    pub standardises_input: bool,
}

/// One or more sentences saying why the model fails on the field photos,
/// from `f`: how far the photos are from the training images compared with
/// the test half, what the input variants ruled out, and what the model
/// does with noise.
pub fn explanation(f: &Findings) -> String {
    let mut out = Vec::new();
    let ratio = f.field_median_distance / f.test_median_distance.max(1e-12);
    let far = if ratio >= 1.5 {
        format!("{ratio:.1} times farther")
    } else if ratio > 1.0 {
        format!("only {ratio:.1} times farther")
    } else {
        "no farther".to_string()
    };
    out.push(format!(
        "The model reads {:.1}% of the field photos; at 28×28 they are {far} from their nearest \
         training image than test images are (median {:.2} vs {:.2}).",
        100.0 * f.field_accuracy,
        f.field_median_distance,
        f.test_median_distance
    ));
    match &f.best_variant {
        Some((name, gain)) if *gain <= 2.0 => out.push(format!(
            "Changing the input does not fix it: no input variant beats the plain input by more \
             than {:.1} points (best: {name}, {gain:+.1}), so {} are ruled out as the cause.",
            gain.max(0.0),
            if f.standardises_input {
                "framing, blur and resize filter (not contrast: this network standardises each \
                 image itself, so contrast changes are rescalings it cannot see)"
            } else {
                "contrast, framing, blur and resize filter"
            }
        )),
        Some((name, gain)) => out.push(format!(
            "The best input variant, {name}, gains {gain:+.1} points over the plain input: the \
             input's {} may be part of the cause (measured only, not adopted; check its interval).",
            variant_aspect(name)
        )),
        None => {}
    }
    if let Some((l, s)) = f.noise_letter {
        let mut text = format!("White noise is read as {l} {:.0}% of the time", 100.0 * s);
        if let Some((fl, fs)) = f.field_letter {
            if fl == l {
                text += &format!(
                    ", and {:.0}% of the field photos are read as {l} too: the network finds \
                     none of its hand shapes in them and falls back to its default letter",
                    100.0 * fs
                );
            } else {
                text += &format!(
                    "; the field photos are read most often as {fl} ({:.0}%), not as the noise \
                     default",
                    100.0 * fs
                );
            }
        }
        out.push(text + ".");
    }
    out.join(" ")
}

fn variant_aspect(name: &str) -> &'static str {
    if name.contains("zoom") {
        "framing"
    } else if name.contains("resize") || name.contains("blur") {
        "sharpness"
    } else if name.contains("mirror") {
        "handedness"
    } else {
        "contrast"
    }
}
