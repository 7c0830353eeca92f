//! Why a dataset could not be read, said with the file, and for syntax the line and column.

use std::io;
use std::path::PathBuf;

/// Why a dataset could not be read. Every variant names the file; syntax errors also the line
/// and column (1-based).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// A row or document is malformed.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Line, 1-based.
        line: u64,
        /// Column, 1-based (a byte offset for baskets and JSON, a field number for CSV).
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// A CSV file lacks a column the reader needs.
    #[error("{}: missing column `{column}` in the header (found: {found})", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// The header's columns.
        found: String,
    },
    /// A Parquet file is unreadable (a truncated footer, a corrupt page) or a column holds
    /// the wrong type or a bad value: said with the row group and column when known.
    #[error("{}: {}{}{message}", path.display(),
        row_group.map_or_else(String::new, |g| format!("row group {g}: ")),
        column.as_ref().map_or_else(String::new, |c| format!("column `{c}`: ")))]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The row group, 0-based, when the error is in one.
        row_group: Option<usize>,
        /// The column, when the error is in one.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// An input directory holds no dataset file.
    #[error(
        "{}: no dataset files found (taken: {}); skipped: {skipped}",
        path.display(),
        super::TAKEN
    )]
    NoFiles {
        /// The directory.
        path: PathBuf,
        /// What was skipped and why (the first few).
        skipped: String,
    },
    /// A file named as input is no dataset file (or is the challenge set).
    #[error("{}: {reason}", path.display())]
    NotADataset {
        /// The file.
        path: PathBuf,
        /// Why it is not read.
        reason: String,
    },
    /// An input directory holds files of another format than the one asked for.
    #[error(
        "{}: --format {asked} asked, but the directory holds {found}; pass --format auto to read them all, or name the files",
        path.display()
    )]
    FormatMismatch {
        /// The directory.
        path: PathBuf,
        /// The format asked for.
        asked: super::Format,
        /// The formats found, with how many files of each.
        found: String,
    },
}
