//! The `miner` binary's command line (clap), in the library so that tests can check that
//! deployment files use real subcommands, flags and `SEGUE_...` environment variables.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::dataset::{Format, ReadOptions};
use crate::evaluate::{EvalOptions, Ranker, Shape};
use crate::fit::Adaptive;
use crate::guard::{self, GuardOptions, Thresholds};
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
    /// List the published models: id, when written, size, creation time and datasets, and
    /// which one is current.
    Models(ModelsArgs),
    /// Point `current` at an older published model (atomically; on object storage only if no
    /// publisher got in between).
    Rollback(RollbackArgs),
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
    /// Dataset files or directories. Directories are walked (subdirectories too) and their
    /// dataset files taken: mpd.slice.*.json (MPD slices), *.csv whose header has pid and
    /// track_uri (course CSV), *.baskets and *.dat (one playlist per line), each also .gz;
    /// everything else (README.md, license.txt, stats.txt, other .json, the challenge set) is
    /// left out and listed. A file named here is read as --format says (with auto: only a name
    /// above).
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
    /// Input format; `auto` decides per file by what it is (see --input). An explicit format
    /// reads named files in it whatever their names; a directory must then hold only files of
    /// that format.
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
    /// How the model's adaptive rule (what the default strategy ranks with) is chosen: `fit`
    /// (on a validation part of the playlists mined: docs/quality.md), `built-in`
    /// (sum/25/cosine), or a rule FEW/SEEDS/MANY such as sum/10/cosine.
    #[arg(long, env = "SEGUE_ADAPTIVE", default_value_t = Adaptive::Fit)]
    pub adaptive: Adaptive,
}

