//! The report of `miner evaluate`: the tables per seed shape and a chart of R-precision and
//! NDCG per shape, one line per ranker.

use std::path::Path;

use plotters::prelude::*;

use super::Report;
use crate::evaluate::{Difference, Evaluation, ResultRow};

impl Report for Evaluation {
    const NAME: &'static str = "evaluate";

    /// The setting, the overall table, then one table per shape.
    fn markdown(&self) -> String {
        let e = self;
        let mut out = format!(
            "{}{} playlists: {} train, {} test (fraction {}, seed {}); min count {}, max len {}, \
             min confidence {}: {} rules over {} tracks.\n\n",
            if e.validation {
                "**Validation run** (`--validation`): the test playlists were dropped; of the \
                 training playlists, "
            } else {
                ""
            },
            e.playlists,
            e.train_playlists,
            e.test_playlists,
            e.test_fraction,
            e.seed,
            e.min_count,
            e.max_len,
            e.min_confidence,
            e.rules,
            e.model_tracks
        );
        out.push_str(&format!(
            "Model: {:.1} MB{}; item-kNN keeps {} neighbor pairs. Intervals: 95% percentile \
             bootstrap over test playlists, {} resamples. Δ columns: the ranker minus the \
             default (`{}`, with the model's rule `{}`: {}) on the same cases, with its \
             paired interval; **bold** when the interval excludes 0 (a real difference), plain \
             when it does not.\n\n",
            e.model_bytes as f64 / 1e6,
            e.max_consequents.map_or(String::new(), |n| format!(
                ", {n} rules per antecedent at most"
            )) + &e.neighbors.map_or(String::new(), |n| format!(
                ", {} neighbor rules (the {n} most similar tracks of each track)",
                e.neighbor_rules
            )),
            e.knn_pairs,
            e.resamples,
            e.default_ranker,
            e.adaptive,
            e.adaptive_choice
        ));
        let header = "| ranker | cases | R-precision [95% CI] | NDCG [95% CI] | clicks [95% CI] | \
                      Δ R-precision [95% CI] | Δ NDCG [95% CI] | Δ clicks [95% CI] | hit@10 | \
                      coverage | rule-based |\n\
                      |---|---|---|---|---|---|---|---|---|---|---|\n";
        let mut shapes: Vec<&str> = Vec::new();
        for r in &e.results {
            if !shapes.contains(&r.shape.as_str()) {
                shapes.push(&r.shape);
            }
        }
        for shape in shapes {
            out.push_str(&format!("### {shape}\n\n{header}"));
            for r in e.results.iter().filter(|r| r.shape == shape) {
                let diff = |d: Option<&Difference>, digits: usize| match d {
                    None => "—".to_owned(),
                    Some(d) => {
                        let text = format!(
                            "{:+.digits$} [{:+.digits$}, {:+.digits$}]",
                            d.mean, d.interval.low, d.interval.high
                        );
                        if d.real() {
                            format!("**{text}**")
                        } else {
                            text
                        }
                    }
                };
                let vs = r.vs_default.as_ref();
                out.push_str(&format!(
                    "| {} | {} | {:.4} [{:.4}, {:.4}] | {:.4} [{:.4}, {:.4}] | {:.2} [{:.2}, {:.2}] \
                     | {} | {} | {} | {:.2}% | {:.2}% | {:.2}% |\n",
                    r.ranker,
                    r.cases,
                    r.r_precision,
                    r.r_precision_ci.low,
                    r.r_precision_ci.high,
                    r.ndcg,
                    r.ndcg_ci.low,
                    r.ndcg_ci.high,
                    r.clicks,
                    r.clicks_ci.low,
                    r.clicks_ci.high,
                    diff(vs.map(|v| &v.r_precision), 4),
                    diff(vs.map(|v| &v.ndcg), 4),
                    diff(vs.map(|v| &v.clicks), 2),
                    r.hit_at_10 * 100.0,
                    r.coverage * 100.0,
                    r.rule_share * 100.0
                ));
            }
            out.push('\n');
        }
        out
    }

    /// R-precision and NDCG per shape, one line per ranker.
    fn chart(&self, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
        let e = self;
        let mut shapes: Vec<String> = Vec::new();
        let mut rankers: Vec<String> = Vec::new();
        for r in &e.results {
            if !shapes.contains(&r.shape) {
                shapes.push(r.shape.clone());
            }
            if !rankers.contains(&r.ranker) {
                rankers.push(r.ranker.clone());
            }
        }
        if shapes.is_empty() {
            return Err("nothing to chart".into());
        }
        let root = SVGBackend::new(path, (1000, 820)).into_drawing_area();
        root.fill(&WHITE)?;
        let panels = root.split_evenly((2, 1));
        type Metric = fn(&ResultRow) -> f64;
        let metrics: [(&str, Metric); 2] =
            [("R-precision", |r| r.r_precision), ("NDCG", |r| r.ndcg)];
        for (panel, (label, value)) in panels.iter().zip(metrics) {
            // Head room above the data for the legend.
            let max = e.results.iter().map(value).fold(0.0, f64::max).max(1e-3);
            let mut chart = ChartBuilder::on(panel)
                .caption(
                    format!("miner evaluate: {label} by seed shape"),
                    ("sans-serif", 20),
                )
                .margin(14)
                .x_label_area_size(36)
                .y_label_area_size(60)
                .build_cartesian_2d(-0.5..shapes.len() as f64 - 0.5, 0.0..max * 1.6)?;
            let names = shapes.clone();
            chart
                .configure_mesh()
                .x_labels(shapes.len())
                .x_label_formatter(&move |x| {
                    let i = x.round();
                    if (x - i).abs() < 1e-6 && i >= 0.0 {
                        names.get(i as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .y_desc(label)
                .light_line_style(WHITE)
                .draw()?;
            for (i, ranker) in rankers.iter().enumerate() {
                let color = Palette99::pick(i).to_rgba();
                let points: Vec<(f64, f64)> = shapes
                    .iter()
                    .enumerate()
                    .filter_map(|(x, shape)| {
                        e.results
                            .iter()
                            .find(|r| &r.ranker == ranker && &r.shape == shape)
                            .map(|r| (x as f64, value(r)))
                    })
                    .collect();
                chart
                    .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                    .label(ranker.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
        }
        root.present()?;
        Ok(())
    }
}
