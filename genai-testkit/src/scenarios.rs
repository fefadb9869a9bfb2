//! scenarios (in progress).
