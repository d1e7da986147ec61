//! The selection-process figures draw what the runs say. Set
//! `SIGNLANG_PLOT_DIR` to also write the SVGs there for a look.

use signlang::model::{DenseSpec, ModelSpec};
use signlang::plots::{
    history_table, optimisation_history, run_settings, settings_vs_accuracy, SettingValue,
};
use signlang::study::recipes::{self, cnn_candidates, dense_search};
use signlang::study::{DataRef, EntryStatus, RunEntry, Scale, ValidationMetrics};
use signlang::train::TrainConfig;

fn data_ref(name: &str) -> DataRef {
    DataRef {
        name: name.into(),
        fingerprint: format!("fp-{name}"),
        images: 100,
    }
}

/// A finished run `r{n:03}` with validation accuracy `acc` (`None`: failed).
fn entry(
    n: usize,
    label: &str,
    spec: ModelSpec,
    config: TrainConfig,
    acc: Option<f64>,
) -> RunEntry {
    RunEntry {
        id: format!("r{n:03}"),
        key: format!("key{n}"),
        label: Some(label.into()),
        spec,
        seed: config.seed,
        config,
        train_data: data_ref("train"),
        validation_data: data_ref("validation"),
        status: if acc.is_some() {
            EntryStatus::Completed
        } else {
            EntryStatus::Failed
        },
        message: None,
        epochs: Vec::new(),
        validation: acc.map(|a| ValidationMetrics {
            epoch: 1,
            accuracy: a,
            loss: 1.0 - a,
            best_accuracy: a,
            best_loss: 1.0 - a,
        }),
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: None,
        seconds: None,
        pid: 1,
        weights: None,
    }
}

const FULL: Scale = Scale { quick: false };

/// A study shaped like the notebook's: baseline r001, dense search r002–r007
/// (r005 failed), CNN rung 1 r008–r013, rung 2 r014–r016, finals r017–r019.
fn study() -> Vec<(&'static str, Vec<RunEntry>)> {
    let (spec, config) = recipes::baseline(&FULL);
    let baseline = vec![entry(1, "baseline", spec, config, Some(0.80))];
    let dense_acc = [0.70, 0.74, 0.72, f64::NAN, 0.76, 0.71];
    let dense = dense_search(&FULL)
        .candidates
        .into_iter()
        .zip(dense_acc)
        .enumerate()
        .map(|(i, (c, a))| {
            entry(
                2 + i,
                &c.label,
                c.spec,
                c.config,
                Some(a).filter(|a| a.is_finite()),
            )
        })
        .collect();
    let cnns = cnn_candidates(&FULL);
    let rung1_acc = [0.90, 0.86, 0.93, 0.91, 0.89, 0.85];
    let rung1 = cnns
        .iter()
        .zip(rung1_acc)
        .enumerate()
        .map(|(i, (c, a))| entry(8 + i, &c.label, c.spec.clone(), c.config.clone(), Some(a)))
        .collect();
    let with_epochs = |n: usize, k: usize, epochs: usize, a: f64| {
        let mut config = cnns[k].config.clone();
        config.epochs = epochs;
        entry(n, &cnns[k].label, cnns[k].spec.clone(), config, Some(a))
    };
    let rung2 = vec![
        with_epochs(14, 2, 5, 0.97),
        with_epochs(15, 3, 5, 0.95),
        with_epochs(16, 0, 5, 0.96),
    ];
    let finals = vec![
        with_epochs(17, 2, 8, 0.985),
        with_epochs(18, 0, 8, 0.98),
        with_epochs(19, 3, 8, 0.97),
    ];
    vec![
        ("baseline", baseline),
        ("dense search", dense),
        ("CNN rung 1", rung1),
        ("CNN rung 2", rung2),
        ("finals", finals),
    ]
}

fn save(name: &str, svg: &str) {
    if let Ok(dir) = std::env::var("SIGNLANG_PLOT_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), svg).unwrap();
    }
}

/// The texts of an SVG, trimmed.
fn texts(svg: &str) -> Vec<&str> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| Some(t[t.find('>')? + 1..t.find("</text>")?].trim()))
        .collect()
}

