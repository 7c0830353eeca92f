//! The `miner` binary's command line (clap), in the library so that tests can check that
//! deployment files use real subcommands, flags and `SEGUE_...` environment variables.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::dataset::{Format, ReadOptions};
use crate::mine::MineOptions;
use crate::pipeline::PipelineOptions;

/// Segue's miner: mines association rules from playlists and publishes them for the servers.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
pub struct Cli {
    /// Log format (stderr): `text` for people, `json` for log collectors.
    #[arg(long, global = true, env = "SEGUE_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read datasets, mine rules, publish the model to DIR/models and point DIR/current at it.
    Mine(MineArgs),
    /// Show a model's metadata, counts and top rules (a .segue file, or a model directory's
    /// current model).
    Inspect(InspectArgs),
    /// The periodic job: mine the dataset after the last one in the history (wrapping
    /// around), publish it, append to the history. Overlapping runs are kept apart by a lock.
    Run(RunArgs),
    /// Mine one input at several supports; report time, peak memory, itemsets, rules, model
    /// size and rule coverage as a table (stdout and DIR/sweep.md), JSON and an SVG chart.
    Sweep(SweepArgs),
    /// Generate MPD-like playlists (seeded, deterministic): the demo's and benchmarks' data.
    Synth(SynthArgs),
    /// Offline quality: split playlists into train and test (seeded), mine train, hold out
    /// tracks of each test playlist in the RecSys Challenge 2018 shapes, rank 500 with every
    /// strategy and the baselines; report R-precision, NDCG, clicks, hit@10, coverage and the
    /// share of rule-based answers (stdout and DIR/evaluate.md, JSON, an SVG chart).
    Evaluate(EvaluateArgs),
}

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// Dataset files or directories.
    #[arg(long, short, env = "SEGUE_INPUT", value_delimiter = ',', required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Input format; `auto` decides per file from its name.
    #[arg(long, env = "SEGUE_FORMAT", default_value_t = Format::Auto)]
    pub format: Format,
    /// Skip malformed rows instead of failing.
    #[arg(long, env = "SEGUE_SKIP_INVALID")]
    pub skip_invalid: bool,
    /// Minimum support as a fraction of the training playlists.
    #[arg(long, env = "SEGUE_MIN_SUPPORT", default_value_t = 0.01)]
    pub min_support: f64,
    /// Minimum support as an absolute count (overrides --min-support).
    #[arg(long, env = "SEGUE_MIN_COUNT")]
    pub min_count: Option<u32>,
    /// Largest itemset mined.
    #[arg(long, env = "SEGUE_MAX_LEN", default_value_t = 3)]
    pub max_len: usize,
    /// Minimum confidence of a kept rule.
    #[arg(long, env = "SEGUE_MIN_CONFIDENCE", default_value_t = 0.05)]
    pub min_confidence: f64,
    /// Share of playlists held out for testing, in (0, 1).
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// Seed of the split and of the seed draws: the same seed gives the same figures.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Directory for evaluate.md, evaluate.json and evaluate.svg.
    #[arg(long, default_value = "evaluation")]
    pub report: PathBuf,
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Dataset files or directories.
    #[arg(long, short, env = "SEGUE_INPUT", value_delimiter = ',', required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Minimum supports to try (fractions, comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.02,0.01,0.005,0.002,0.001"
    )]
    pub supports: Vec<f64>,
    /// Input format; `auto` decides per file from its name.
    #[arg(long, env = "SEGUE_FORMAT", default_value_t = Format::Auto)]
    pub format: Format,
    /// Largest itemset mined.
    #[arg(long, env = "SEGUE_MAX_LEN", default_value_t = 3)]
    pub max_len: usize,
    /// Minimum confidence of a kept rule.
    #[arg(long, env = "SEGUE_MIN_CONFIDENCE", default_value_t = 0.05)]
    pub min_confidence: f64,
    /// Skip malformed rows instead of failing.
    #[arg(long, env = "SEGUE_SKIP_INVALID")]
    pub skip_invalid: bool,
    /// Share of playlists held out to measure each support's quality (R-precision, NDCG,
    /// hit@10 with the default strategy); every support is then mined on the rest. 0 mines
    /// everything and measures no quality.
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// Seed of the held-out split.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Directory for sweep.md, sweep.json and sweep.svg.
    #[arg(long, default_value = "sweep")]
    pub report: PathBuf,
}

