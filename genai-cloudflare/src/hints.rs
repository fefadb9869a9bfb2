//! Advice added to the errors a newcomer meets first: a model id that is probably mistyped
//! (`did you mean ...?`), an API root without `/client/v4`, a refused token (naming the
//! variable it came from). Pure functions over what the transport knows; no I/O.

use genai_core::{Error, ErrorKind, ModelKind};

/// What the transport knows that explains its failures.
#[derive(Debug, Clone)]
pub(crate) struct Hints {
    /// The API root requests go under (without a trailing `/`).
    pub(crate) api_root: String,
    /// Whether run requests go through an AI Gateway (whose URLs have another shape).
    pub(crate) on_gateway: bool,
    /// The environment variable the token was read from, when it was.
    pub(crate) token_var: Option<&'static str>,
    /// The model ids the library knows by name.
    pub(crate) known_models: fn() -> Vec<&'static str>,
    /// The kind of a known id.
    pub(crate) kind_of: fn(&str) -> ModelKind,
}

/// The path every Workers AI API root ends with.
const API_PATH: &str = "/client/v4";

impl Hints {
    /// `err` with advice added when the library can tell what probably went wrong. `model` is
    /// the model the request was for, if any.
    pub(crate) fn explain(&self, err: Error, model: Option<&str>) -> Error {
        match err.kind() {
            ErrorKind::Unauthenticated => {
                let hint = match self.token_var {
                    Some(var) => format!(
                        "the token in {var} was refused: check that it is an API token of this \
                         account with Workers AI permissions"
                    ),
                    None => "the API token was refused: check that it is an API token of this \
                             account with Workers AI permissions"
                        .to_owned(),
                };
                err.with_hint(hint)
            }
            ErrorKind::NotFound if !self.on_gateway && !self.root_looks_right() => {
                err.with_hint(format!(
                    "the API root `{}` does not end in {API_PATH}; it is usually \
                     https://api.cloudflare.com{API_PATH} (or http://HOST:PORT{API_PATH} for the \
                     local emulator)",
                    self.api_root
                ))
            }
            ErrorKind::NotFound | ErrorKind::InvalidRequest => {
                match model.and_then(|m| self.suggest(m)) {
                    Some(id) => err.with_hint(format!("did you mean `{id}`?")),
                    None => err,
                }
            }
            _ => err,
        }
    }

    /// Whether the API root's path ends in `/client/v4`.
    fn root_looks_right(&self) -> bool {
        reqwest::Url::parse(&self.api_root)
            .map(|u| u.path().trim_end_matches('/').ends_with(API_PATH))
            .unwrap_or(true)
    }

    /// The known ids of `kind`, in table order.
    pub(crate) fn known_of(&self, kind: ModelKind) -> Vec<&'static str> {
        (self.known_models)()
            .into_iter()
            .filter(|id| (self.kind_of)(id) == kind)
            .collect()
    }

    /// The known id closest to `model` when `model` itself is not known.
    pub(crate) fn suggest(&self, model: &str) -> Option<&'static str> {
        closest(model, &(self.known_models)())
    }
}

