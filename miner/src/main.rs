//! `miner`: playlist datasets in, a published rule blob out. See `miner --help`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use miner::dataset::{self, Format, ReadOptions};
use miner::mine::{MineOptions, mine};
use miner::publish;

/// Segue's miner: mines association rules from playlists and publishes them for the servers.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read datasets, mine rules, publish the model to DIR/models and point DIR/current at it.
    Mine(MineArgs),
    /// Show a model's metadata, counts and top rules (a .segue file, or a model directory's
    /// current model).
    Inspect(InspectArgs),
    /// Generate MPD-like playlists (seeded, deterministic): the demo's and benchmarks' data.
    Synth(SynthArgs),
}

#[derive(Args, Debug)]
struct SynthArgs {
    /// Number of playlists.
    #[arg(long, env = "SEGUE_SYNTH_PLAYLISTS", default_value_t = 10_000)]
    playlists: usize,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, env = "SEGUE_SYNTH_SEED", default_value_t = 1)]
    seed: u64,
    /// Output format (`mpd` writes a directory of slices).
    #[arg(long, env = "SEGUE_SYNTH_FORMAT", default_value_t = Format::Csv)]
    format: Format,
    /// Output file, or directory for `mpd`.
    #[arg(long, short, env = "SEGUE_SYNTH_OUT")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct MineArgs {
    /// Dataset files or directories (course CSV, MPD JSON slices, baskets; .gz too).
    #[arg(long, short, env = "SEGUE_INPUT", value_delimiter = ',', required = true, num_args = 1..)]
    input: Vec<PathBuf>,
    /// Input format; `auto` decides per file from its name.
    #[arg(long, env = "SEGUE_FORMAT", default_value_t = Format::Auto)]
    format: Format,
    /// Model directory: blobs go to DIR/models, the pointer to DIR/current.
    #[arg(long, short, env = "SEGUE_MODEL_DIR", default_value = "models")]
    out: PathBuf,
    /// Minimum support as a fraction of playlists (min count = ceil(fraction × playlists)).
    #[arg(long, env = "SEGUE_MIN_SUPPORT", default_value_t = 0.01)]
    min_support: f64,
    /// Minimum support as an absolute count (overrides --min-support).
    #[arg(long, env = "SEGUE_MIN_COUNT")]
    min_count: Option<u32>,
    /// Largest itemset mined (rules have up to max-len - 1 tracks in their antecedent).
    #[arg(long, env = "SEGUE_MAX_LEN", default_value_t = 3)]
    max_len: usize,
    /// Minimum confidence of a kept rule.
    #[arg(long, env = "SEGUE_MIN_CONFIDENCE", default_value_t = 0.05)]
    min_confidence: f64,
    /// How many models to keep in DIR/models (the current one is never deleted).
    #[arg(long, env = "SEGUE_KEEP", default_value_t = 5)]
    keep: usize,
    /// Skip malformed rows instead of failing (reports how many, and the first reasons).
    #[arg(long, env = "SEGUE_SKIP_INVALID")]
    skip_invalid: bool,
    /// Also write every frequent itemset to FILE: count, a tab, then the item ids sorted and
    /// separated by single spaces.
    #[arg(long, env = "SEGUE_ITEMSETS")]
    itemsets: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct InspectArgs {
    /// A .segue blob, or a model directory (its current model).
    path: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// How many rules to show (by confidence).
    #[arg(long, default_value_t = 10)]
    top: usize,
}

fn main() -> ExitCode {
    let json_logs = std::env::var("SEGUE_LOG_FORMAT").is_ok_and(|f| f == "json");
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json_logs {
        subscriber.json().init();
    } else {
        subscriber.with_ansi(std::io::stderr().is_terminal()).init();
    }
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Mine(args) => mine_cmd(args),
        Command::Inspect(args) => inspect_cmd(args),
        Command::Synth(args) => synth_cmd(args),
    }
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

