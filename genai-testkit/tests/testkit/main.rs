//! The testkit itself: the scripted fake and the conformance suite, the scoreboard, the
//! emulator, the cassette format and the replay server, and the module graph of every crate.
//! Each module is built with the features it needs, so `--no-default-features` still runs the
//! ones that need none.

#[path = "../support/mod.rs"]
mod support;

// The conformance suite and the scoreboard over the fake and a backend of one's own.
#[cfg(feature = "emulator")]
mod backend_walkthrough;
mod fake;
mod scoreboard_backend;
#[cfg(feature = "cli")]
mod scoreboard_reference;

// The emulator.
#[cfg(feature = "emulator")]
mod emulator_fidelity;
#[cfg(feature = "emulator")]
mod emulator_soak;

// Cassettes, the replay server and the recording proxy.
#[cfg(feature = "cli")]
mod cassette_media;
#[cfg(feature = "replay")]
mod replay_server;

// The one-way layering of every crate.
mod module_graph;
