//! The built-in price of each model: the `price` column of the model-facts table
//! ([`facts`](crate::facts)), US dollars per catalog unit as the Workers AI catalog lists them.
//! Once the client has listed the live catalog
//! ([`Provider::list_models`](genai_core::Provider::list_models)), its `price` property
//! overrides these; a price given to the builder overrides both.

use genai_core::Price;

use crate::facts;

/// The built-in price of `model`, when the library knows it.
///
/// ```ignore
/// let p = built_in_price("@cf/meta/llama-3.3-70b-instruct-fp8-fast").unwrap();
/// ```
pub(crate) fn built_in_price(model: &str) -> Option<Price> {
    let (price, _) = Price::from_catalog(facts::lookup(model)?.price.iter().copied());
    (!price.is_empty()).then_some(price)
}

#[cfg(test)]
mod tests {
    use super::*;
    use genai_core::PriceUnit;

    #[test]
    fn every_price_unit_of_the_facts_table_is_known() {
        let mut priced = 0;
        for m in facts::all() {
            let (_, unknown) = Price::from_catalog(m.price.iter().copied());
            assert!(unknown.is_empty(), "{}: {unknown:?}", m.id);
            priced += usize::from(!m.price.is_empty());
        }
        assert!(priced >= 50, "{priced} priced models");
        let p = built_in_price("@cf/meta/llama-3.3-70b-instruct-fp8-fast").unwrap();
        assert_eq!(p.get(PriceUnit::OutputTokensPerM), Some(2.253));
        assert_eq!(
            built_in_price("/@cf/baai/bge-small-en-v1.5")
                .and_then(|p| p.get(PriceUnit::InputTokensPerM)),
            Some(0.0202)
        );
        assert!(built_in_price("@cf/nobody/nothing").is_none());
    }
}
