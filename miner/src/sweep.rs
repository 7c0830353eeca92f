//! `miner sweep`: mines one dataset at several supports and reports what each costs and gives,
//! so that the minimum support is a measured trade-off instead of a guess.

use std::path::Path;
use std::time::Instant;

use plotters::prelude::*;

use crate::dataset::Dataset;
use crate::evaluate::{EvalOptions, Ranker, Shape, rank_and_score, split};
use crate::mine::{MineError, MineOptions, mine};

/// One support's figures.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SweepRow {
    /// Minimum support (fraction).
    pub support: f64,
    /// Minimum count it gives.
    pub min_count: u32,
    /// Mining + rules + model build, in seconds.
    pub seconds: f64,
    /// Peak resident memory while mining at this support, when the platform tells.
    pub peak_rss_bytes: Option<u64>,
    /// Frequent itemsets by size (index 0 = size 1).
    pub itemsets_by_len: Vec<usize>,
    /// Rules kept.
    pub rules: usize,
    /// Blob size in bytes.
    pub model_bytes: usize,
    /// Share of tracks that fire at least one rule as a single seed.
    pub tracks_with_rule: f64,
    /// Quality on held-out playlists, when the sweep measured it.
    pub quality: Option<SweepQuality>,
}

/// One support's quality on the held-out playlists: the default strategy over every
/// RecSys 2018 shape (see [`crate::evaluate`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SweepQuality {
    /// Mean R-precision.
    pub r_precision: f64,
    /// Mean NDCG.
    pub ndcg: f64,
    /// Share of test cases with a held-out track in the first 10.
    pub hit_at_10: f64,
    /// Share of test cases with at least one rule-based track.
    pub rule_share: f64,
}

/// What to sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepOptions {
    /// Every mining setting but the support (`min_support` and `min_count` are replaced by
    /// each support in turn).
    pub mine: MineOptions,
    /// The minimum supports to mine at (fractions), in order.
    pub supports: Vec<f64>,
    /// Share of the playlists held out (seeded, as `miner evaluate` does) to measure each
    /// support's quality on; every support then mines the rest. 0 measures no quality and
    /// mines every playlist.
    pub test_fraction: f64,
    /// Seed of the held-out split.
    pub seed: u64,
}

impl SweepOptions {
    /// Checks every setting that needs no data, so that a typo fails before any input is
    /// read: each support is within (0, 1], the held-out share within [0, 1), and the mining
    /// settings at each support are valid.
    pub fn validate(&self) -> Result<(), MineError> {
        if let Some(bad) = self.supports.iter().find(|s| !(**s > 0.0 && **s <= 1.0)) {
            return Err(MineError::BadOption(format!(
                "--supports: {bad} is not within (0, 1]"
            )));
        }
        if !(0.0..1.0).contains(&self.test_fraction) {
            return Err(MineError::BadOption(format!(
                "--test-fraction {} is not within [0, 1)",
                self.test_fraction
            )));
        }
        self.supports
            .iter()
            .try_for_each(|&support| self.at(support).validate())
    }

    /// The mining settings at `support`.
    fn at(&self, support: f64) -> MineOptions {
        MineOptions {
            min_support: Some(support),
            min_count: None,
            ..self.mine.clone()
        }
    }
}

/// Mines `data` at each support. Supports with nothing frequent get a row with zero rules.
/// With a held-out share, time, memory and sizes are those of mining the training part, and
/// each row has the model's quality on the held-out playlists.
pub fn sweep(data: &Dataset, options: &SweepOptions) -> Result<Vec<SweepRow>, MineError> {
    options.validate()?;
    if options.test_fraction == 0.0 {
        return sweep_inner(data, options, |_| None);
    }
    let (train, test) = split(data, options.test_fraction, options.seed);
    let eval = EvalOptions {
        test_fraction: options.test_fraction,
        seed: options.seed,
        mine: options.mine.clone(),
        rankers: vec![Ranker::Engine(engine::Strategy::default())],
        shapes: Shape::CHALLENGE.to_vec(),
    };
    sweep_inner(&train, options, |model| {
        let all = rank_and_score(model, data, &test, &eval)
            .into_iter()
            .next()
            .expect("the `all` row comes first");
        Some(SweepQuality {
            r_precision: all.r_precision,
            ndcg: all.ndcg,
            hit_at_10: all.hit_at_10,
            rule_share: all.rule_share,
        })
    })
}

