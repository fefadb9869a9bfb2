//! The capability scoreboard: what the conformance suite measured, per model and mode, and
//! how it is printed.
//!
//! - The data ([`Scoreboard`], [`ScoreRow`], [`ScenarioResult`], [`Scenario`], [`Verdict`]) is
//!   plain serde data, written by the conformance suite (`genai_testkit::scenarios`) and read by the
//!   renderers. Its JSON form is stable: enums are `snake_case`.
//! - [`render_markdown`] and [`render_json`] print it; [`seed_models`] is the project's seed
//!   list of Cloudflare model ids.
//!
//! Models that are not chat models get a row too ([`ScoreRow::not_chat`]): chat scenarios do
//! not measure them, and the row says so instead of showing failures. See [`ScoreRow::task`]
//! for how task scenarios fill such a row.

mod compare;
mod data;
mod kind_rows;
mod render;
mod run;

pub use compare::*;
pub use data::*;
pub use kind_rows::*;
pub use render::*;
pub use run::*;
