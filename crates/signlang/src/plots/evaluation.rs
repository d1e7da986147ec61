//! Evaluation figures: confusion matrix, per-letter accuracy, misclassified images.
