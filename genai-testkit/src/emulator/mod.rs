//! emulator (in progress).
