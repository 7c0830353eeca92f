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

    /// Rules and mining time against support (log scales), and below it, when the sweep
    /// measured quality, NDCG, hit@10 and the rule-based share against support.
    fn chart(&self, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
        let rows = self;
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
