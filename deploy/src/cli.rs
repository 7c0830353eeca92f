//! A container's configuration as the command line it amounts to, parsed by the binaries'
//! real clap definitions.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{ArgAction, Parser};

fn is_truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
}

/// The command line a container amounts to: `binary args...` followed by one flag per SEGUE_*
/// variable (image ENV, overridden by envFrom ConfigMaps, overridden by env); panics on a
/// variable that the binary (or the subcommand it runs) does not read.
pub fn argv(binary: &str, args: &[String], env: &[(String, String)], what: &str) -> Vec<String> {
    let mut command = match binary {
        "server" => server::Config::command(),
        "miner" => miner::cli::command(),
        other => panic!("{what}: unknown binary {other}"),
    };
    command.build();
    let sub = args
        .first()
        .and_then(|a| command.find_subcommand(a))
        .cloned();
    let mut by_env: BTreeMap<String, clap::Arg> = BTreeMap::new();
    for arg in command
        .get_arguments()
        .chain(sub.iter().flat_map(|s| s.get_arguments()))
    {
        if let Some(name) = arg.get_env() {
            by_env.insert(name.to_string_lossy().into_owned(), arg.clone());
        }
    }
    let mut effective: BTreeMap<&str, &str> = BTreeMap::new();
    for (k, v) in env {
        effective.insert(k, v);
    }
    let mut out = vec![binary.to_owned()];
    out.extend(args.iter().cloned());
    for (name, value) in effective {
        assert!(
            name.starts_with("SEGUE_"),
            "{what}: {name} is not a SEGUE_* variable"
        );
        let scope = sub
            .as_ref()
            .map_or(binary.to_owned(), |s| format!("{binary} {}", s.get_name()));
        let arg = by_env
            .get(name)
            .unwrap_or_else(|| panic!("{what}: `{scope}` reads no {name}"));
        let long = format!("--{}", arg.get_long().expect("a long flag"));
        if args
            .iter()
            .any(|a| a == &long || a.starts_with(&format!("{long}=")))
        {
            continue; // a flag on the command line wins over the variable
        }
        match arg.get_action() {
            ArgAction::SetTrue if is_truthy(value) => out.push(long),
            ArgAction::SetTrue => {}
            _ => out.push(format!("{long}={value}")),
        }
    }
    out
}

/// What the deployment checks need from one parsed container.
#[derive(Debug)]
pub struct Parsed {
    /// Where the container reads or writes models.
    pub model_dir: PathBuf,
    /// The model store's URL, when set (it replaces the model directory).
    pub store: Option<String>,
    /// The server's configuration, for a server container.
    pub server: Option<server::Config>,
}

/// Parses `argv` with the real definitions of `binary` (`server` or `miner`).
pub fn parse(binary: &str, argv: &[String], what: &str) -> Parsed {
    match binary {
        "server" => {
            let config = server::Config::try_parse_from(argv)
                .unwrap_or_else(|e| panic!("{what}: {argv:?}: {e}"));
            Parsed {
                model_dir: config.model_dir.clone(),
                store: config.store.clone(),
                server: Some(config),
            }
        }
        _ => {
            let cli = miner::cli::Cli::try_parse_from(argv)
                .unwrap_or_else(|e| panic!("{what}: {argv:?}: {e}"));
            let store = match cli.command {
                miner::cli::Command::Run(a) => a.settings.store,
                miner::cli::Command::Mine(a) => a.settings.store,
                miner::cli::Command::Import(a) => a.store,
                other => panic!("{what}: the miner runs {other:?}, expected run, mine or import"),
            };
            Parsed {
                model_dir: store.out,
                store: store.store,
                server: None,
            }
        }
    }
}
