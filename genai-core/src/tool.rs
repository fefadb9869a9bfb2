//! Tools: what the model may call ([`ToolDef`], [`ToolChoice`]) and what it called
//! ([`ToolCall`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::tool_schema::ArgumentCoercion;

/// A call the model made to one of the declared tools.
///
/// ```
/// use genai_core::ToolCall;
/// let call = ToolCall::new("square_root", serde_json::json!({"number": 132413}));
/// assert_eq!(call.id, None);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCall {
    /// The service's id for the call; `None` when the service gave none.
    #[serde(default)]
    pub id: Option<String>,
    /// The name of the tool called.
    pub name: String,
    /// The arguments, as a parsed JSON value.
    pub arguments: Value,
}

impl ToolCall {
    /// A call without an id.
    pub fn new(name: impl Into<String>, arguments: Value) -> Self {
        ToolCall {
            id: None,
            name: name.into(),
            arguments,
        }
    }

    /// Decodes the arguments into `T`, strictly (see [`ToolDef::decode_arguments`] for the
    /// lenient form that knows the tool's schema).
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Args { number: f64 }
    /// let call = genai_core::ToolCall::new("square_root", serde_json::json!({"number": 4}));
    /// assert_eq!(call.decode_arguments::<Args>().unwrap().number, 4.0);
    /// ```
    pub fn decode_arguments<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&self.arguments).map_err(|e| {
            Error::protocol(format!(
                "arguments of tool call `{}` do not match the expected type: {e}",
                self.name
            ))
        })
    }
}

/// A tool the model may call.
///
/// ```
/// use genai_core::ToolDef;
/// #[derive(schemars::JsonSchema, serde::Deserialize)]
/// struct SquareRoot { number: f64 }
/// let tool = ToolDef::for_type::<SquareRoot>("square_root", "Square root of a number");
/// assert_eq!(tool.parameters["type"], "object");
/// assert_eq!(tool.parameters["properties"]["number"]["type"], "number");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDef {
    /// The tool's name (`[A-Za-z0-9_-]`, at most 64 characters).
    pub name: String,
    /// What the tool does, for the model.
    #[serde(default)]
    pub description: String,
    /// A JSON schema of the arguments (an object schema).
    pub parameters: Value,
}

impl ToolDef {
    /// A tool whose parameters are the given JSON schema.
    pub fn new(name: impl Into<String>, description: impl Into<String>, parameters: Value) -> Self {
        ToolDef {
            name: name.into(),
            description: description.into(),
            parameters,
        }
    }

    /// A tool whose parameters are the JSON schema of `T`, in the subset models accept.
    ///
    /// `schemars` output is rewritten: no `$schema` or titles, `$defs` inlined (a recursive
    /// type is cut after a few levels), an `Option<T>` field is not required and its type has
    /// no `null`, documented enums become a plain `enum` list, and only standard string
    /// `format`s stay (`uint32`, `double`... are dropped). What is safe in `T`: structs of
    /// named fields, `Option`, `Vec`, numbers, strings, booleans, unit-variant enums, nested
    /// structs. Avoid untagged or data-carrying enums, maps with free keys and
    /// `#[serde(flatten)]`: models fill them poorly. Decode the arguments with
    /// [`ToolDef::decode_arguments`], which forgives the usual slips.
    ///
    /// ```
    /// use genai_core::{ToolCall, ToolDef};
    /// #[derive(schemars::JsonSchema, serde::Deserialize, Debug, PartialEq)]
    /// #[serde(rename_all = "lowercase")]
    /// enum Unit { Celsius, Fahrenheit }
    /// #[derive(schemars::JsonSchema, serde::Deserialize)]
    /// struct Weather { city: String, unit: Option<Unit> }
    ///
    /// let tool = ToolDef::for_type::<Weather>("weather", "Current weather");
    /// assert!(tool.parameters.get("$schema").is_none());
    /// assert_eq!(tool.parameters["required"], serde_json::json!(["city"]));
    /// assert_eq!(tool.parameters["properties"]["unit"]["enum"], serde_json::json!(["celsius", "fahrenheit"]));
    ///
    /// let call = ToolCall::new("weather", serde_json::json!({"city": "Oslo", "unit": "Celsius"}));
    /// let args: Weather = tool.decode_arguments(&call).unwrap();
    /// assert_eq!(args.unit, Some(Unit::Celsius));
    /// ```
    pub fn for_type<T: JsonSchema>(
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        let schema = crate::tool_schema::model_subset(schemars::schema_for!(T).to_value());
        ToolDef::new(name, description, schema)
    }

    /// Bends a call's `arguments` into this tool's schema, forgiving the slips `how` names
    /// (numbers and booleans written as strings, an enum value in another case, `null` for an
    /// optional field). Backends call it on the tool calls they return, with the same
    /// coercion [`decode_arguments`](Self::decode_arguments) applies, so a returned
    /// [`ToolCall::arguments`] and the decoded value agree.
    ///
    /// ```
    /// use genai_core::{ArgumentCoercion, ToolDef};
    /// use serde_json::json;
    /// let tool = ToolDef::new(
    ///     "sqrt",
    ///     "Square root",
    ///     json!({"type": "object", "properties": {"number": {"type": "number"}}}),
    /// );
    /// let mut args = json!({"number": "144"});
    /// tool.coerce_arguments(&mut args, ArgumentCoercion::default());
    /// assert_eq!(args, json!({"number": 144}));
    /// ```
    pub fn coerce_arguments(&self, arguments: &mut Value, how: ArgumentCoercion) {
        crate::tool_schema::coerce(arguments, &self.parameters, how);
    }

    /// Decodes the arguments of `call` into `T`, leniently: numbers and booleans written as
    /// strings, an enum value in another case and `null` for an optional field are first
    /// bent into this tool's schema ([`ArgumentCoercion::default`]). Fails with
    /// [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) when they still do not fit.
    pub fn decode_arguments<T: serde::de::DeserializeOwned>(&self, call: &ToolCall) -> Result<T> {
        let mut arguments = call.arguments.clone();
        self.coerce_arguments(&mut arguments, ArgumentCoercion::default());
        T::deserialize(&arguments).map_err(|e| {
            Error::protocol(format!(
                "arguments of tool call `{}` do not match the expected type: {e}",
                call.name
            ))
        })
    }
}

/// The JSON schema of `T`, as sent to services (no `title`).
pub(crate) fn schema_of<T: JsonSchema>() -> Value {
    let mut schema = schemars::schema_for!(T).to_value();
    if let Value::Object(map) = &mut schema {
        map.remove("title");
    }
    schema
}

/// How the model must pick tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides (the default when tools are declared).
    Auto,
    /// The model must call at least one tool.
    Required,
    /// The model must not call tools.
    None,
    /// The model must call this tool.
    Named(String),
}

impl ToolChoice {
    /// Whether this choice forces a tool call.
    pub fn is_forced(&self) -> bool {
        matches!(self, ToolChoice::Required | ToolChoice::Named(_))
    }
}

/// Checks a tool name: 1 to 64 characters of `A-Z`, `a-z`, `0-9`, `_` or `-`.
pub(crate) fn validate_tool_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_request(format!(
            "tool name `{name}` must be 1 to 64 characters of A-Z, a-z, 0-9, `_` or `-`"
        )))
    }
}
