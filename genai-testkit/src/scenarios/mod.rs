//! Conformance scenarios, written once and run against any backend: one file per kind.
//!
//! **Chat.** Each scenario is a plain async function over `&dyn ProviderGen` and a [`Mode`]
//! that sends the shared conformance prompts and judges one capability. [`run_suite`] picks
//! what to expect from the provider's declared
//! [`capabilities`](genai_core::ProviderGen::capabilities):
//!
//! - declared unsupported: one call, which must be refused with [`ErrorKind::Unsupported`]; a
//!   call that goes through anyway is a [`Verdict::Finding`], never hidden;
//! - declared supported or flaky: [`SuiteConfig::runs`] runs; all pass → supported, some →
//!   flaky, none → failed (with the last reason in the note).
//!
//! `usage`, `finish_reason` and `rate_limits` are judged on the replies of the other scenarios
//! of the same mode. In stream mode, events must be well ordered (one `Finish`, last; complete
//! tool calls). Calls are sequential and each is bounded by [`SuiteConfig::call_timeout`].
//!
//! ```
//! use genai_core::{Mode, ProviderGen};
//! use genai_testkit::scoreboard::{Scenario, Verdict};
//! use genai_testkit::fake::ScriptedChat;
//! use genai_testkit::scenarios::{run_suite, SuiteConfig};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let provider: Box<dyn ProviderGen> = Box::new(ScriptedChat::new("fake/model"));
//! let rows = run_suite(provider.as_ref(), &SuiteConfig::default()).await;
//! assert_eq!(rows.len(), 2); // sync and stream
//! assert_eq!(rows[1].mode, Mode::Stream);
//! assert_eq!(rows[0].verdict(Scenario::Tools), Some(Verdict::Supported));
//! # });
//! ```
//!
//! Every chat scenario shares a [`Ctx`] (provider, mode, per-call limit) and returns a
//! [`Probe`] (an [`Outcome`] and the replies received); [`run_scenario`] turns probes into a
//! [`ScenarioResult`](crate::scoreboard::ScenarioResult).
//!
//! **Every other kind.** `run_<kind>_scenarios` takes the kind's trait object (an
//! [`EmbeddingModel`](genai_core::EmbeddingModel), a [`SpeechModel`](genai_core::SpeechModel)...),
//! makes a few calls and judges what comes back by its meaning (similar texts closer than
//! unrelated ones, the relevant document first, audio that decodes...): each returns its
//! [`Check`]s, so a scoreboard row can say that the task works, is flaky, or fails, and why.
//! [`run_batch_scenarios`] runs a model's kind through the provider's asynchronous queue.
//!
//! | kind | scenarios |
//! |---|---|
//! | chat | [`run_suite`], [`run_agent_scenarios`] (the tool loop), [`run_guard_scenarios`] (a safety classifier) |
//! | embedding | [`run_embedding_scenarios`] |
//! | reranking | [`run_reranking_scenarios`] |
//! | classification | [`run_classification_scenarios`] (text and image) |
//! | translation | [`run_translation_scenarios`] |
//! | summarization | [`run_summarization_scenarios`] |
//! | image | [`run_image_scenarios`] (text to image), [`run_describe_scenarios`] (image to text) |
//! | speech | [`run_speech_scenarios`] |
//! | transcription | [`run_transcription_scenarios`], [`run_round_trip`] (speech then transcription) |
//! | turn | [`run_turn_detection_scenarios`] |
//! | batch | [`run_batch_scenarios`] |
//!
//! [`Mode`]: genai_core::Mode
//! [`ErrorKind::Unsupported`]: genai_core::ErrorKind::Unsupported
//! [`Verdict::Finding`]: crate::scoreboard::Verdict::Finding

mod batch;
mod chat;
pub(crate) mod check;
mod classification;
mod embedding;
mod image;
mod judge;
mod reranking;
mod speech;
mod summarization;
mod transcription;
mod translation;
mod turn;

pub use batch::run_batch_scenarios;
pub use chat::*;
pub use check::{Check, Outcome};
pub use classification::run_classification_scenarios;
pub use embedding::run_embedding_scenarios;
pub use image::{run_describe_scenarios, run_image_scenarios, solid_png};
pub use judge::judge;
pub(crate) use judge::MODEL_CHECK;
pub use reranking::run_reranking_scenarios;
pub use speech::{check_audio, run_speech_scenarios, SPOKEN};
pub use summarization::run_summarization_scenarios;
pub use transcription::{run_round_trip, run_transcription_scenarios};
pub use translation::run_translation_scenarios;
pub use turn::run_turn_detection_scenarios;