fn sweep_inner(
    data: &Dataset,
    options: &SweepOptions,
    quality: impl Fn(&engine::Model) -> Option<SweepQuality>,
) -> Result<Vec<SweepRow>, MineError> {
    let mut rows = Vec::new();
    for &support in &options.supports {
        reset_peak_rss();
        let start = Instant::now();
        let row = match mine(data, &options.at(support), "1970-01-01T00:00:00Z".into()) {
            Ok(mined) => SweepRow {
                support,
                min_count: mined.report.min_count,
                seconds: start.elapsed().as_secs_f64(),
                peak_rss_bytes: crate::progress::peak_rss(),
                itemsets_by_len: mined.report.itemsets_by_len.clone(),
                rules: mined.report.rules,
                model_bytes: mined.model.to_blob().len(),
                tracks_with_rule: mined.report.tracks_with_rule,
                quality: quality(&mined.model),
            },
            Err(MineError::NothingFrequent { min_count, .. }) => SweepRow {
                support,
                min_count,
                seconds: start.elapsed().as_secs_f64(),
                peak_rss_bytes: crate::progress::peak_rss(),
                itemsets_by_len: vec![0; options.mine.max_len],
                rules: 0,
                model_bytes: 0,
                tracks_with_rule: 0.0,
                quality: None,
            },
            Err(e) => return Err(e),
        };
        tracing::info!(support, rules = row.rules, seconds = row.seconds, "swept");
        rows.push(row);
    }
    Ok(rows)
}

/// Resets the kernel's peak-RSS mark (Linux), so each support's peak is its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The rows as a markdown table (with the quality columns when any row has them).
pub fn markdown(rows: &[SweepRow]) -> String {
    let with_quality = rows.iter().any(|r| r.quality.is_some());
    let mut out = String::from(
        "| support | min count | time (s) | peak RSS | itemsets by size | rules | model | tracks with a rule |",
    );
    if with_quality {
        out.push_str(" R-precision | NDCG | hit@10 | rule-based |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    } else {
        out.push_str("\n|---|---|---|---|---|---|---|---|\n");
    }
    for r in rows {
        let sizes: Vec<String> = r.itemsets_by_len.iter().map(usize::to_string).collect();
        let rss = r
            .peak_rss_bytes
            .map_or("n/a".to_owned(), |b| format!("{:.2} GB", b as f64 / 1e9));
        out.push_str(&format!(
            "| {} | {} | {:.2} | {} | {} | {} | {:.1} MB | {:.2}% |\n",
            r.support,
            r.min_count,
            r.seconds,
            rss,
            sizes.join(" / "),
            r.rules,
            r.model_bytes as f64 / 1e6,
            r.tracks_with_rule * 100.0
        ));
        if with_quality {
            out.pop(); // the newline
            match &r.quality {
                Some(q) => out.push_str(&format!(
                    " {:.4} | {:.4} | {:.2}% | {:.2}% |\n",
                    q.r_precision,
                    q.ndcg,
                    q.hit_at_10 * 100.0,
                    q.rule_share * 100.0
                )),
                None => out.push_str(" n/a | n/a | n/a | n/a |\n"),
            }
        }
    }
    out
}

/// An SVG chart: rules and mining time against support (log scales), and below it, when the
/// sweep measured quality, NDCG, hit@10 and the rule-based share against support.
pub fn chart(rows: &[SweepRow], path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let points: Vec<&SweepRow> = rows.iter().filter(|r| r.support > 0.0).collect();
    if points.is_empty() {
        return Err("no support to chart".into());
    }
    let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), r| {
        (lo.min(r.support), hi.max(r.support))
    });
    let max_rules = points.iter().map(|r| r.rules).max().unwrap_or(1).max(1) as f64;
    let max_secs = points
        .iter()
        .map(|r| r.seconds)
        .fold(0.0, f64::max)
        .max(1e-3);
    let with_quality = points.iter().any(|r| r.quality.is_some());
    let height = if with_quality { 900 } else { 480 };
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = if with_quality {
        root.split_vertically(480)
    } else {
        (root.clone(), root.clone())
    };
    let mut chart = ChartBuilder::on(&top)
        .caption(
            "miner sweep: rules and mining time by minimum support",
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .right_y_label_area_size(70)
        .build_cartesian_2d(
            (lo * 0.8..hi * 1.25).log_scale(),
            (0.5..max_rules * 2.0).log_scale(),
        )?
        .set_secondary_coord((lo * 0.8..hi * 1.25).log_scale(), 0.0..max_secs * 1.2);
    chart
        .configure_mesh()
        .x_desc("minimum support (fraction of playlists)")
        .y_desc("rules (0 drawn at 0.5)")
        .x_labels(8)
        .x_label_formatter(&support_label)
        .light_line_style(WHITE)
        .draw()?;
    chart
        .configure_secondary_axes()
        .y_desc("seconds (mine + rules + model)")
        .draw()?;
    let rules: Vec<(f64, f64)> = points
        .iter()
        .map(|r| (r.support, (r.rules as f64).max(0.5)))
        .collect();
    chart
        .draw_series(LineSeries::new(rules.clone(), BLUE.stroke_width(2)))?
        .label("rules")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart.draw_series(rules.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))?;
    let secs: Vec<(f64, f64)> = points.iter().map(|r| (r.support, r.seconds)).collect();
    chart
        .draw_secondary_series(LineSeries::new(secs.clone(), RED.stroke_width(2)))?
        .label("seconds")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    chart.draw_secondary_series(secs.iter().map(|&p| Circle::new(p, 4, RED.filled())))?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    if with_quality {
        quality_chart(&points, (lo, hi), &bottom)?;
    }
    root.present()?;
    Ok(())
}

