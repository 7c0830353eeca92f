//! The reports of `miner evaluate` and `miner sweep`, written side by side into one directory:
//! a markdown table (`NAME.md`), the figures as JSON (`NAME.json`) and an SVG chart
//! (`NAME.svg`). `evaluate.rs` and `sweep.rs` hold each report's table and chart.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

mod evaluate;
mod sweep;

/// Figures that make a report: serialized as they are, shown as a table and a chart.
pub trait Report: serde::Serialize {
    /// The files' stem (`evaluate`, `sweep`).
    const NAME: &'static str;

    /// The table, as markdown.
    fn markdown(&self) -> String;

    /// Draws the chart into the SVG file `path`.
    fn chart(&self, path: &Path) -> Result<(), Box<dyn std::error::Error>>;
}

/// Why a report was not written (whole).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The directory could not be created.
    #[error("creating {}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The figures could not be put into JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A file could not be written.
    #[error("writing {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The chart could not be drawn.
    #[error("drawing {}: {message}", path.display())]
    Draw {
        /// The SVG file.
        path: PathBuf,
        /// What the plotting library said.
        message: String,
    },
}

/// Where a report went; shown as the line that says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The directory.
    pub dir: PathBuf,
    /// The files' stem.
    pub name: &'static str,
}

impl fmt::Display for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name;
        write!(
            f,
            "wrote {}/{name}.md, {name}.json and {name}.svg",
            self.dir.display()
        )
    }
}

/// Writes `report` into `dir` (created if missing) as `NAME.md`, `NAME.json` and `NAME.svg`.
pub fn write<R: Report + ?Sized>(dir: &Path, report: &R) -> Result<Written, ReportError> {
    let name = R::NAME;
    std::fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_owned(),
        source,
    })?;
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).map_err(|source| ReportError::Write { path, source })
    };
    write(dir.join(format!("{name}.md")), &report.markdown())?;
    write(
        dir.join(format!("{name}.json")),
        &serde_json::to_string_pretty(report)?,
    )?;
    let svg = dir.join(format!("{name}.svg"));
    report.chart(&svg).map_err(|e| ReportError::Draw {
        message: e.to_string(),
        path: svg,
    })?;
    Ok(Written {
        dir: dir.to_owned(),
        name,
    })
}
