//! cassette (in progress).
