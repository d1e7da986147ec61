//! Search helpers: plans, their cost against the budget, and execution.

mod study_common;

use std::cell::Cell;

use signlang::study::{
    Candidate, Grid, PlanCost, RandomSearch, Study, StudyError, SuccessiveHalving,
};
use study_common::{config, data, fake, spec};

#[test]
fn a_grid_plans_every_combination_and_refuses_what_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), 5).unwrap();
    let plan = Grid::new(spec(), config(1))
        .axis("lr", [1e-3, 1e-2], |c: &mut Candidate, &v| c.config.lr = v)
        .axis("batch", [16usize, 32, 64], |c: &mut Candidate, &v| {
            c.config.batch_size = v
        })
        .plan("lr × batch");
    assert_eq!(plan.runs(), 6);
    assert_eq!(plan.candidates[4].label, "lr=0.01, batch=32");
    assert_eq!(plan.candidates[4].config.lr, 1e-2);
    assert_eq!(plan.candidates[4].config.batch_size, 32);
    assert!(plan.to_string().starts_with("lr × batch: 6 runs"), "{plan}");

    let calls = Cell::new(0);
    let err = study
        .execute_with(&plan, &train, &val, fake(&calls))
        .unwrap_err();
    assert!(
        matches!(
            err,
            StudyError::PlanOverBudget {
                new_runs: 6,
                remaining: 5,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        (calls.get(), study.used()),
        (0, 0),
        "refused before any training"
    );

    // Two of the six recorded: the plan now needs 4 new runs and fits.
    for c in &plan.candidates[..2] {
        study
            .run_with(&c.spec, &c.config, &train, &val, fake(&calls))
            .unwrap();
    }
    let cost = study.plan_cost(&plan, &train, &val).unwrap();
    assert_eq!(
        cost,
        PlanCost {
            runs: 6,
            cached: 2,
            new: 4
        }
    );
    let preview = study.preview(&plan, &train, &val).unwrap().to_string();
    assert!(
        preview
            .contains("2 recorded (free), at most 4 new; budget 2 / 5 used, 3 left — does NOT fit"),
        "{preview}"
    );
    let err = study
        .execute_with(&plan, &train, &val, fake(&calls))
        .unwrap_err();
    assert!(
        matches!(
            err,
            StudyError::PlanOverBudget {
                new_runs: 4,
                cached: 2,
                remaining: 3,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!((calls.get(), study.used()), (2, 2));
}

#[test]
fn rerunning_a_search_is_free() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), 4).unwrap();
    let plan = Grid::new(spec(), config(1))
        .axis("lr", [1e-4, 1e-3, 1e-2, 1e-1], |c: &mut Candidate, &v| {
            c.config.lr = v
        })
        .plan("lr");
    let calls = Cell::new(0);
    let first = study
        .execute_with(&plan, &train, &val, fake(&calls))
        .unwrap();
    assert_eq!((first.trained(), first.cached(), study.used()), (4, 0, 4));
    assert_eq!(first.best().unwrap().entry.config.lr, 1e-3);
    assert_eq!(study.runs()[2].label.as_deref(), Some("lr=0.01"));
    // The budget is spent, but the same plan costs nothing.
    let mut rerun = Study::open(dir.path()).unwrap();
    let second = rerun
        .execute_with(&plan, &train, &val, fake(&calls))
        .unwrap();
    assert_eq!((second.trained(), second.cached(), calls.get()), (0, 4, 4));
    assert_eq!(second.best().unwrap().id(), first.best().unwrap().id());
}

#[test]
fn random_search_is_reproducible_from_its_seed() {
    let make = |seed| {
        RandomSearch::new(spec(), config(1), 5, seed)
            .log_uniform("lr", 1e-4, 1e-2, |c, v| c.config.lr = v)
            .uniform("dropout", 0.0, 0.5, |c, v| {
                if let signlang::model::ModelSpec::Dense(d) = &mut c.spec {
                    d.dropout = v
                }
            })
            .choice("batch", vec![16usize, 32], |c, &v| c.config.batch_size = v)
            .plan("random")
    };
    let (a, b, c) = (make(7), make(7), make(8));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.runs(), 5);
    for cand in &a.candidates {
        assert!((1e-4..1e-2).contains(&cand.config.lr), "{}", cand.label);
        assert!([16, 32].contains(&cand.config.batch_size));
        assert!(cand.label.starts_with("lr="), "{}", cand.label);
    }
    let distinct: std::collections::HashSet<String> = a
        .candidates
        .iter()
        .map(|c| format!("{}", c.config.lr))
        .collect();
    assert_eq!(distinct.len(), 5);
}

#[test]
fn successive_halving_continues_the_best_with_more_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let candidates = Grid::new(spec(), config(1))
        .axis("lr", [1e-1, 1e-2, 1e-3, 3e-4], |c: &mut Candidate, &v| {
            c.config.lr = v
        })
        .plan("lr")
        .candidates;
    let plan = SuccessiveHalving::new(candidates, vec![1, 3, 6], 0.5)
        .plan("halving")
        .unwrap();
    assert_eq!(
        plan.rungs.iter().map(|r| r.runs).collect::<Vec<_>>(),
        [4, 2, 1]
    );
    assert_eq!(plan.runs(), 7);
    assert!(
        SuccessiveHalving::new(plan.candidates.clone(), vec![3, 1], 0.5)
            .plan("x")
            .is_err()
    );
    assert!(
        SuccessiveHalving::new(plan.candidates.clone(), vec![1, 3], 0.0)
            .plan("x")
            .is_err()
    );

    let mut study = Study::create(dir.path(), 7).unwrap();
    let calls = Cell::new(0);
    let out = study
        .execute_with(&plan, &train, &val, fake(&calls))
        .unwrap();
    assert_eq!(calls.get(), 7);
    let lrs = |rung: usize| {
        out.rungs[rung]
            .iter()
            .map(|r| r.entry.config.lr)
            .collect::<Vec<_>>()
    };
    let epochs = |rung: usize| {
        out.rungs[rung]
            .iter()
            .map(|r| r.entry.config.epochs)
            .collect::<Vec<_>>()
    };
    assert_eq!(epochs(0), [1, 1, 1, 1]);
    // Fake accuracy is best at lr = 1e-3, then 3e-4, then 1e-2.
    assert_eq!(lrs(1), [1e-3, 3e-4]);
    assert_eq!(epochs(1), [3, 3]);
    assert_eq!(lrs(2), [1e-3]);
    assert_eq!(epochs(2), [6]);
    assert_eq!(
        out.best().unwrap().entry.label.as_deref(),
        Some("lr=0.001, 6 epochs")
    );

    // With the budget spent, the whole plan is known from the ledger and free.
    let mut rerun = Study::open(dir.path()).unwrap();
    assert_eq!(
        rerun.plan_cost(&plan, &train, &val).unwrap(),
        PlanCost {
            runs: 7,
            cached: 7,
            new: 0
        }
    );
    let again = rerun
        .execute_with(&plan, &train, &val, fake(&calls))
        .unwrap();
    assert_eq!((again.trained(), calls.get()), (0, 7));
}