impl RuleArgs {
    /// The mining options these flags stand for, with no support (`sweep` sets its own).
    pub fn options(&self) -> MineOptions {
        MineOptions {
            min_support: None,
            min_count: None,
            max_len: self.max_len,
            min_confidence: self.min_confidence,
            max_consequents: None,
            neighbors: None,
            neighbor_min_count: crate::mine::NEIGHBOR_MIN_COUNT,
            adaptive: self.adaptive,
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
    /// Keep only the N best rules per antecedent (highest confidence, then highest lift):
    /// the long tail of a low support at a fraction of the size (docs/quality.md). Every
    /// rule when left out.
    #[arg(long, env = "SEGUE_MAX_CONSEQUENTS", value_name = "N")]
    pub max_consequents: Option<usize>,
    /// Also add, for every track, rules to its N most similar tracks (cosine over the
    /// playlists they share, as item-kNN), whatever the support: the long tail below the
    /// support at N rules per track (docs/quality.md). None when left out.
    #[arg(long, env = "SEGUE_NEIGHBORS", value_name = "N")]
    pub neighbors: Option<usize>,
    /// The fewest playlists a neighbor rule's two tracks must share (with --neighbors). The
    /// model's min_count is then the lower of this and the support's.
    #[arg(long, env = "SEGUE_NEIGHBOR_MIN_COUNT", value_name = "C", default_value_t = crate::mine::NEIGHBOR_MIN_COUNT)]
    pub neighbor_min_count: u32,
    #[command(flatten)]
    pub rules: RuleArgs,
}

impl MiningArgs {
    /// The mining options these flags stand for.
    pub fn options(&self) -> MineOptions {
        MineOptions {
            min_support: Some(self.min_support),
            min_count: self.min_count,
            max_consequents: self.max_consequents,
            neighbors: self.neighbors,
            neighbor_min_count: self.neighbor_min_count,
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
    /// Bootstrap resamples of the test playlists behind the 95% intervals (0: none).
    #[arg(long, default_value_t = crate::evaluate::RESAMPLES)]
    pub resamples: usize,
    /// Neighbors kept per track by the item-kNN baseline.
    #[arg(long, default_value_t = crate::evaluate::KNN_NEIGHBORS)]
    pub knn_neighbors: usize,
    /// Evaluate within the training playlists only: drop the test playlists, split the rest
    /// again into a fitting part (mined) and a validation part (ranked), to choose settings
    /// without reading the test playlists.
    #[arg(long)]
    pub validation: bool,
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
            resamples: self.resamples,
            knn_neighbors: self.knn_neighbors,
            validation: self.validation,
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
    /// Rules kept per antecedent to try at each support (comma-separated; 0 keeps every
    /// rule): each support is mined once and pruned to each setting.
    #[arg(long, value_delimiter = ',', default_value = "0")]
    pub max_consequents: Vec<usize>,
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
            max_consequents: self.max_consequents.clone(),
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
    /// The structure of the playlists: `mpd` (the MPD's statistics), `loose` (weak themes,
    /// flat popularity, long playlists, many one-off tracks) or `niche` (strong themes, steep
    /// popularity, short playlists); docs/quality.md compares them.
    #[arg(long, env = "SEGUE_SYNTH_PROFILE", default_value = "mpd", value_parser = parse_profile)]
    pub profile: crate::synth::Profile,
    /// Also print the generated playlists' statistics (mean length, repeats, one-off tracks,
    /// the top track's share), as docs/quality.md lists them.
    #[arg(long)]
    pub stats: bool,
}

fn parse_profile(name: &str) -> Result<crate::synth::Profile, String> {
    crate::synth::Profile::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = crate::synth::Profile::ALL.iter().map(|p| p.name).collect();
        format!("unknown profile `{name}`: one of {}", names.join(", "))
    })
}

/// The publish guard (`mine`, `run`): a model that is implausible next to the current one is
/// not published.
#[derive(Args, Debug)]
pub struct GuardArgs {
    /// Refuse a model with fewer playlists than this share of the current model's (0 turns the
    /// check off). Default: half; see README, "The publish guard".
    #[arg(long, env = "SEGUE_GUARD_MIN_PLAYLISTS", default_value_t = guard::DEFAULT_MIN_RATIO)]
    pub guard_min_playlists: f64,
    /// Refuse a model with fewer distinct tracks than this share of the current model's (0
    /// turns the check off).
    #[arg(long, env = "SEGUE_GUARD_MIN_TRACKS", default_value_t = guard::DEFAULT_MIN_RATIO)]
    pub guard_min_tracks: f64,
    /// Publish even when the guard refuses (far fewer playlists or tracks, no rules, a
    /// dataset published before with other content); logged and recorded as forced.
    #[arg(long, env = "SEGUE_FORCE")]
    pub force: bool,
}

impl GuardArgs {
    /// The guard settings these flags stand for.
    pub fn options(&self) -> GuardOptions {
        GuardOptions {
            thresholds: Thresholds {
                min_playlists: self.guard_min_playlists,
                min_tracks: self.guard_min_tracks,
            },
            force: self.force,
        }
    }
}

/// Where models are published (`mine`, `run`, `models`, `rollback`).
#[derive(Args, Debug)]
pub struct StoreArgs {
    /// Model directory: blobs go to DIR/models, the pointer to DIR/current (unless --store is
    /// set).
    #[arg(long, short, env = "SEGUE_MODEL_DIR", default_value = "models")]
    pub out: PathBuf,
    /// Model store as a URL, in place of --out: `s3://bucket/prefix`, `gs://bucket/prefix`,
    /// `az://container/prefix` (credentials and endpoint from the cloud's standard
    /// environment, e.g. AWS_*), or `file:///path` / a plain path (a directory).
    #[arg(long, env = "SEGUE_MODEL_STORE", value_name = "URL")]
    pub store: Option<String>,
}

impl StoreArgs {
    /// The store's location: --store, else --out.
    pub fn location(&self) -> String {
        self.store
            .clone()
            .unwrap_or_else(|| self.out.display().to_string())
    }
}

/// Settings shared by `mine` and `run`.
#[derive(Args, Debug)]
pub struct Settings {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub mining: MiningArgs,
    /// How many models to keep in DIR/models (the current one is never deleted).
    #[arg(long, env = "SEGUE_KEEP", default_value_t = 5)]
    pub keep: usize,
    /// Also write every frequent itemset to FILE: count, a tab, then the item ids sorted and
    /// separated by single spaces.
    #[arg(long, env = "SEGUE_ITEMSETS")]
    pub itemsets: Option<PathBuf>,
    #[command(flatten)]
    pub guard: GuardArgs,
    /// Print the summary as JSON (the files read and left out, the guard's comparison, the
    /// counts); a refusal prints the guard's comparison as JSON.
    #[arg(long, env = "SEGUE_JSON")]
    pub json: bool,
}

impl Settings {
    /// The pipeline options these settings stand for.
    pub fn pipeline(&self) -> PipelineOptions {
        PipelineOptions {
            read: self.read.options(),
            mine: self.mining.options(),
            store: self.store.location(),
            keep: self.keep,
            itemsets: self.itemsets.clone(),
            guard: self.guard.options(),
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
    /// The Spark job's output (holding _manifest.json, itemsets/, tracks/), or a directory or
    /// prefix of such outputs (the scheduled runs): then the newest complete one. A path, or a
    /// URL as for --store (s3://bucket/prefix, gs://..., az://..., file://), credentials and
    /// endpoint from the environment.
    #[arg(long = "from", env = "SEGUE_IMPORT_FROM")]
    pub from: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// How many models to keep in DIR/models (the current one is never deleted).
    #[arg(long, env = "SEGUE_KEEP", default_value_t = 5)]
    pub keep: usize,
    /// Minimum confidence of a kept rule (support and length come from the output).
    #[arg(long, env = "SEGUE_MIN_CONFIDENCE", default_value_t = 0.05)]
    pub min_confidence: f64,
    /// The model's adaptive rule: `built-in` (sum/25/cosine) or FEW/SEEDS/MANY (fitting
    /// needs the playlists, which an import does not read).
    #[arg(long, env = "SEGUE_ADAPTIVE", default_value_t = Adaptive::BUILT_IN)]
    pub adaptive: Adaptive,
    #[command(flatten)]
    pub guard: GuardArgs,
}

impl ImportArgs {
    /// The import these flags ask for.
    pub fn options(&self) -> ImportOptions {
        ImportOptions {
            store: self.store.location(),
            guard: self.guard.options(),
            keep: self.keep,
            min_confidence: self.min_confidence,
            adaptive: self.adaptive,
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

#[derive(Args, Debug)]
pub struct ModelsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    /// The id of the published model to serve (see `miner models`).
    pub id: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// The clap command, for `--help` and for checks that deployment files use real flags.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