fn mine_cmd(args: MineArgs) -> Result<()> {
    let total = Instant::now();
    let files = dataset::list_files(&args.input).context("listing the input")?;
    tracing::info!(files = files.len(), "reading");
    let start = Instant::now();
    let options = ReadOptions {
        format: args.format,
        skip_invalid: args.skip_invalid,
    };
    let data =
        dataset::read(&files, options).context("reading the input (nothing was published)")?;
    let read_time = start.elapsed();
    if data.skipped > 0 {
        tracing::warn!(
            skipped = data.skipped,
            "skipped malformed input (--skip-invalid)"
        );
        for reason in &data.skip_reasons {
            tracing::warn!("  {reason}");
        }
    }
    tracing::info!(
        playlists = data.transactions.len(),
        rows = data.rows,
        tracks = data.tracks.len(),
        seconds = read_time.as_secs_f64(),
        "read"
    );
    let options = MineOptions {
        min_support: Some(args.min_support),
        min_count: args.min_count,
        max_len: args.max_len,
        min_confidence: args.min_confidence,
    };
    let mined = mine(&data, &options, now_rfc3339()).context("mining (nothing was published)")?;
    let (model, report) = (&mined.model, &mined.report);
    if let Some(path) = &args.itemsets {
        write_itemsets(path, &data, &mined.itemsets)?;
    }
    let start = Instant::now();
    let blob = model.to_blob();
    let published = publish::publish(&args.out, model.id(), &blob, args.keep)
        .with_context(|| format!("publishing to {}", args.out.display()))?;
    let publish_time = start.elapsed();
    println!(
        "published {} ({} bytes)",
        published.path.display(),
        blob.len()
    );
    println!(
        "playlists {}  rows {}  tracks {}  min count {}",
        report.playlists, report.rows, report.tracks, report.min_count
    );
    let sizes: Vec<String> = report
        .itemsets_by_len
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{}: {n}", i + 1))
        .collect();
    println!("frequent itemsets by size  {}", sizes.join("  "));
    println!(
        "rules {}  tracks with a rule {:.2}%",
        report.rules,
        report.tracks_with_rule * 100.0
    );
    println!(
        "time: read {:.2?}  mine {:.2?}  rules+model {:.2?}  publish {:.2?}  total {:.2?}",
        read_time,
        report.mine_time,
        report.rules_time,
        publish_time,
        total.elapsed()
    );
    Ok(())
}

fn write_itemsets(
    path: &std::path::Path,
    data: &dataset::Dataset,
    sets: &[miner::fpgrowth::Itemset],
) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    let mut uris: Vec<&str> = Vec::new();
    for set in sets {
        uris.clear();
        uris.extend(
            set.items
                .iter()
                .map(|&i| data.tracks[i as usize].uri.as_str()),
        );
        uris.sort_unstable();
        writeln!(out, "{}\t{}", set.count, uris.join(" "))?;
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn synth_cmd(args: SynthArgs) -> Result<()> {
    if args.format == Format::Auto {
        bail!("--format auto is for reading; choose csv, mpd or baskets");
    }
    let start = Instant::now();
    let options = miner::synth::SynthOptions {
        playlists: args.playlists,
        seed: args.seed,
    };
    let summary = miner::synth::write(&options, args.format, &args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "wrote {} playlists ({} rows, catalog of {} tracks) as {} to {} in {:.2?}",
        summary.playlists,
        summary.rows,
        summary.catalog,
        args.format,
        args.out.display(),
        start.elapsed()
    );
    Ok(())
}

fn inspect_cmd(args: InspectArgs) -> Result<()> {
    let path = if args.path.is_dir() {
        match publish::current(&args.path)? {
            Some(p) => p,
            None => bail!(
                "{}: no current model (no `current` pointer)",
                args.path.display()
            ),
        }
    } else {
        args.path.clone()
    };
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let model =
        engine::Model::from_blob(&bytes).with_context(|| format!("decoding {}", path.display()))?;
    let mut rules: Vec<engine::Rule<'_>> = model.rules().collect();
    rules.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(b.lift.total_cmp(&a.lift))
    });
    rules.truncate(args.top);
    let name = |t: engine::TrackId| {
        let t = model.track(t);
        format!("{} ({})", t.name, t.artist)
    };
    if args.json {
        let top: Vec<serde_json::Value> = rules
            .iter()
            .map(|r| {
                serde_json::json!({
                    "antecedent": r.antecedent.iter().map(|t| model.track(t).uri).collect::<Vec<_>>(),
                    "consequent": model.track(r.consequent).uri,
                    "count": r.count,
                    "antecedent_count": r.antecedent_count,
                    "confidence": r.confidence,
                    "lift": r.lift,
                })
            })
            .collect();
        let out = serde_json::json!({
            "path": path,
            "bytes": bytes.len(),
            "metadata": model.metadata(),
            "tracks": model.track_count(),
            "antecedents": model.antecedent_count(),
            "rules": model.rule_count(),
            "top_rules": top,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let m = model.metadata();
    println!("{} ({} bytes)", path.display(), bytes.len());
    println!("model      {}", m.model_id);
    println!("created    {}", m.created_at);
    println!("datasets   {}", m.datasets.join(", "));
    println!("playlists  {}", m.playlists);
    println!("support    {} (count {})", m.min_support, m.min_count);
    println!("confidence {}", m.min_confidence);
    println!("max len    {}", m.max_len);
    println!("miner      {}", m.miner_version);
    println!(
        "tracks {}  antecedents {}  rules {}",
        model.track_count(),
        model.antecedent_count(),
        model.rule_count()
    );
    println!("top {} rules by confidence:", rules.len());
    for r in &rules {
        let ante: Vec<String> = r.antecedent.iter().map(name).collect();
        println!(
            "  {} -> {}  confidence {:.3}  lift {:.2}  support {}/{}",
            ante.join(" + "),
            name(r.consequent),
            r.confidence,
            r.lift,
            r.count,
            r.antecedent_count
        );
    }
    Ok(())
}
