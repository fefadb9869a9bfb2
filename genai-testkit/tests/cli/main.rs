//! The `genai` binary end to end: each test runs the built binary against the emulator or a
//! scripted loopback server and reads what it printed (its `--format json` lines, files, exit
//! codes).

#[path = "../support/mod.rs"]
mod support;

mod audio;
mod batch_resume;
mod chat_options;
mod documents_fallback;
mod edges;
mod faults;
mod first_hour;
mod hostile;
mod scoreboard;