fn count_text(svg: &str, text: &str) -> usize {
    texts(svg).iter().filter(|t| **t == text).count()
}

fn category(s: &str) -> SettingValue {
    SettingValue::Category(s.into())
}

#[test]
fn settings_are_read_from_spec_and_config() {
    let (spec, config) = recipes::baseline(&FULL);
    let s = run_settings(&spec, &config);
    let names: Vec<&str> = s.iter().map(|p| p.0).collect();
    assert_eq!(
        names,
        [
            "architecture",
            "hidden layers",
            "batch norm",
            "dropout",
            "optimizer",
            "learning rate",
            "schedule",
            "batch size",
            "epochs"
        ]
    );
    assert_eq!(s[0].1, category("conv 32 valid"));
    assert_eq!(s[1].1, category("100"));
    assert_eq!(s[2].1, category("no"));
    assert_eq!(s[3].1, SettingValue::Number(0.0));
    assert_eq!(s[5].1, SettingValue::Number(config.lr));
    assert_eq!(s[7].1, category("32"));
    assert_eq!(s[8].1, category("3"));

    let k5 = &cnn_candidates(&FULL)[4];
    let s = run_settings(&k5.spec, &k5.config);
    assert_eq!(s[0].1, category("conv 32-64 k5"));
    assert_eq!(
        s[1].1,
        category("128"),
        "a CNN's hidden layers are its head's"
    );
    assert_eq!(s[2].1, category("yes"), "conv blocks with batch norm");
    assert_eq!(s[3].1, SettingValue::Number(0.3));
    assert_eq!(s[4].1, category("adamw"));
    assert_eq!(s[6].1, category("one-cycle"));
    let sgd = &cnn_candidates(&FULL)[5];
    assert_eq!(
        run_settings(&sgd.spec, &sgd.config)[4].1,
        category("sgd nesterov")
    );

    let dense = ModelSpec::Dense(DenseSpec {
        hidden: vec![1024, 512, 256],
        batch_norm: true,
        dropout: 0.25,
        ..Default::default()
    });
    let s = run_settings(&dense, &config);
    assert_eq!(s[0].1, category("dense"));
    assert_eq!(s[1].1, category("1024-512-256"));
    assert_eq!(s[2].1, category("yes"));
    assert_eq!(s[3].1, SettingValue::Number(0.25));
}

#[test]
fn history_marks_every_run_the_stages_and_the_chosen() {
    let stages = study();
    let plain = optimisation_history(&stages, &[]).svg;
    let svg = optimisation_history(&stages, &["r017", "r014"]).svg;
    save("optimisation_history.svg", &svg);
    assert!(!svg.contains("cannot draw"));
    // 18 runs with a result and a legend circle per stage; no ring yet.
    assert_eq!(plain.matches("<circle").count(), 18 + 5);
    // Two rings and a legend ring for "chosen".
    assert_eq!(svg.matches("<circle").count(), 18 + 5 + 3);
    for id in ["r017", "r014"] {
        assert_eq!(
            count_text(&svg, id),
            count_text(&plain, id) + 1,
            "{id} labelled"
        );
    }
    assert_eq!(
        count_text(&svg, "r018"),
        count_text(&plain, "r018"),
        "r018 not chosen"
    );
    for legend in [
        "baseline (1)",
        "dense search (5)",
        "CNN rung 1 (6)",
        "CNN rung 2 (3)",
        "finals (3)",
    ] {
        assert!(svg.contains(legend), "legend {legend}");
    }
    assert!(svg.contains("no validation result (1)"));
    assert!(svg.contains("best so far"));
}

