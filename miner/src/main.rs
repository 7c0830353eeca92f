//! `miner`: playlist datasets in, a published rule blob out. See `miner --help`.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use miner::cli::{
    Cli, Command, EvaluateArgs, InspectArgs, LogFormat, MineArgs, RunArgs, SweepArgs, SynthArgs,
};
use miner::dataset::{Format, ReadRequest};
use miner::pipeline::{RunSummary, mine_and_publish};
use miner::report::{self, Report};
use miner::{publish, rotate};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cli.log_format == LogFormat::Json {
        subscriber.json().init();
    } else {
        subscriber.with_ansi(std::io::stderr().is_terminal()).init();
    }
    match run(cli) {
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
        Command::Run(args) => run_cmd(args),
        Command::Inspect(args) => inspect_cmd(args),
        Command::Sweep(args) => sweep_cmd(args),
        Command::Synth(args) => synth_cmd(args),
        Command::Evaluate(args) => evaluate_cmd(args),
    }
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

fn mine_cmd(args: MineArgs) -> Result<()> {
    let summary = mine_and_publish(&args.input.paths, &args.settings.pipeline(), now_rfc3339())
        .context("nothing was published; the previous model, if any, stays current")?;
    print_summary(&summary);
    Ok(())
}

fn run_cmd(args: RunArgs) -> Result<()> {
    args.settings
        .pipeline()
        .validate()
        .context("nothing was published; the previous model, if any, stays current")?;
    let out = &args.settings.out;
    if args.if_no_model {
        let current = publish::current(out)
            .with_context(|| format!("reading {}", out.join("current").display()))?;
        if let Some(model) = current.filter(|m| m.is_file()) {
            tracing::info!(
                model = %model.display(),
                "a model is already published (--if-no-model); this run does nothing"
            );
            println!("already published: {}", model.display());
            return Ok(());
        }
    }
    let lock_path = out.join(".miner.lock");
    let Some(_lock) =
        rotate::try_lock(&lock_path).with_context(|| format!("locking {}", lock_path.display()))?
    else {
        tracing::warn!(
            "another `miner run` holds {}; this run does nothing",
            lock_path.display()
        );
        return Ok(());
    };
    if let Some(playlists) = args.synth_if_empty {
        synth_if_empty(&args, playlists)?;
    }
    let datasets = rotate::list_datasets(&args.datasets, &args.glob)
        .with_context(|| format!("listing {}", args.datasets.display()))?;
    if datasets.is_empty() {
        bail!(
            "no dataset in {} matches {:?}",
            args.datasets.display(),
            args.glob
        );
    }
    let history_path = args
        .history
        .clone()
        .unwrap_or_else(|| out.join("history.csv"));
    let (history, malformed) = rotate::read_history(&history_path)
        .with_context(|| format!("reading {}", history_path.display()))?;
    for line in &malformed {
        tracing::warn!("ignoring a malformed history line: {line}");
    }
    let index = rotate::next_dataset(&datasets, &history);
    let dataset = &datasets[index];
    tracing::info!(index, dataset = %dataset.display(), "mining the next dataset");
    let time = now_rfc3339();
    let summary = mine_and_publish(
        std::slice::from_ref(dataset),
        &args.settings.pipeline(),
        time.clone(),
    )
    .with_context(|| {
        format!(
            "mining {} (nothing was published; the previous model stays current)",
            dataset.display()
        )
    })?;
    let entry = rotate::HistoryEntry {
        time,
        dataset_index: index,
        dataset_file: dataset
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    rotate::append_history(&history_path, &entry)
        .with_context(|| format!("appending to {}", history_path.display()))?;
    print_summary(&summary);
    println!(
        "dataset {} of {}: {}",
        index + 1,
        datasets.len(),
        entry.dataset_file
    );
    Ok(())
}

/// `run --synth-if-empty N`: writes N synthetic playlists into the datasets directory when
/// no file there matches the glob, in the format the glob's extension names (or --format).
fn synth_if_empty(args: &RunArgs, playlists: usize) -> Result<()> {
    let dir = &args.datasets;
    let listed = match rotate::list_datasets(dir, &args.glob) {
        Ok(found) => found,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
    };
    if !listed.is_empty() {
        return Ok(());
    }
    let name = rotate::synth_file_name(&args.glob);
    let format = match args.settings.read.format {
        Format::Auto => miner::dataset::detect(std::path::Path::new(&name)).with_context(|| {
            format!(
                "--synth-if-empty: cannot tell a format from --glob {:?}; set --format",
                args.glob
            )
        })?,
        format => format,
    };
    if name.to_ascii_lowercase().ends_with(".gz") {
        bail!(
            "--synth-if-empty writes uncompressed files, which --glob {:?} would not match",
            args.glob
        );
    }
    // MPD slices are a directory's worth of files with their own names; the others one file.
    let target = match format {
        Format::Mpd => dir.clone(),
        _ => dir.join(&name),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let options = miner::synth::SynthOptions { playlists, seed: 1 };
    let summary = miner::synth::write(&options, format, &target)
        .with_context(|| format!("writing synthetic playlists to {}", target.display()))?;
    tracing::info!(
        playlists = summary.playlists,
        rows = summary.rows,
        %format,
        path = %target.display(),
        "no dataset matched {:?}: wrote synthetic playlists (--synth-if-empty)",
        args.glob
    );
    Ok(())
}

/// One line on what was read, for the commands that read before their own work.
fn print_read(data: &miner::dataset::Dataset, start: Instant) {
    println!(
        "read {} playlists ({} rows, {} tracks) in {:.2?}",
        data.transactions.len(),
        data.rows,
        data.tracks.len(),
        start.elapsed()
    );
}

fn print_summary(s: &RunSummary) {
    let r = &s.report;
    if s.skipped.0 > 0 {
        println!(
            "skipped {} malformed rows (--skip-invalid); first reasons:",
            s.skipped.0
        );
        for reason in &s.skipped.1 {
            println!("  {reason}");
        }
    }
    println!(
        "published {} ({} bytes)",
        s.published.path.display(),
        s.blob_bytes
    );
    println!(
        "playlists {}  rows {}  tracks {}  min count {}",
        r.playlists, r.rows, r.tracks, r.min_count
    );
    let sizes: Vec<String> = r
        .itemsets_by_len
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{}: {n}", i + 1))
        .collect();
    println!("frequent itemsets by size  {}", sizes.join("  "));
    println!(
        "rules {}  tracks with a rule {:.2}%",
        r.rules,
        r.tracks_with_rule * 100.0
    );
    println!(
        "time: read {:.2?}  mine {:.2?}  rules+model {:.2?}  publish {:.2?}  total {:.2?}",
        s.read_time, r.mine_time, r.rules_time, s.publish_time, s.total_time
    );
    if let Some(bytes) = s.peak_rss {
        println!("peak memory {:.2} GB", bytes as f64 / 1e9);
    }
}

fn sweep_cmd(args: SweepArgs) -> Result<()> {
    let options = miner::sweep::SweepOptions {
        mine: args.rules.options(),
        supports: args.supports,
        test_fraction: args.test_fraction,
        seed: args.seed,
    };
    options.validate()?;
    let files = miner::dataset::list_files(&args.input.paths)?;
    let start = Instant::now();
    let read_options = args.read.options();
    // Quality seeds with a playlist's first tracks: keep the reading order then.
    let request = ReadRequest {
        keep_order: args.test_fraction > 0.0,
        ..ReadRequest::from(read_options)
    };
    let data = miner::dataset::read(&files, request).context("reading the input")?;
    print_read(&data, start);
    if args.test_fraction > 0.0 {
        println!(
            "holding out {}% of the playlists (seed {}) to measure quality; mining the rest",
            args.test_fraction * 100.0,
            args.seed
        );
    }
    let rows = miner::sweep::sweep(&data, &options).context("mining")?;
    print!("{}", rows.markdown());
    println!("{}", report::write(&args.report, rows.as_slice())?);
    Ok(())
}

fn evaluate_cmd(args: EvaluateArgs) -> Result<()> {
    let options = miner::evaluate::EvalOptions {
        test_fraction: args.test_fraction,
        seed: args.seed,
        mine: args.mining.options(),
        rankers: miner::evaluate::Ranker::all(),
        shapes: miner::evaluate::Shape::CHALLENGE.to_vec(),
    };
    options.validate()?;
    let files = miner::dataset::list_files(&args.input.paths)?;
    let start = Instant::now();
    let request = ReadRequest {
        options: args.read.options(),
        keep_order: true,
        progress: None,
    };
    let data = miner::dataset::read(&files, request).context("reading the input")?;
    print_read(&data, start);
    let evaluation = miner::evaluate::evaluate(&data, &options).context("evaluating")?;
    print!("{}", evaluation.markdown());
    println!(
        "mined train in {:.2}s, ranked and scored in {:.2}s",
        evaluation.mine_seconds, evaluation.rank_seconds
    );
    println!("{}", report::write(&args.report, &evaluation)?);
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
    let inspection = miner::inspect::inspect(&args.path, args.top)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&inspection)?);
    } else {
        print!("{inspection}");
    }
    Ok(())
}
