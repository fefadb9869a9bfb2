//! What a scenario shows, for every kind: an [`Outcome`] (pass, fail or error) and a named
//! [`Check`] that carries it.

use genai_core::Error;

/// What one run of a scenario showed.
#[derive(Debug)]
pub enum Outcome {
    /// The capability worked.
    Pass {
        /// What was seen (e.g. the picked colours), for the note.
        detail: String,
    },
    /// The call went through but the reply does not show the capability.
    Fail {
        /// Why.
        reason: String,
    },
    /// A call failed with an error.
    Error(Error),
}

/// One named check of a scenario and what it showed.
#[derive(Debug)]
#[non_exhaustive]
pub struct Check {
    /// The check, e.g. `embed-similarity`.
    pub name: &'static str,
    /// Pass, fail (with the reason) or error.
    pub outcome: Outcome,
}

impl Check {
    /// A check named `name` that showed `outcome`.
    pub fn new(name: &'static str, outcome: Outcome) -> Self {
        Check { name, outcome }
    }

    /// Whether the check passed.
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Pass { .. })
    }
}

/// A passing outcome with what was seen.
pub(crate) fn pass(detail: impl Into<String>) -> Outcome {
    Outcome::Pass {
        detail: detail.into(),
    }
}

/// A failing outcome with its reason.
pub(crate) fn fail(reason: impl Into<String>) -> Outcome {
    Outcome::Fail {
        reason: reason.into(),
    }
}

/// The same failure again, for the other checks that one failed call decides.
pub(crate) fn copy(e: &Error) -> Error {
    Error::new(e.kind(), e.message().to_owned())
}

/// The outcome of a call: `judge`'s verdict on its result, or the error.
pub(crate) fn judged<T>(result: Result<T, Error>, judge: impl FnOnce(T) -> Outcome) -> Outcome {
    match result {
        Ok(v) => judge(v),
        Err(e) => Outcome::Error(e),
    }
}
