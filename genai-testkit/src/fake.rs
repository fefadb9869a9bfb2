//! fake (in progress).