#[derive(Args, Debug)]
pub struct SynthArgs {
    /// Number of playlists.
    #[arg(long, env = "SEGUE_SYNTH_PLAYLISTS", default_value_t = 10_000)]
    pub playlists: usize,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, env = "SEGUE_SYNTH_SEED", default_value_t = 1)]
    pub seed: u64,
    /// Output format (`mpd` writes a directory of slices).
    #[arg(long, env = "SEGUE_SYNTH_FORMAT", default_value_t = Format::Csv)]
    pub format: Format,
    /// Output file, or directory for `mpd`.
    #[arg(long, short, env = "SEGUE_SYNTH_OUT")]
    pub out: PathBuf,
}

/// Settings shared by `mine` and `run`.
#[derive(Args, Debug)]
pub struct Settings {
    /// Input format; `auto` decides per file from its name.
    #[arg(long, env = "SEGUE_FORMAT", default_value_t = Format::Auto)]
    pub format: Format,
    /// Model directory: blobs go to DIR/models, the pointer to DIR/current.
    #[arg(long, short, env = "SEGUE_MODEL_DIR", default_value = "models")]
    pub out: PathBuf,
    /// Minimum support as a fraction of playlists (min count = ceil(fraction × playlists)).
    #[arg(long, env = "SEGUE_MIN_SUPPORT", default_value_t = 0.01)]
    pub min_support: f64,
    /// Minimum support as an absolute count (overrides --min-support).
    #[arg(long, env = "SEGUE_MIN_COUNT")]
    pub min_count: Option<u32>,
    /// Largest itemset mined (rules have up to max-len - 1 tracks in their antecedent).
    #[arg(long, env = "SEGUE_MAX_LEN", default_value_t = 3)]
    pub max_len: usize,
    /// Minimum confidence of a kept rule.
    #[arg(long, env = "SEGUE_MIN_CONFIDENCE", default_value_t = 0.05)]
    pub min_confidence: f64,
    /// How many models to keep in DIR/models (the current one is never deleted).
    #[arg(long, env = "SEGUE_KEEP", default_value_t = 5)]
    pub keep: usize,
    /// Skip malformed rows instead of failing (reports how many, and the first reasons).
    #[arg(long, env = "SEGUE_SKIP_INVALID")]
    pub skip_invalid: bool,
    /// Also write every frequent itemset to FILE: count, a tab, then the item ids sorted and
    /// separated by single spaces.
    #[arg(long, env = "SEGUE_ITEMSETS")]
    pub itemsets: Option<PathBuf>,
}

impl Settings {
    /// The pipeline options these settings stand for.
    pub fn pipeline(&self) -> PipelineOptions {
        PipelineOptions {
            read: ReadOptions {
                format: self.format,
                skip_invalid: self.skip_invalid,
            },
            mine: MineOptions {
                min_support: Some(self.min_support),
                min_count: self.min_count,
                max_len: self.max_len,
                min_confidence: self.min_confidence,
            },
            out: self.out.clone(),
            keep: self.keep,
            itemsets: self.itemsets.clone(),
        }
    }
}

#[derive(Args, Debug)]
pub struct MineArgs {
    /// Dataset files or directories (course CSV, MPD JSON slices, baskets; .gz too).
    #[arg(long, short, env = "SEGUE_INPUT", value_delimiter = ',', required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Directory of datasets to rotate through.
    #[arg(long, env = "SEGUE_DATASETS", default_value = "datasets")]
    pub datasets: PathBuf,
    /// Which files of the datasets directory to rotate through (`*` and `?` wildcards).
    #[arg(long, env = "SEGUE_GLOB", default_value = "*.csv")]
    pub glob: String,
    /// History CSV (`time,dataset_index,dataset_file`); default: history.csv in the model
    /// directory.
    #[arg(long, env = "SEGUE_HISTORY")]
    pub history: Option<PathBuf>,
    /// Do nothing (exit 0) when the model directory already has a current model: the
    /// first-deployment job, which may run again on every sync.
    #[arg(long, env = "SEGUE_IF_NO_MODEL")]
    pub if_no_model: bool,
    /// When no file of the datasets directory matches the glob (or the directory is missing),
    /// first write N synthetic playlists there (as `miner synth`; the format from the glob's
    /// extension, or --format), so that a fresh installation has something to mine.
    #[arg(long, env = "SEGUE_SYNTH_IF_EMPTY", value_name = "N")]
    pub synth_if_empty: Option<usize>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// A .segue blob, or a model directory (its current model).
    pub path: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// How many rules to show (by confidence).
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

/// The clap command, for `--help` and for checks that deployment files use real flags.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
