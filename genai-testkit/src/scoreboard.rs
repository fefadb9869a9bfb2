//! scoreboard (in progress).
