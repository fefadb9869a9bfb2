//! `genai scoreboard` and `genai serve`.

use clap::Args;

/// Flags of `genai scoreboard`.
#[derive(Args, Debug)]
pub(crate) struct ScoreboardArgs {}

/// Flags of `genai serve`.
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {}

pub(crate) async fn run(_args: ScoreboardArgs) -> genai_core::Result<()> {
    Err(genai_core::Error::unsupported(
        "scoreboard: wired up with the testkit",
    ))
}

pub(crate) async fn serve(_args: ServeArgs) -> genai_core::Result<()> {
    Err(genai_core::Error::unsupported(
        "serve: wired up with the testkit",
    ))
}
