//! `genai rerank`: documents scored against a query, best first.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use genai_core::{Cost, RerankRequest, Result};

use crate::fallback::{call, FallbackArgs, Reranking, ServedFields};
use crate::input::{gather, stdin_text};
use crate::output::json_line;
use crate::{Format, ProviderArgs};

/// Default model of `genai rerank`.
pub(crate) const RERANK_MODEL: &str = "@cf/baai/bge-reranker-base";

/// `genai rerank`.
#[derive(Args, Debug)]
pub(crate) struct RerankArgs {
    /// Documents to score (`-` reads one from standard input).
    documents: Vec<String>,
    #[command(flatten)]
    pub(crate) provider: ProviderArgs,
    #[command(flatten)]
    fallback: FallbackArgs,
    /// What the documents are scored against (`-` reads it from standard input).
    #[arg(long)]
    query: String,
    /// A file of documents, one per line (after the DOC arguments); `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Keep only the best N.
    #[arg(long, value_name = "N")]
    top_k: Option<usize>,
}

#[derive(serde::Serialize)]
struct RerankLine<'a> {
    model: &'a str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    served: Option<ServedFields<'a>>,
    results: Vec<ScoreLine>,
    cost: Option<Cost>,
}

#[derive(serde::Serialize)]
struct ScoreLine {
    index: usize,
    score: f32,
}

pub(crate) async fn rerank(args: RerankArgs) -> Result<()> {
    let (answer, req) = call::<Reranking>(&args.provider, &args.fallback, RERANK_MODEL, || {
        let query = if args.query == "-" {
            stdin_text()?
        } else {
            args.query.clone()
        };
        let documents = gather(&args.documents, args.input.as_deref())?;
        let mut req = RerankRequest::new(query, documents);
        req.top_k = args.top_k;
        Ok(req)
    })
    .await?;
    let out = &answer.value;
    let (model, served) = answer.served(answer.model(), args.provider.format);
    match args.provider.format {
        Format::Json => json_line(&RerankLine {
            model,
            served,
            results: out
                .results
                .iter()
                .map(|r| ScoreLine {
                    index: r.index,
                    score: r.score,
                })
                .collect(),
            cost: out.cost,
        }),
        Format::Text => {
            let mut out_lines = std::io::stdout().lock();
            for r in &out.results {
                let doc = req.documents.get(r.index).map_or("", String::as_str);
                crate::output::note_stdout(writeln!(
                    out_lines,
                    "{}\t{}\t{}",
                    r.score, r.index, doc
                ));
            }
        }
    }
    Ok(())
}
