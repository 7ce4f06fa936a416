//! The `fnas` command line: parses flags, calls the library, prints results.

mod args;
mod bench;
mod lifelong;
mod pool;
mod search;
mod view;

use anyhow::Result;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

pub use args::Cli;
use args::Command;

pub fn run() -> Result<()> {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches)?;
    match cli.command {
        Command::Search(a) => search::run(a, given_flags(&matches, "search")),
        Command::Log(a) => view::log(a),
        Command::Top(a) => view::top(a),
        Command::Replay(a) if a.into.is_some() => lifelong::replay_into(a),
        Command::Replay(a) => view::replay(a),
        Command::Bench(a) => bench::bench(a),
        Command::Report(a) => bench::report(a),
        Command::Critic(a) => view::critic(a),
        Command::Pool(a) => pool::run(a),
        Command::Export(a) => lifelong::export(a),
        Command::Import(a) => lifelong::import(a),
        Command::Tasks(a) => lifelong::tasks(a),
    }
}

/// The flags of a subcommand that the user typed (not defaults), e.g. to refuse ones a
/// resumed search would otherwise ignore.
fn given_flags(matches: &ArgMatches, sub: &str) -> Vec<String> {
    let Some(m) = matches.subcommand_matches(sub) else {
        return Vec::new();
    };
    // Flattened argument groups (`StoreArg`) have ids too; only flags start lowercase.
    m.ids()
        .filter(|id| id.as_str().starts_with(|c: char| c.is_ascii_lowercase()))
        .filter(|id| m.value_source(id.as_str()) == Some(ValueSource::CommandLine))
        .map(|id| id.as_str().replace('_', "-"))
        .collect()
}