/// NDCG (left axis) and hit@10 and the rule-based share (right axis) against support.
fn quality_chart(
    points: &[&SweepRow],
    (lo, hi): (f64, f64),
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
) -> Result<(), Box<dyn std::error::Error>> {
    let measured: Vec<(f64, &SweepQuality)> = points
        .iter()
        .filter_map(|r| r.quality.as_ref().map(|q| (r.support, q)))
        .collect();
    let max_ndcg = measured
        .iter()
        .map(|(_, q)| q.ndcg)
        .fold(0.0, f64::max)
        .max(1e-3);
    let mut chart = ChartBuilder::on(area)
        .caption(
            "held-out quality (default strategy) by minimum support",
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .right_y_label_area_size(70)
        .build_cartesian_2d((lo * 0.8..hi * 1.25).log_scale(), 0.0..max_ndcg * 1.2)?
        .set_secondary_coord((lo * 0.8..hi * 1.25).log_scale(), 0.0..100.0);
    chart
        .configure_mesh()
        .x_desc("minimum support (fraction of playlists)")
        .y_desc("NDCG")
        .x_labels(8)
        .x_label_formatter(&support_label)
        .light_line_style(WHITE)
        .draw()?;
    chart
        .configure_secondary_axes()
        .y_desc("% of test cases")
        .draw()?;
    let ndcg: Vec<(f64, f64)> = measured.iter().map(|(s, q)| (*s, q.ndcg)).collect();
    chart
        .draw_series(LineSeries::new(ndcg.clone(), BLUE.stroke_width(2)))?
        .label("NDCG")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart.draw_series(ndcg.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))?;
    type Share = fn(&SweepQuality) -> f64;
    let series: [(&str, RGBColor, Share); 2] = [
        ("hit@10 (%)", GREEN, |q| q.hit_at_10 * 100.0),
        ("rule-based (%)", MAGENTA, |q| q.rule_share * 100.0),
    ];
    for (label, color, value) in series {
        let line: Vec<(f64, f64)> = measured.iter().map(|(s, q)| (*s, value(q))).collect();
        chart
            .draw_secondary_series(LineSeries::new(line.clone(), color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_secondary_series(line.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// A support as an axis label: five decimals at most, no trailing zeros (`0.0005`, `0.01`).
fn support_label(x: &f64) -> String {
    let s = format!("{x:.5}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}
