//! Learning curves: loss and accuracy per epoch, train against validation, and overlays of several runs.
