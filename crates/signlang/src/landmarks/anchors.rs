//! The palm detector's 2,016 anchors, as MediaPipe's `SsdAnchorsCalculator`
//! makes them for `palm_detection_full` (input 192×192, 4 layers with
//! strides 8, 16, 16, 16, fixed anchor size, aspect ratio 1 plus one
//! interpolated scale): 24×24 cells × 2 anchors, then 12×12 cells × 6.

/// The detector's input side in pixels.
pub const PALM_INPUT: usize = 192;
/// Strides of the detector's four output layers.
const STRIDES: [usize; 4] = [8, 16, 16, 16];
/// Anchors per layer and cell: one aspect ratio (1.0) and one interpolated scale.
const ANCHORS_PER_LAYER: usize = 2;

/// One anchor: a cell centre in `[0, 1]` image coordinates (its size is 1
/// with `fixed_anchor_size`, so only the centre matters).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anchor {
    /// Centre, x.
    pub x: f32,
    /// Centre, y.
    pub y: f32,
}

/// The anchors in the order of the detector's outputs: layers grouped by
/// stride, then rows, then columns, then the anchors of a cell.
pub fn palm_anchors() -> Vec<Anchor> {
    let mut anchors = Vec::with_capacity(2016);
    let mut layer = 0;
    while layer < STRIDES.len() {
        let stride = STRIDES[layer];
        let same = STRIDES[layer..]
            .iter()
            .take_while(|&&s| s == stride)
            .count();
        let cells = PALM_INPUT.div_ceil(stride);
        for y in 0..cells {
            for x in 0..cells {
                let centre = Anchor {
                    x: (x as f32 + 0.5) / cells as f32,
                    y: (y as f32 + 0.5) / cells as f32,
                };
                anchors.extend(std::iter::repeat_n(centre, same * ANCHORS_PER_LAYER));
            }
        }
        layer += same;
    }
    anchors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_2016_anchors_in_two_grids() {
        let a = palm_anchors();
        assert_eq!(a.len(), 2016);
        // The first grid: 24×24 cells, 2 anchors each.
        assert_eq!(
            a[0],
            Anchor {
                x: 0.5 / 24.0,
                y: 0.5 / 24.0
            }
        );
        assert_eq!(a[1], a[0]);
        assert_eq!(a[2].x, 1.5 / 24.0);
        // The second grid starts after 1,152 anchors: 12×12 cells, 6 each.
        assert_eq!(
            a[1152],
            Anchor {
                x: 0.5 / 12.0,
                y: 0.5 / 12.0
            }
        );
        assert_eq!(a[1157], a[1152]);
        assert_eq!(a[1158].x, 1.5 / 12.0);
        assert_eq!(
            a[2015],
            Anchor {
                x: 11.5 / 12.0,
                y: 11.5 / 12.0
            }
        );
    }
}
