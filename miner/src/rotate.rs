//! The rotation of `miner run` (the job itself is [`crate::run`]): the history of what was
//! mined, which dataset comes next, the datasets a glob matches, and the lock file that keeps
//! overlapping runs apart.
//!
//! The history is a CSV `time,dataset_index,dataset_file` on the shared volume, as the original
//! job kept it. A missing history starts at the first dataset; malformed lines (a crash in the
//! middle of a write, a hand edit) are skipped with a warning, and the last good line counts.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// One line of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    /// When the run published (RFC 3339).
    pub time: String,
    /// Index of the dataset in the sorted list at that time.
    pub dataset_index: usize,
    /// The dataset's file name.
    pub dataset_file: String,
}

/// The history's header line.
pub const HISTORY_HEADER: &str = "time,dataset_index,dataset_file";

/// Reads the history: its good entries and a description of each malformed line.
pub fn read_history(path: &Path) -> io::Result<(Vec<HistoryEntry>, Vec<String>)> {
    match fs::read(path) {
        Ok(bytes) => Ok(parse_history(&bytes, &path.display().to_string())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((Vec::new(), Vec::new())),
        Err(e) => Err(e),
    }
}

/// Parses a history's bytes (`name` for messages): its good entries and a description of each
/// malformed line.
pub fn parse_history(text: &[u8], name: &str) -> (Vec<HistoryEntry>, Vec<String>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut entries = Vec::new();
    let mut bad = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 1;
        let parsed = record.ok().and_then(|r| {
            if r.len() != 3 {
                return None;
            }
            let index = r[1].trim().parse().ok()?;
            let time = r[0].trim();
            engine::is_rfc3339_utc(time).then(|| HistoryEntry {
                time: time.to_owned(),
                dataset_index: index,
                dataset_file: r[2].to_owned(),
            })
        });
        match parsed {
            Some(entry) => entries.push(entry),
            None if line == 1 && text.starts_with(HISTORY_HEADER.as_bytes()) => {}
            None => bad.push(format!(
                "{name}:{line}: not `time,dataset_index,dataset_file`"
            )),
        }
    }
    (entries, bad)
}

/// Which dataset to mine next: the one after the last history entry's file (by name, so that
/// adding or removing datasets does not skip or repeat one), or after its index when the file
/// is gone; the first when there is no history.
pub fn next_dataset(datasets: &[PathBuf], history: &[HistoryEntry]) -> usize {
    let Some(last) = history.last() else { return 0 };
    if datasets.is_empty() {
        return 0;
    }
    let by_name = datasets.iter().position(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy() == last.dataset_file)
    });
    (by_name.unwrap_or(last.dataset_index) + 1) % datasets.len()
}

/// Appends an entry (writing the header first into a new file) and flushes it to disk.
pub fn append_history(path: &Path, entry: &HistoryEntry) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let new = !path.exists() || fs::metadata(path)?.len() == 0;
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    if new {
        file.write_all(format!("{HISTORY_HEADER}\n").as_bytes())?;
    }
    file.write_all(&history_line(entry))?;
    file.sync_all()
}

/// One history line, CSV-quoted where needed, with its newline.
pub fn history_line(entry: &HistoryEntry) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record([
        entry.time.as_str(),
        &entry.dataset_index.to_string(),
        &entry.dataset_file,
    ])
    .and_then(|()| w.flush().map_err(csv::Error::from))
    .expect("writing to memory cannot fail");
    w.into_inner().expect("flushed")
}

/// The datasets in `dir` whose file names match `pattern` (`*` and `?` wildcards), sorted.
pub fn list_datasets(dir: &Path, pattern: &str) -> io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| wildcard(pattern, &n.to_string_lossy()))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// A file name that `pattern` matches, for generated data: each `*` becomes `synthetic` and
/// each `?` becomes `x` (`*.csv` gives `synthetic.csv`).
pub fn synth_file_name(pattern: &str) -> String {
    pattern.replace('*', "synthetic").replace('?', "x")
}

/// Shell-style match of `*` and `?` (no character classes).
pub fn wildcard(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// An exclusive lock on `path`, held until dropped; `None` when another process holds it.
pub fn try_lock(path: &Path) -> io::Result<Option<File>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::{synth_file_name, wildcard};

    #[test]
    fn wildcards() {
        assert!(wildcard("*.csv", "2023_spotify_ds1.csv"));
        assert!(wildcard("*.csv", ".csv"));
        assert!(!wildcard("*.csv", "ds1.csv.gz"));
        assert!(wildcard("*.csv*", "ds1.csv.gz"));
        assert!(wildcard("ds?.csv", "ds1.csv"));
        assert!(!wildcard("ds?.csv", "ds10.csv"));
        assert!(wildcard("*", "anything"));
        assert!(wildcard("a*b*c", "aXXbYYc"));
        assert!(!wildcard("a*b*c", "aXXbYY"));
    }

    #[test]
    fn synthetic_names_match_their_pattern() {
        for pattern in ["*.csv", "2023_spotify_ds*.csv", "ds?.dat", "*", "plain.csv"] {
            let name = synth_file_name(pattern);
            assert!(wildcard(pattern, &name), "{pattern} -> {name}");
        }
        assert_eq!(synth_file_name("*.csv"), "synthetic.csv");
    }
}
