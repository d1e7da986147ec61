//! The robust recipes of the study: built on the best final CNN, with
//! contrast normalisation and the two augmentations, within the budget and
//! free to ask for again.

mod study_common;

use std::cell::Cell;

use signlang::model::ModelSpec;
use signlang::study::recipes::{self, ROBUST_SEEDS};
use signlang::study::{seeded_finals, Candidate, Plan, Scale, Study};
use signlang::train::Augmentation;
use study_common::{config, data, fake, spec};

/// Final runs of one CNN and one dense configuration, 3 seeds each; the CNN
/// trains at the better learning rate, so it ranks first.
fn finals_plan() -> Plan {
    let mut candidates = Vec::new();
    for (name, model, lr) in [
        ("cnn", signlang::presets::cnn2(), 1e-3),
        ("dense", spec(), 1e-2),
    ] {
        for seed in recipes::FINAL_SEEDS {
            let mut c = config(seed);
            c.lr = lr;
            candidates.push(Candidate {
                label: format!("final: {name} · seed {seed}"),
                spec: model.clone(),
                config: c,
            });
        }
    }
    Plan::single("final runs", candidates)
}

#[test]
fn robust_recipes_build_on_the_best_cnn_and_cost_their_runs_once() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), 50).unwrap();
    let calls = Cell::new(0);
    let finals = study
        .execute_with(&finals_plan(), &train, &val, fake(&calls))
        .unwrap();
    let seeded = seeded_finals(&finals);
    assert_eq!(seeded[0].name, "final: cnn");

    let scale = Scale { quick: false };
    let plan = recipes::robust_finals(&seeded, &scale).expect("a CNN final exists");
    let candidates: Vec<&Candidate> = plan.candidates.iter().collect();
    assert_eq!(candidates.len(), 2 * ROBUST_SEEDS.len());
    for c in &candidates {
        let ModelSpec::Cnn(cnn) = &c.spec else {
            panic!("{} is not a CNN", c.label)
        };
        assert!(cnn.input_norm, "{}", c.label);
        assert!(
            c.label.starts_with("final: cnn + contrast norm"),
            "{}",
            c.label
        );
        assert_eq!(c.config.epochs, 12);
    }
    let robust: Vec<_> = candidates
        .iter()
        .filter(|c| c.config.augmentation == Some(Augmentation::robust()))
        .collect();
    assert_eq!(robust.len(), ROBUST_SEEDS.len());
    let seeds: Vec<u64> = robust.iter().map(|c| c.config.seed).collect();
    assert_eq!(seeds, ROBUST_SEEDS.to_vec());

    let before = study.used();
    let outcome = study
        .execute_with(&plan, &train, &val, fake(&calls))
        .unwrap();
    assert_eq!(study.used(), before + 4);
    study
        .execute_with(&plan, &train, &val, fake(&calls))
        .unwrap();
    assert_eq!(study.used(), before + 4, "asking again costs nothing");
    let robust_seeded = seeded_finals(&outcome);
    assert_eq!(robust_seeded.len(), 2);
    assert!(robust_seeded.iter().all(|f| f.runs.len() == 2));

    // No CNN among the finals: no robust recipe.
    let dense_only: Vec<_> = seeded
        .into_iter()
        .filter(|f| f.name.contains("dense"))
        .collect();
    assert!(recipes::robust_finals(&dense_only, &scale).is_none());
}
