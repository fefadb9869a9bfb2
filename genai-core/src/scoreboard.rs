//! Scoreboard data model: what the conformance suite measured, per model and mode.
