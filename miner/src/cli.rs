//! The `miner` binary's command line (clap), in the library so that tests can check that
//! deployment files use real subcommands, flags and `SEGUE_...` environment variables.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::dataset::{Format, ReadOptions};
use crate::evaluate::{EvalOptions, Ranker, Shape};
use crate::import::ImportOptions;
use crate::mine::MineOptions;
use crate::pipeline::PipelineOptions;
use crate::run::RunOptions;
use crate::sweep::SweepOptions;

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
    /// Make a model from the Spark job's frequent itemsets (spark/segue_itemsets.py) with the
    /// same rules as `mine`, and publish it; an output the current model came from is skipped.
    Import(ImportArgs),
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

// Flags that several subcommands take are declared once, in the groups below, and flattened
// into each subcommand: the same name, variable, default and help everywhere.

/// The dataset files to read (`mine`, `evaluate`, `sweep`; `run` picks its own).
#[derive(Args, Debug)]
pub struct InputArgs {
    /// Dataset files or directories (course CSV, MPD JSON slices, baskets; .gz too).
    #[arg(
        id = "input",
        long = "input",
        short = 'i',
        value_name = "INPUT",
        env = "SEGUE_INPUT",
        value_delimiter = ',',
        required = true,
        num_args = 1..
    )]
    pub paths: Vec<PathBuf>,
}

/// How to read the datasets (every subcommand that reads).
#[derive(Args, Debug)]
pub struct ReadArgs {
    /// Input format; `auto` decides per file from its name.
    #[arg(long, env = "SEGUE_FORMAT", default_value_t = Format::Auto)]
    pub format: Format,
    /// Skip malformed rows instead of failing (`mine` and `run` report how many, and the
    /// first reasons).
    #[arg(long, env = "SEGUE_SKIP_INVALID")]
    pub skip_invalid: bool,
}

impl ReadArgs {
    /// The reading options these flags stand for.
    pub fn options(&self) -> ReadOptions {
        ReadOptions {
            format: self.format,
            skip_invalid: self.skip_invalid,
        }
    }
}

/// Which rules are kept (every subcommand that mines).
#[derive(Args, Debug)]
pub struct RuleArgs {
    /// Largest itemset mined (rules have up to max-len - 1 tracks in their antecedent).
    #[arg(long, env = "SEGUE_MAX_LEN", default_value_t = 3)]
    pub max_len: usize,
    /// Minimum confidence of a kept rule.
    #[arg(long, env = "SEGUE_MIN_CONFIDENCE", default_value_t = 0.05)]
    pub min_confidence: f64,
}

impl RuleArgs {
    /// The mining options these flags stand for, with no support (`sweep` sets its own).
    pub fn options(&self) -> MineOptions {
        MineOptions {
            min_support: None,
            min_count: None,
            max_len: self.max_len,
            min_confidence: self.min_confidence,
        }
    }
}

/// The minimum support and which rules are kept (`mine`, `run`, `evaluate`).
#[derive(Args, Debug)]
pub struct MiningArgs {
    /// Minimum support as a fraction of the playlists mined (min count = ceil(fraction ×
    /// playlists); `evaluate` mines its training playlists).
    #[arg(long, env = "SEGUE_MIN_SUPPORT", default_value_t = 0.01)]
    pub min_support: f64,
    /// Minimum support as an absolute count (overrides --min-support).
    #[arg(long, env = "SEGUE_MIN_COUNT")]
    pub min_count: Option<u32>,
    #[command(flatten)]
    pub rules: RuleArgs,
}

impl MiningArgs {
    /// The mining options these flags stand for.
    pub fn options(&self) -> MineOptions {
        MineOptions {
            min_support: Some(self.min_support),
            min_count: self.min_count,
            ..self.rules.options()
        }
    }
}

// `evaluate` and `sweep` each keep their own --test-fraction, --seed and --report: the
// fractions mean different things (evaluate needs a test set, in (0, 1); sweep's 0 turns
// the quality columns off), the seeds drive different draws, and the report directories
// have different defaults.

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub mining: MiningArgs,
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

impl EvaluateArgs {
    /// The evaluation these flags ask for: every ranker, every challenge shape.
    pub fn options(&self) -> EvalOptions {
        EvalOptions {
            test_fraction: self.test_fraction,
            seed: self.seed,
            mine: self.mining.options(),
            rankers: Ranker::all(),
            shapes: Shape::CHALLENGE.to_vec(),
        }
    }
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Minimum supports to try (fractions, comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.02,0.01,0.005,0.002,0.001"
    )]
    pub supports: Vec<f64>,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
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

impl SweepArgs {
    /// The sweep these flags ask for.
    pub fn options(&self) -> SweepOptions {
        SweepOptions {
            mine: self.rules.options(),
            supports: self.supports.clone(),
            test_fraction: self.test_fraction,
            seed: self.seed,
        }
    }
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
    #[command(flatten)]
    pub read: ReadArgs,
    /// Model directory: blobs go to DIR/models, the pointer to DIR/current.
    #[arg(long, short, env = "SEGUE_MODEL_DIR", default_value = "models")]
    pub out: PathBuf,
    #[command(flatten)]
    pub mining: MiningArgs,
    /// How many models to keep in DIR/models (the current one is never deleted).
    #[arg(long, env = "SEGUE_KEEP", default_value_t = 5)]
    pub keep: usize,
    /// Also write every frequent itemset to FILE: count, a tab, then the item ids sorted and
    /// separated by single spaces.
    #[arg(long, env = "SEGUE_ITEMSETS")]
    pub itemsets: Option<PathBuf>,
}

impl Settings {
    /// The pipeline options these settings stand for.
    pub fn pipeline(&self) -> PipelineOptions {
        PipelineOptions {
            read: self.read.options(),
            mine: self.mining.options(),
            out: self.out.clone(),
            keep: self.keep,
            itemsets: self.itemsets.clone(),
        }
    }
}

#[derive(Args, Debug)]
pub struct MineArgs {
    #[command(flatten)]
    pub input: InputArgs,
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

impl RunArgs {
    /// The job these flags ask for.
    pub fn options(&self) -> RunOptions {
        RunOptions {
            datasets: self.datasets.clone(),
            glob: self.glob.clone(),
            history: self.history.clone(),
            if_no_model: self.if_no_model,
            synth_if_empty: self.synth_if_empty,
            pipeline: self.settings.pipeline(),
        }
    }
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The Spark job's output directory (holding _manifest.json, itemsets/, tracks/), or a
    /// directory of such outputs (the scheduled runs): then the newest complete one.
    #[arg(long = "from", env = "SEGUE_IMPORT_FROM")]
    pub from: PathBuf,
    /// Model directory: blobs go to DIR/models, the pointer to DIR/current.
    #[arg(long, short, env = "SEGUE_MODEL_DIR", default_value = "models")]
    pub out: PathBuf,
    /// How many models to keep in DIR/models (the current one is never deleted).
    #[arg(long, env = "SEGUE_KEEP", default_value_t = 5)]
    pub keep: usize,
    /// Minimum confidence of a kept rule (support and length come from the output).
    #[arg(long, env = "SEGUE_MIN_CONFIDENCE", default_value_t = 0.05)]
    pub min_confidence: f64,
}

impl ImportArgs {
    /// The import these flags ask for.
    pub fn options(&self) -> ImportOptions {
        ImportOptions {
            out: self.out.clone(),
            keep: self.keep,
            min_confidence: self.min_confidence,
        }
    }
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
