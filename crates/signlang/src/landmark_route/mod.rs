//! The landmark route: hand landmarks ([`crate::landmarks`]) of real
//! training crops, a small classifier trained in the study on them, and
//! what it reads on photos it was not trained on.
//!
//! 1. [`photos`]: the landmarks of every photo of a folder (or of Sign-MNIST
//!    images), cached.
//! 2. [`classifier`]: the candidates (logistic regression, a dense network,
//!    the network with keypoint augmentation), each a run of the study,
//!    chosen on held-out source photos of the training folder.
//! 3. [`score`]: a route's answers scored with the source photo as the unit
//!    (no hand found = wrong).
//! 4. [`unsure`]: "unsure" for this route: no hand, or a small margin
//!    between the top two letters.
//! 5. [`curve`]: the learning curve in training photos per letter.
//! 6. [`export`]: the classifier as ONNX with the front end's description,
//!    for apps; [`predict`]: a photo read by an export.
//! 7. [`report`]: the report on labelled photos (hands found, accuracy with
//!    no hand counted wrong, per letter, confusions, the unsure rule), the
//!    same in the notebook and in `signlang predict --truth-from-name`.
//!
//! [`build`] does 1–4 on a training folder: the measuring photos (the 190)
//! only measure; nothing here is fitted or chosen on them.

mod build;
pub mod classifier;
pub mod compare;
pub mod curve;
mod error;
pub mod export;
pub mod manifest;
pub mod photos;
pub mod predict;
pub mod report;
pub mod score;
pub mod sign_mnist;
pub mod unsure;

pub use classifier::{candidates, Candidate, Trained};
pub use compare::{compare, RouteComparison};
pub use curve::{learning_curve, LandmarkCurve};
pub use export::{export_route, export_run, RouteRun};
pub use photos::{hands_in_images, hands_in_photos, HandPhotos};
pub use predict::{is_route_export, RouteClassifier, RoutePrediction};
pub use report::{RouteCheck, RouteRecord, RouteReport};
pub use score::{RouteScore, NO_HAND};
pub use sign_mnist::{score_on_test, sign_mnist_route, SignMnistRoute};
pub use unsure::MarginRule;

pub use build::{build, LandmarkRoute, RouteConfig};
pub use error::RouteError;
pub use manifest::{RouteManifest, CLASSIFIER_ONNX, ROUTE_FILE};
