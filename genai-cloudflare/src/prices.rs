//! The built-in price of each model, the one place the library reads a price from when the
//! live catalog has not been consulted: US dollars per catalog unit, as the Workers AI
//! catalog lists them. Once the client has listed the live catalog
//! ([`Provider::list_models`](genai_core::Provider::list_models)), its `price` property
//! overrides these; a price given to the builder overrides both.

use genai_core::Price;

/// `(model, [(catalog unit, USD)])`, sorted by model id.
const PRICES: &[(&str, &[(&str, f64)])] = &[
    (
        "@cf/ai4bharat/indictrans2-en-indic-1B",
        &[
            ("per M input tokens", 0.342),
            ("per M output tokens", 0.342),
        ],
    ),
    (
        "@cf/aisingapore/gemma-sea-lion-v4-27b-it",
        &[
            ("per M input tokens", 0.351),
            ("per M output tokens", 0.555),
        ],
    ),
    (
        "@cf/baai/bge-base-en-v1.5",
        &[("per M input tokens", 0.0666)],
    ),
    (
        "@cf/baai/bge-large-en-v1.5",
        &[("per M input tokens", 0.204)],
    ),
    ("@cf/baai/bge-m3", &[("per M input tokens", 0.0118)]),
    (
        "@cf/baai/bge-reranker-base",
        &[("per M input tokens", 0.00311)],
    ),
    (
        "@cf/baai/bge-small-en-v1.5",
        &[("per M input tokens", 0.0202)],
    ),
    (
        "@cf/bytedance/stable-diffusion-xl-lightning",
        &[("per step", 0.0)],
    ),
    ("@cf/deepgram/aura-1", &[("per 1k characters", 0.015)]),
    ("@cf/deepgram/aura-2-en", &[("per 1k characters", 0.03)]),
    ("@cf/deepgram/aura-2-es", &[("per 1k characters", 0.03)]),
    (
        "@cf/deepgram/flux",
        &[("per audio minute (websocket)", 0.0077)],
    ),
    (
        "@cf/deepgram/nova-3",
        &[
            ("per audio minute", 0.0052),
            ("per audio minute (websocket)", 0.0092),
        ],
    ),
    (
        "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b",
        &[
            ("per M input tokens", 0.497),
            ("per M output tokens", 4.881),
        ],
    ),
    (
        "@cf/deepseek-ai/deepseek-v4-flash-0731",
        &[
            ("per M input tokens", 0.44),
            ("per M output tokens", 1.32),
            ("per M cached input tokens", 0.014),
        ],
    ),
    (
        "@cf/deepseek-ai/deepseek-v4-pro-0813",
        &[
            ("per M input tokens", 1.32),
            ("per M output tokens", 3.96),
            ("per M cached input tokens", 0.044),
        ],
    ),
    (
        "@cf/google/gemma-4-26b-a4b-it",
        &[("per M input tokens", 0.1), ("per M output tokens", 0.3)],
    ),
    (
        "@cf/huggingface/distilbert-sst-2-int8",
        &[("per M input tokens", 0.0263)],
    ),
    (
        "@cf/ibm-granite/granite-4.0-h-micro",
        &[
            ("per M input tokens", 0.017),
            ("per M output tokens", 0.112),
        ],
    ),
    (
        "@cf/leonardo/lucid-origin",
        &[("per 512 by 512 tile", 0.007), ("per step", 0.000132)],
    ),
    (
        "@cf/leonardo/phoenix-1.0",
        &[("per 512 by 512 tile", 0.00583), ("per step", 0.00011)],
    ),
    (
        "@cf/meta/llama-3.1-8b-instruct-fp8",
        &[
            ("per M input tokens", 0.152),
            ("per M output tokens", 0.287),
        ],
    ),
    (
        "@cf/meta/llama-3.2-11b-vision-instruct",
        &[
            ("per M input tokens", 0.0485),
            ("per M output tokens", 0.676),
        ],
    ),
    (
        "@cf/meta/llama-3.2-1b-instruct",
        &[
            ("per M input tokens", 0.027),
            ("per M output tokens", 0.201),
        ],
    ),
    (
        "@cf/meta/llama-3.2-3b-instruct",
        &[
            ("per M input tokens", 0.0509),
            ("per M output tokens", 0.335),
        ],
    ),
    (
        "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
        &[
            ("per M input tokens", 0.293),
            ("per M output tokens", 2.253),
        ],
    ),
    (
        "@cf/meta/llama-4-scout-17b-16e-instruct",
        &[("per M input tokens", 0.27), ("per M output tokens", 0.85)],
    ),
    (
        "@cf/meta/llama-guard-3-8b",
        &[("per M input tokens", 0.484), ("per M output tokens", 0.03)],
    ),
    (
        "@cf/meta/m2m100-1.2b",
        &[
            ("per M input tokens", 0.342),
            ("per M output tokens", 0.342),
        ],
    ),
    (
        "@cf/microsoft/resnet-50",
        &[("per inference request", 2.51e-06)],
    ),
    (
        "@cf/mistralai/mistral-small-3.1-24b-instruct",
        &[
            ("per M input tokens", 0.351),
            ("per M output tokens", 0.555),
        ],
    ),
    (
        "@cf/moondream/moondream3.1-9B-A2B",
        &[("per M input tokens", 0.3), ("per M output tokens", 1.0)],
    ),
    (
        "@cf/moonshotai/kimi-k2.6",
        &[
            ("per M input tokens", 0.95),
            ("per M output tokens", 4.0),
            ("per M cached input tokens", 0.16),
        ],
    ),
    (
        "@cf/moonshotai/kimi-k2.7-code",
        &[
            ("per M input tokens", 0.95),
            ("per M output tokens", 4.0),
            ("per M cached input tokens", 0.19),
        ],
    ),
    ("@cf/myshell-ai/melotts", &[("per audio minute", 0.000205)]),
    (
        "@cf/nvidia/nemotron-3-120b-a12b",
        &[("per M input tokens", 0.5), ("per M output tokens", 1.5)],
    ),
    (
        "@cf/openai/gpt-oss-120b",
        &[("per M input tokens", 0.35), ("per M output tokens", 0.75)],
    ),
    (
        "@cf/openai/gpt-oss-20b",
        &[("per M input tokens", 0.2), ("per M output tokens", 0.3)],
    ),
    ("@cf/openai/whisper", &[("per audio minute", 0.000453)]),
    (
        "@cf/openai/whisper-large-v3-turbo",
        &[("per audio minute", 0.000513)],
    ),
    (
        "@cf/pfnet/plamo-embedding-1b",
        &[("per M input tokens", 0.0186)],
    ),
    (
        "@cf/pipecat-ai/smart-turn-v2",
        &[("per audio minute", 0.000338)],
    ),
    (
        "@cf/qwen/qwen2.5-coder-32b-instruct",
        &[("per M input tokens", 0.66), ("per M output tokens", 1.0)],
    ),
    (
        "@cf/qwen/qwen3-30b-a3b-fp8",
        &[
            ("per M input tokens", 0.0509),
            ("per M output tokens", 0.335),
        ],
    ),
    (
        "@cf/qwen/qwen3-embedding-0.6b",
        &[("per M input tokens", 0.0118)],
    ),
    (
        "@cf/qwen/qwq-32b",
        &[("per M input tokens", 0.66), ("per M output tokens", 1.0)],
    ),
    (
        "@cf/runwayml/stable-diffusion-v1-5-img2img",
        &[("per step", 0.0)],
    ),
    (
        "@cf/runwayml/stable-diffusion-v1-5-inpainting",
        &[("per step", 0.0)],
    ),
    (
        "@cf/stabilityai/stable-diffusion-xl-base-1.0",
        &[("per step", 0.0)],
    ),
    (
        "@cf/zai-org/glm-4.7-flash",
        &[("per M input tokens", 0.0605), ("per M output tokens", 0.4)],
    ),
    (
        "@cf/zai-org/glm-5.2",
        &[
            ("per M input tokens", 1.4),
            ("per M output tokens", 4.4),
            ("per M cached input tokens", 0.26),
        ],
    ),
];

/// The built-in price of `model`, when the library knows it.
///
/// ```ignore
/// let p = built_in_price("@cf/meta/llama-3.3-70b-instruct-fp8-fast").unwrap();
/// ```
pub(crate) fn built_in_price(model: &str) -> Option<Price> {
    let model = model.trim().trim_start_matches('/');
    let i = PRICES.binary_search_by(|(id, _)| id.cmp(&model)).ok()?;
    let (price, _) = Price::from_catalog(PRICES[i].1.iter().copied());
    (!price.is_empty()).then_some(price)
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::PriceUnit;

    #[test]
    fn the_table_is_sorted_and_every_unit_is_known() {
        assert!(PRICES.windows(2).all(|w| w[0].0 < w[1].0));
        for (model, pairs) in PRICES {
            let (_, unknown) = Price::from_catalog(pairs.iter().copied());
            assert!(unknown.is_empty(), "{model}: {unknown:?}");
        }
        let p = built_in_price("@cf/meta/llama-3.3-70b-instruct-fp8-fast").unwrap();
        assert_eq!(p.get(PriceUnit::OutputTokensPerM), Some(2.253));
        assert!(built_in_price("@cf/nobody/nothing").is_none());
    }
}