/// The id of `known` that `id` is probably a typo of: `None` when `id` is known itself or no
/// id is close. A known id that only adds a suffix to `id`, or that `id` ends without its
/// `@cf/owner/` prefix, is taken; otherwise the closest id within a few edits (about one in
/// twelve characters, at least two) wins.
///
/// ```ignore
/// closest("@cf/meta/llama-3.3-70b-instruct-fp8-fsat", KNOWN) // the -fast one
/// ```
pub(crate) fn closest(id: &str, known: &[&'static str]) -> Option<&'static str> {
    let id = id.trim().trim_start_matches('/').to_ascii_lowercase();
    if id.is_empty() || known.iter().any(|k| k.eq_ignore_ascii_case(&id)) {
        return None;
    }
    // A known id that only adds a suffix (`-fp8-fast`) to what was typed.
    if let Some(k) = known
        .iter()
        .filter(|k| k.to_ascii_lowercase().starts_with(&format!("{id}-")))
        .min_by_key(|k| k.len())
    {
        return Some(k);
    }
    if !id.contains('/') {
        if let Some(k) = known
            .iter()
            .find(|k| k.to_ascii_lowercase().ends_with(&format!("/{id}")))
        {
            return Some(k);
        }
    }
    let budget = (id.chars().count() / 12).clamp(2, 4);
    known
        .iter()
        .map(|k| (edits(&id, &k.to_ascii_lowercase()), *k))
        .filter(|(d, _)| *d <= budget)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// two neighbours, one edit each.
fn edits(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    rows[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &[
        "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
        "@cf/meta/llama-3.1-8b-instruct",
        "@cf/baai/bge-base-en-v1.5",
        "@cf/baai/bge-m3",
    ];

    fn known() -> Vec<&'static str> {
        KNOWN.to_vec()
    }

    fn hints(root: &str) -> Hints {
        Hints {
            api_root: root.to_owned(),
            on_gateway: false,
            token_var: Some("CLOUDFLARE_API_TOKEN"),
            known_models: known,
            kind_of: |id| {
                if id.contains("bge") {
                    ModelKind::Embedding
                } else {
                    ModelKind::Chat
                }
            },
        }
    }

    #[test]
    fn typos_get_the_closest_known_id() {
        let c = |id| closest(id, KNOWN);
        assert_eq!(
            c("@cf/meta/llama-3.3-70b-instruct-fp8-fsat"),
            Some(KNOWN[0])
        );
        assert_eq!(
            c("@cf/meta/llama-3.3-70b-instruct"),
            Some(KNOWN[0]),
            "a suffix left out"
        );
        assert_eq!(c("@cf/meta/llama-2-7b-chat-fp16"), None, "too far from all");
        assert_eq!(
            c("llama-3.1-8b-instruct"),
            Some(KNOWN[1]),
            "prefix left out"
        );
        assert_eq!(c("@cf/baai/bge-base-en-v1-5"), Some(KNOWN[2]));
        assert_eq!(c("@CF/BAAI/BGE-M3"), None, "known, whatever the case");
        assert_eq!(c("@cf/someone/new-model"), None);
        assert_eq!(edits("fsat", "fast"), 1);
        assert_eq!(edits("", "abc"), 3);
    }

    #[test]
    fn not_found_explains_the_root_then_the_model() {
        let no_route = || Error::new(ErrorKind::NotFound, "No route for that URI").with_code(7000);
        let typo = "@cf/meta/llama-3.3-70b-instruct-fp8-fsat";
        let e = hints("http://127.0.0.1:8787").explain(no_route(), Some(typo));
        assert!(e.message().contains("does not end in /client/v4"), "{e}");
        assert_eq!(e.code(), Some(7000));
        let e = hints("http://127.0.0.1:8787/client/v4").explain(no_route(), Some(typo));
        assert!(
            e.message()
                .ends_with(&format!("(did you mean `{}`?)", KNOWN[0])),
            "{e}"
        );
        let e = hints("https://api.cloudflare.com/client/v4").explain(no_route(), Some(KNOWN[1]));
        assert_eq!(e.message(), "No route for that URI");
    }

    #[test]
    fn a_refused_token_names_its_variable() {
        let e = Error::new(ErrorKind::Unauthenticated, "Authentication error");
        let e = hints("https://api.cloudflare.com/client/v4").explain(e, None);
        assert!(e
            .message()
            .contains("the token in CLOUDFLARE_API_TOKEN was refused"));
        let mut given = hints("https://api.cloudflare.com/client/v4");
        given.token_var = None;
        let e = given.explain(Error::new(ErrorKind::Unauthenticated, "x"), None);
        assert!(e.message().contains("the API token was refused"));
    }

    #[test]
    fn known_ids_of_a_kind_keep_the_table_order() {
        let h = hints("https://api.cloudflare.com/client/v4");
        assert_eq!(h.known_of(ModelKind::Embedding), &KNOWN[2..]);
        assert_eq!(h.known_of(ModelKind::Chat), &KNOWN[..2]);
    }
}