#[test]
fn history_table_lists_runs_in_order_with_the_running_best() {
    let mut stages = study();
    stages.reverse(); // order of the stages does not matter, run ids do
    let t = history_table(&stages, &["r017"]);
    assert_eq!(t.rows.len(), 19);
    let ids: Vec<&str> = t.rows.iter().map(|r| r[0].as_str()).collect();
    let expected: Vec<String> = (1..=19).map(|n| format!("r{n:03}")).collect();
    assert_eq!(ids, expected);
    assert_eq!(t.rows[0][1], "baseline");
    assert_eq!(t.rows[4][3], "failed");
    assert_eq!(t.rows[4][4], "—");
    let best: Vec<&str> = t.rows.iter().map(|r| r[5].as_str()).collect();
    assert_eq!(best[..3], ["80.00%", "80.00%", "80.00%"]);
    assert_eq!(best[9], "93.00%");
    assert_eq!(best[13], "97.00%");
    assert_eq!(best[18], "98.50%");
    let chosen: Vec<&str> = t
        .rows
        .iter()
        .filter(|r| r[6] == "yes")
        .map(|r| r[0].as_str())
        .collect();
    assert_eq!(chosen, ["r017"]);
}

#[test]
fn settings_panels_are_the_settings_that_vary() {
    let runs: Vec<RunEntry> = study().into_iter().flat_map(|s| s.1).collect();
    let svg = settings_vs_accuracy(&runs, "all runs").svg;
    save("settings_all.svg", &svg);
    assert!(!svg.contains("cannot draw"));
    assert!(svg.contains("18 runs") && svg.contains("1 without a validation result left out"));
    // Every setting varies across the whole study: 9 panels of 18 points.
    assert_eq!(svg.matches("<circle").count(), 9 * 18);
    assert_eq!(count_text(&svg, "learning rate"), 1);
    assert_eq!(count_text(&svg, "conv 32-64 k5"), 1, "a category label");

    // Dense runs of one optimizer, schedule, batch size and epoch count:
    // only hidden layers, batch norm, dropout and learning rate vary.
    let config = dense_search(&FULL).candidates[0].config.clone();
    let dense = |n, hidden: Vec<i64>, bn, dropout, lr, acc| {
        let spec = ModelSpec::Dense(DenseSpec {
            hidden,
            batch_norm: bn,
            dropout,
            ..Default::default()
        });
        entry(
            n,
            "dense",
            spec,
            TrainConfig {
                lr,
                ..config.clone()
            },
            acc,
        )
    };
    let runs = vec![
        dense(1, vec![512, 256], false, 0.1, 1e-3, Some(0.7)),
        dense(2, vec![256, 128], true, 0.3, 3e-4, Some(0.75)),
        dense(3, vec![512, 256], true, 0.2, 2e-3, Some(0.72)),
        // Failed: left out, its hidden layers are no category.
        dense(4, vec![64], false, 0.0, 1e-3, None),
    ];
    let svg = settings_vs_accuracy(&runs, "dense").svg;
    save("settings_dense.svg", &svg);
    assert_eq!(svg.matches("<circle").count(), 4 * 3);
    for shown in ["hidden layers", "batch norm", "dropout", "learning rate"] {
        assert_eq!(count_text(&svg, shown), 1, "{shown} has a panel");
    }
    for constant in [
        "architecture",
        "optimizer",
        "schedule",
        "batch size",
        "epochs",
    ] {
        assert_eq!(count_text(&svg, constant), 0, "{constant} is constant");
    }
    assert_eq!(
        count_text(&svg, "64"),
        0,
        "the failed run's hidden layers are no category"
    );
    assert_eq!(count_text(&svg, "256-128"), 1);
}

#[test]
fn outcome_stages_name_the_rungs() {
    use signlang::plots::outcome_stages;
    use signlang::study::{Run, SearchOutcome};
    let stages = study();
    let run = |e: &RunEntry| Run {
        entry: e.clone(),
        cached: true,
    };
    let cnn = SearchOutcome {
        name: "CNN successive halving".into(),
        rungs: vec![
            stages[2].1.iter().map(run).collect(),
            stages[3].1.iter().map(run).collect(),
        ],
    };
    let got = outcome_stages(&cnn, "CNN");
    let names: Vec<&str> = got.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["CNN rung 1", "CNN rung 2"]);
    assert_eq!(got[1].1, stages[3].1);
    let dense = SearchOutcome {
        name: "dense random search".into(),
        rungs: vec![stages[1].1.iter().map(run).collect()],
    };
    let got = outcome_stages(&dense, "dense search");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "dense search");
    assert_eq!(got[0].1.len(), 6);
}
