//! `miner`: playlist datasets in, a published rule blob out. See `miner --help`.
//!
//! Dispatch only: the command line (`cli`), logging, then each subcommand's job in the library,
//! whose result is printed here.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use miner::cli::{Cli, Command, EvaluateArgs, LogFormat, SweepArgs, SynthArgs};
use miner::dataset::{Dataset, Format, ReadRequest};
use miner::import::Imported;
use miner::pipeline::{mine_and_publish, now_rfc3339};
use miner::report::{self, Report};

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
        Command::Mine(args) => {
            let json = args.settings.json;
            let summary =
                mine_and_publish(&args.input.paths, &args.settings.pipeline(), now_rfc3339())
                    .inspect_err(|e| print_refusal(e.refusal(), json))
                    .context("nothing was published; the previous model, if any, stays current")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                print!("{summary}");
            }
        }
        Command::Run(args) => {
            let json = args.settings.json;
            let outcome = miner::run::run(&args.options()).inspect_err(|e| {
                if let miner::run::RunError::Mine { source, .. } = e {
                    print_refusal(source.refusal(), json);
                }
            })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&outcome)?);
            } else {
                print!("{outcome}");
            }
        }
        Command::Import(args) => {
            let source = miner::import::open_output(&args.from)
                .context("nothing was published; the previous model, if any, stays current")?;
            let imported =
                miner::import::import_and_publish(source.as_ref(), &args.options(), now_rfc3339())
                    .inspect_err(|e| print_refusal(e.refusal(), false))
                    .context("nothing was published; the previous model, if any, stays current")?;
            match imported {
                Imported::Published(summary) => print!("{summary}"),
                Imported::Skipped { model_id, identity } => println!(
                    "skipped: the current model {model_id} already comes from {} (output {identity})",
                    source.describe()
                ),
            }
        }
        Command::Inspect(args) => {
            let inspection = miner::inspect::inspect(&args.path, args.top)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&inspection)?);
            } else {
                print!("{inspection}");
            }
        }
        Command::Models(args) => {
            let list = miner::models::list(&args.store.location())?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print!("{list}");
            }
        }
        Command::Rollback(args) => {
            let location = args.store.location();
            miner::models::rollback(&location, &args.id)
                .with_context(|| format!("rolling back to {}; nothing was changed", args.id))?;
            println!("current is now {} in {location}", args.id);
        }
        Command::Sweep(args) => sweep(args)?,
        Command::Synth(args) => synth(args)?,
        Command::Evaluate(args) => evaluate(args)?,
    }
    Ok(())
}

/// With `--json`, a refusal's comparison on stdout (the error itself goes to stderr).
fn print_refusal(check: Option<&miner::guard::Check>, json: bool) {
    if let (Some(check), true) = (check, json) {
        match serde_json::to_string_pretty(&serde_json::json!({ "refused": check })) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: printing the refusal as JSON: {e}"),
        }
    }
}

fn sweep(args: SweepArgs) -> Result<()> {
    let options = args.options();
    options.validate()?;
    // Quality seeds with a playlist's first tracks: keep the reading order then.
    let request = ReadRequest {
        keep_order: options.test_fraction > 0.0,
        ..ReadRequest::from(args.read.options())
    };
    let data = read(&args.input.paths, request)?;
    if options.test_fraction > 0.0 {
        println!(
            "holding out {}% of the playlists (seed {}) to measure quality; mining the rest",
            options.test_fraction * 100.0,
            options.seed
        );
    }
    let rows = miner::sweep::sweep(&data, &options).context("mining")?;
    print!("{}", rows.markdown());
    println!("{}", report::write(&args.report, rows.as_slice())?);
    Ok(())
}

fn evaluate(args: EvaluateArgs) -> Result<()> {
    let options = args.options();
    options.validate()?;
    let request = ReadRequest {
        keep_order: true,
        ..ReadRequest::from(args.read.options())
    };
    let data = read(&args.input.paths, request)?;
    let evaluation = miner::evaluate::evaluate(&data, &options).context("evaluating")?;
    print!("{}", evaluation.markdown());
    println!(
        "mined train in {:.2}s, built item-kNN in {:.2}s, ranked and scored in {:.2}s, \
         resampled in {:.2}s",
        evaluation.mine_seconds,
        evaluation.knn_seconds,
        evaluation.rank_seconds,
        evaluation.bootstrap_seconds
    );
    println!("{}", report::write(&args.report, &evaluation)?);
    Ok(())
}

/// Lists and reads the input, then says what was read (the commands that read before their
/// own work, so that a long read is reported when it ends).
fn read(inputs: &[PathBuf], request: ReadRequest) -> Result<Dataset> {
    let files = miner::dataset::discover(inputs, request.options.format)?.paths();
    let start = Instant::now();
    let data = miner::dataset::read(&files, request).context("reading the input")?;
    println!(
        "read {} playlists ({} rows, {} tracks) in {:.2?}",
        data.transactions.len(),
        data.rows,
        data.tracks.len(),
        start.elapsed()
    );
    Ok(data)
}

fn synth(args: SynthArgs) -> Result<()> {
    if matches!(args.format, Format::Auto | Format::Parquet) {
        bail!(
            "--format {} is for reading; choose csv, mpd or baskets",
            args.format
        );
    }
    let start = Instant::now();
    let options = miner::synth::SynthOptions {
        playlists: args.playlists,
        seed: args.seed,
    };
    let summary = miner::synth::write_profile(&options, args.profile, args.format, &args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "wrote {} playlists ({} rows, catalog of {} tracks, profile {}) as {} to {} in {:.2?}",
        summary.playlists,
        summary.rows,
        summary.catalog,
        args.profile.name,
        args.format,
        args.out.display(),
        start.elapsed()
    );
    if args.stats {
        let stats = miner::synth::Stats::of(&miner::synth::playlists(&options, args.profile));
        println!("{}", serde_json::to_string_pretty(&stats)?);
    }
    Ok(())
}
