//! The report of `miner sweep`: one table row per support, and a chart of rules, time and
//! (when measured) quality against support.

use std::path::Path;

use plotters::prelude::*;

use super::Report;
use crate::sweep::{SweepQuality, SweepRow};

impl Report for [SweepRow] {
    const NAME: &'static str = "sweep";

    /// One row per support (with the quality columns when any row has them).
    fn markdown(&self) -> String {
        let rows = self;
        let with_quality = rows.iter().any(|r| r.quality.is_some());
        let mut out = String::from(
            "| support | per antecedent | min count | time (s) | peak RSS | itemsets by size | rules | model | tracks with a rule | adaptive rule |",
        );
        if with_quality {
            out.push_str(" R-precision [95% CI] | NDCG [95% CI] | hit@10 | rule-based |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        } else {
            out.push_str("\n|---|---|---|---|---|---|---|---|---|---|\n");
        }
        for r in rows {
            let sizes: Vec<String> = r.itemsets_by_len.iter().map(usize::to_string).collect();
            let rss = r
                .peak_rss_bytes
                .map_or("n/a".to_owned(), |b| format!("{:.2} GB", b as f64 / 1e9));
            out.push_str(&format!(
                "| {} | {} | {} | {:.2} | {} | {} | {} | {:.1} MB | {:.2}% | {} |\n",
                r.support,
                r.max_consequents
                    .map_or("all".to_owned(), |n| n.to_string()),
                r.min_count,
                r.seconds,
                rss,
                sizes.join(" / "),
                r.rules,
                r.model_bytes as f64 / 1e6,
                r.tracks_with_rule * 100.0,
                r.adaptive.as_deref().unwrap_or("n/a")
            ));
            if with_quality {
                out.pop(); // the newline
                match &r.quality {
                    Some(q) => out.push_str(&format!(
                        " {:.4} [{:.4}, {:.4}] | {:.4} [{:.4}, {:.4}] | {:.2}% | {:.2}% |\n",
                        q.r_precision,
                        q.r_precision_ci.low,
                        q.r_precision_ci.high,
                        q.ndcg,
                        q.ndcg_ci.low,
                        q.ndcg_ci.high,
                        q.hit_at_10 * 100.0,
                        q.rule_share * 100.0
                    )),
                    None => out.push_str(" n/a | n/a | n/a | n/a |\n"),
                }
            }
        }
        out
    }

    /// Rules and mining time against support (log scales; the first pruning setting), and
    /// below it, when the sweep measured quality, NDCG against blob size, one line per
    /// pruning setting.
    fn chart(&self, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
        let rows = self;
        let first = rows.first().and_then(|r| r.max_consequents);
        let points: Vec<&SweepRow> = rows
            .iter()
            .filter(|r| r.support > 0.0 && r.max_consequents == first)
            .collect();
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
            size_chart(rows, &bottom)?;
        }
        root.present()?;
        Ok(())
    }
}

/// NDCG (with its 95% interval) against blob size, one line per pruning setting, each
/// point labelled with its support.
fn size_chart(
    rows: &[SweepRow],
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
) -> Result<(), Box<dyn std::error::Error>> {
    let measured: Vec<(&SweepRow, &SweepQuality)> = rows
        .iter()
        .filter_map(|r| r.quality.as_ref().map(|q| (r, q)))
        .filter(|(r, _)| r.model_bytes > 0)
        .collect();
    if measured.is_empty() {
        return Ok(());
    }
    let mb = |r: &SweepRow| r.model_bytes as f64 / 1e6;
    let (lo, hi) = measured
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), (r, _)| {
            (lo.min(mb(r)), hi.max(mb(r)))
        });
    let (qlo, qhi) = measured
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), (_, q)| {
            (lo.min(q.ndcg_ci.low), hi.max(q.ndcg_ci.high))
        });
    let pad = (qhi - qlo).max(1e-3) * 0.15;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "held-out NDCG (default strategy, 95% CI) by blob size",
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (lo * 0.7..hi * 1.4).log_scale(),
            (qlo - pad).max(0.0)..qhi + pad,
        )?;
    chart
        .configure_mesh()
        .x_desc("blob size (MB, log scale)")
        .y_desc("NDCG")
        .light_line_style(WHITE)
        .draw()?;
    let mut settings: Vec<Option<usize>> = Vec::new();
    for (r, _) in &measured {
        if !settings.contains(&r.max_consequents) {
            settings.push(r.max_consequents);
        }
    }
    for (i, setting) in settings.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let line: Vec<(&SweepRow, &SweepQuality)> = measured
            .iter()
            .filter(|(r, _)| r.max_consequents == *setting)
            .copied()
            .collect();
        let xy: Vec<(f64, f64)> = line.iter().map(|(r, q)| (mb(r), q.ndcg)).collect();
        let label = setting.map_or("every rule".to_owned(), |n| {
            format!("best {n} per antecedent")
        });
        chart
            .draw_series(LineSeries::new(xy.clone(), color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_series(line.iter().map(|(r, q)| {
            PathElement::new(
                vec![(mb(r), q.ndcg_ci.low), (mb(r), q.ndcg_ci.high)],
                color.stroke_width(2),
            )
        }))?;
        chart.draw_series(
            line.iter()
                .map(|(r, q)| Circle::new((mb(r), q.ndcg), 3, color.filled())),
        )?;
        chart.draw_series(line.iter().map(|(r, q)| {
            Text::new(
                support_label(&r.support),
                (mb(r), q.ndcg),
                ("sans-serif", 12).into_font().color(&BLACK),
            )
        }))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
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
