//! The `fnas` command line: parses flags, calls the library, prints results.

mod args;
mod bench;
mod search;
mod view;

use anyhow::Result;
use clap::Parser;

pub use args::Cli;
use args::Command;

pub fn run() -> Result<()> {
    match Cli::parse().command {
        Command::Search(a) => search::run(a),
        Command::Log(a) => view::log(a),
        Command::Top(a) => view::top(a),
        Command::Replay(a) => view::replay(a),
        Command::Bench(a) => bench::bench(a),
        Command::Report(a) => bench::report(a),
        Command::Critic(a) => view::critic(a),
    }
}
