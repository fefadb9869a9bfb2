//! Tool schemas the models accept, from what `schemars` writes, and lenient argument decoding.
//!
//! Models are trained on small, flat JSON schemas: `type`, `properties`, `required`, `enum`,
//! `items`, `description`. `schemars` writes more: `$schema`, `$defs` with `$ref`s,
//! `anyOf: [T, null]` for `Option<T>`, `oneOf` of `const`s for documented enums, and formats
//! such as `uint32` or `double` that no model knows. [`model_subset`] rewrites a schema into
//! the plain subset; [`coerce`] bends arguments back into the schema's types before they are
//! decoded.

use serde_json::{Map, Number, Value};

/// How deep `$ref`s are followed: a recursive type is cut there (any value accepted).
const MAX_DEPTH: u32 = 12;

/// The `format`s kept: standard JSON Schema string formats. Numeric ones (`uint32`,
/// `double`...) are dropped; `minimum` still says "not negative".
const KEPT_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uuid",
];

/// Rewrites a JSON schema into the subset models accept: no `$schema`, `$id` or titles,
/// `$defs` inlined, `Option` fields (nullable) not required and without `null` in their type,
/// enums as plain `enum` lists, only standard string formats.
pub(crate) fn model_subset(schema: Value) -> Value {
    let defs = match &schema {
        Value::Object(root) => root
            .get("$defs")
            .or_else(|| root.get("definitions"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        _ => Map::new(),
    };
    simplify(schema, &defs, 0).0
}

/// The simplified node and whether it allowed `null`.
fn simplify(node: Value, defs: &Map<String, Value>, depth: u32) -> (Value, bool) {
    let mut map = match node {
        Value::Object(map) => map,
        Value::Bool(true) => return (Value::Object(Map::new()), false),
        other => return (other, false),
    };
    if depth > MAX_DEPTH {
        return (Value::Object(Map::new()), false);
    }
    let mut nullable = false;
    for key in [
        "$schema",
        "$id",
        "$defs",
        "definitions",
        "title",
        "$comment",
    ] {
        map.remove(key);
    }
    if let Some(Value::String(reference)) = map.remove("$ref") {
        let name = reference
            .strip_prefix("#/$defs/")
            .or_else(|| reference.strip_prefix("#/definitions/"));
        let target = name.and_then(|n| defs.get(n)).cloned().unwrap_or_default();
        let (resolved, null) = simplify(target, defs, depth + 1);
        nullable |= null;
        merge_under(&mut map, resolved);
    }
    if let Some(Value::Array(all)) = map.remove("allOf") {
        for part in all {
            let (part, null) = simplify(part, defs, depth + 1);
            nullable |= null;
            merge_under(&mut map, part);
        }
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(options)) = map.remove(key) else {
            continue;
        };
        let mut kept = Vec::new();
        for option in options {
            if option.get("type").and_then(Value::as_str) == Some("null") {
                nullable = true;
                continue;
            }
            let (option, null) = simplify(option, defs, depth + 1);
            nullable |= null;
            kept.push(option);
        }
        match constants(&kept) {
            Some((values, kind)) => {
                map.entry("type").or_insert(kind);
                map.insert("enum".into(), Value::Array(values));
            }
            None if kept.len() == 1 => {
                if let Some(only) = kept.pop() {
                    merge_under(&mut map, only);
                }
            }
            None => {
                map.insert(key.into(), Value::Array(kept));
            }
        }
    }
    if let Some(Value::Array(types)) = map.get("type") {
        let non_null: Vec<Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        nullable |= non_null.len() < types.len();
        let kind = match <[Value; 1]>::try_from(non_null) {
            Ok([one]) => one,
            Err(many) => Value::Array(many),
        };
        map.insert("type".into(), kind);
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        let before = values.len();
        values.retain(|v| !v.is_null());
        nullable |= values.len() < before;
    }
    if let Some(value) = map.remove("const") {
        map.insert("enum".into(), Value::Array(vec![value]));
    }
    if map
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| !KEPT_FORMATS.contains(&f))
    {
        map.remove("format");
    }
    if let Some(Value::Object(properties)) = map.remove("properties") {
        let mut optional = Vec::new();
        let simplified: Map<String, Value> = properties
            .into_iter()
            .map(|(name, property)| {
                let (property, null) = simplify(property, defs, depth + 1);
                if null {
                    optional.push(name.clone());
                }
                (name, property)
            })
            .collect();
        map.insert("properties".into(), Value::Object(simplified));
        if let Some(Value::Array(required)) = map.get_mut("required") {
            required.retain(|r| !r.as_str().is_some_and(|r| optional.iter().any(|o| o == r)));
            if required.is_empty() {
                map.remove("required");
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = map.remove(key) {
            let sub = if sub.is_object() {
                simplify(sub, defs, depth + 1).0
            } else {
                sub
            };
            map.insert(key.into(), sub);
        }
    }
    (Value::Object(map), nullable)
}

/// Adds `from`'s keys to `into`, keeping `into`'s own (a `description` next to a `$ref` wins).
fn merge_under(into: &mut Map<String, Value>, from: Value) {
    if let Value::Object(from) = from {
        for (k, v) in from {
            into.entry(k).or_insert(v);
        }
    }
}

/// When every option is a list of constants of one JSON type (`{"const": "red"}`,
/// `{"enum": ["red"]}`), the constants and that type.
fn constants(options: &[Value]) -> Option<(Vec<Value>, Value)> {
    let mut values = Vec::new();
    for option in options {
        let list = option.get("enum")?.as_array()?;
        let others = option
            .as_object()?
            .keys()
            .any(|k| !matches!(k.as_str(), "enum" | "type" | "description"));
        if others {
            return None;
        }
        values.extend(list.iter().cloned());
    }
    let kind = match values.first()? {
        Value::String(_) => "string",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        _ => return None,
    };
    let same = values.iter().all(|v| match kind {
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        _ => v.is_number(),
    });
    same.then(|| (values, Value::String(kind.into())))
}

/// Which slips [`ToolDef::coerce_arguments`](crate::ToolDef::coerce_arguments) forgives when
/// it bends a tool call's arguments into the tool's schema: the one coercion every backend
/// and [`ToolDef::decode_arguments`](crate::ToolDef::decode_arguments) use. The default
/// forgives all of them; a backend whose service already guarantees one (a schema-constrained
/// decoder, say) can turn that one off.
///
/// ```
/// use genai_core::ArgumentCoercion;
/// let strict_enums = ArgumentCoercion::default().enum_case(false);
/// assert!(strict_enums.scalars && !strict_enums.enum_case);
/// assert!(!ArgumentCoercion::NONE.null_optionals);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ArgumentCoercion {
    /// Numbers and booleans written as strings (`"3"`, `"True"`) become numbers and booleans
    /// where the schema wants them.
    pub scalars: bool,
    /// A string that matches an `enum` value but for case or surrounding spaces becomes that
    /// value.
    pub enum_case: bool,
    /// `null` for a property the schema does not require is dropped.
    pub null_optionals: bool,
}

impl ArgumentCoercion {
    /// Forgives every slip (the default).
    pub const LENIENT: ArgumentCoercion = ArgumentCoercion {
        scalars: true,
        enum_case: true,
        null_optionals: true,
    };

    /// Forgives nothing: the arguments are left as the model wrote them.
    pub const NONE: ArgumentCoercion = ArgumentCoercion {
        scalars: false,
        enum_case: false,
        null_optionals: false,
    };

    /// Sets [`scalars`](Self::scalars).
    pub fn scalars(mut self, on: bool) -> Self {
        self.scalars = on;
        self
    }

    /// Sets [`enum_case`](Self::enum_case).
    pub fn enum_case(mut self, on: bool) -> Self {
        self.enum_case = on;
        self
    }

    /// Sets [`null_optionals`](Self::null_optionals).
    pub fn null_optionals(mut self, on: bool) -> Self {
        self.null_optionals = on;
        self
    }
}

impl Default for ArgumentCoercion {
    fn default() -> Self {
        ArgumentCoercion::LENIENT
    }
}

/// Bends `value` towards `schema` the way models get it wrong, as far as `how` allows: numbers
/// and booleans written as strings, an enum value in another case, `null` for an optional
/// field (dropped). Anything else is left for the decoder to judge. Applying it twice changes
/// nothing more.
pub(crate) fn coerce(value: &mut Value, schema: &Value, how: ArgumentCoercion) {
    coerce_at(value, schema, how, 0);
}

fn coerce_at(v: &mut Value, schema: &Value, how: ArgumentCoercion, depth: u32) {
    if depth > 32 {
        return;
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if let (true, Value::String(s), Some(Value::Array(choices))) =
        (how.enum_case, &*v, schema.get("enum"))
    {
        if !choices.iter().any(|c| c.as_str() == Some(s.as_str())) {
            let found = choices
                .iter()
                .filter_map(Value::as_str)
                .find(|c| c.eq_ignore_ascii_case(s.trim()));
            if let Some(found) = found {
                *v = Value::String(found.to_owned());
                return;
            }
        }
    }
    match v {
        Value::String(s) if how.scalars && !types.is_empty() && !types.contains(&"string") => {
            let t = s.trim();
            if types.contains(&"integer") {
                if let Ok(n) = t.parse::<i64>() {
                    *v = Value::from(n);
                    return;
                }
            }
            if types.contains(&"number") {
                if let Some(n) = t.parse::<f64>().ok().and_then(Number::from_f64) {
                    // Keep integers integral: "132413" becomes 132413, not 132413.0.
                    *v = t
                        .parse::<i64>()
                        .map(Value::from)
                        .unwrap_or(Value::Number(n));
                    return;
                }
            }
            if types.contains(&"boolean") {
                match t.to_ascii_lowercase().as_str() {
                    "true" => *v = Value::Bool(true),
                    "false" => *v = Value::Bool(false),
                    _ => {}
                }
            }
        }
        Value::Object(map) => {
            if how.null_optionals {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                map.retain(|k, field| !field.is_null() || required.contains(&k.as_str()));
            }
            if let Some(Value::Object(props)) = schema.get("properties") {
                for (k, field) in map.iter_mut() {
                    if let Some(s) = props.get(k) {
                        coerce_at(field, s, how, depth + 1);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    coerce_at(item, item_schema, how, depth + 1);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemars::JsonSchema;
    use serde::Deserialize;
    use serde_json::json;

    /// A colour.
    #[derive(Debug, PartialEq, Deserialize, JsonSchema)]
    #[serde(rename_all = "lowercase")]
    #[allow(dead_code)]
    enum Color {
        /// Warm.
        Red,
        /// Cold.
        Blue,
    }

    #[derive(Debug, PartialEq, Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Place {
        city: String,
        /// How many people, if known.
        population: Option<u32>,
    }

    #[derive(Debug, PartialEq, Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Args {
        /// The colour, if any.
        color: Option<Color>,
        place: Place,
        places: Vec<Place>,
        count: u64,
        ratio: f32,
        tags: Option<Vec<String>>,
    }

    fn walk<'v>(v: &'v Value, out: &mut Vec<(&'v str, &'v Value)>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    out.push((k.as_str(), v));
                    walk(v, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }

    #[test]
    fn schemars_output_becomes_the_plain_subset() {
        let schema = model_subset(schemars::schema_for!(Args).to_value());
        let mut keys = Vec::new();
        walk(&schema, &mut keys);
        for (k, v) in &keys {
            assert!(
                !matches!(
                    *k,
                    "$schema" | "$defs" | "$ref" | "anyOf" | "oneOf" | "const" | "title"
                ),
                "{k} left in {schema:#}"
            );
            if *k == "format" {
                assert!(
                    KEPT_FORMATS.contains(&v.as_str().unwrap_or("")),
                    "{schema:#}"
                );
            }
            if *k == "type" {
                assert!(
                    v.as_str().is_some_and(|t| t != "null"),
                    "{k}: {v} in {schema:#}"
                );
            }
        }
        let props = &schema["properties"];
        assert_eq!(props["color"]["type"], "string");
        assert_eq!(props["color"]["enum"], json!(["red", "blue"]));
        assert_eq!(props["color"]["description"], "The colour, if any.");
        assert_eq!(props["place"]["properties"]["city"]["type"], "string");
        assert_eq!(props["places"]["items"]["required"], json!(["city"]));
        assert_eq!(props["tags"]["type"], "array");
        let mut required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        required.sort_unstable();
        assert_eq!(required, ["count", "place", "places", "ratio"]);
    }

    #[test]
    fn arguments_are_bent_into_the_schema_before_decoding() {
        let schema = model_subset(schemars::schema_for!(Args).to_value());
        let mut args = json!({
            "color": "Blue",
            "place": {"city": "Lyon", "population": "513275"},
            "places": [],
            "count": "3",
            "ratio": "0.5",
            "tags": null,
        });
        coerce(&mut args, &schema, ArgumentCoercion::default());
        let decoded: Args = serde_json::from_value(args).unwrap();
        assert_eq!(decoded.color, Some(Color::Blue));
        assert_eq!(decoded.place.population, Some(513_275));
        assert_eq!((decoded.count, decoded.tags), (3, None));
    }

    #[test]
    fn recursive_types_are_cut_not_looped() {
        #[derive(JsonSchema)]
        #[allow(dead_code)]
        struct Tree {
            children: Vec<Tree>,
        }
        let schema = model_subset(schemars::schema_for!(Tree).to_value());
        assert_eq!(schema["properties"]["children"]["type"], "array");
    }

    #[test]
    fn scalars_follow_the_schema_and_nothing_else_is_touched() {
        let schema = json!({"type":"object","properties":{
            "n":{"type":"number"},"i":{"type":"integer"},"b":{"type":"boolean"},
            "s":{"type":"string"},"f":{"type":"number"},
            "list":{"type":"array","items":{"type":"integer"}},
            "maybe":{"type":["number","null"]}
        }});
        let mut args = json!({"n":"132413","i":"7","b":"TRUE","s":"42","f":"1.5","list":["1","2"],"maybe":"3","extra":"9"});
        coerce(&mut args, &schema, ArgumentCoercion::default());
        assert_eq!(
            args,
            json!({"n":132413,"i":7,"b":true,"s":"42","f":1.5,"list":[1,2],"maybe":3,"extra":"9"})
        );
        let mut bad = json!({"n":"many"});
        coerce(&mut bad, &schema, ArgumentCoercion::default());
        assert_eq!(bad, json!({"n":"many"}));
    }

    #[test]
    fn each_knob_turns_one_slip_off_and_twice_is_once() {
        let schema = json!({"type":"object","required":["color"],"properties":{
            "color":{"type":"string","enum":["red","blue"]},
            "n":{"type":"integer"},
            "note":{"type":"string"}
        }});
        let reply = json!({"color":" Blue","n":"3","note":null});
        let run = |how: ArgumentCoercion| {
            let mut v = reply.clone();
            coerce(&mut v, &schema, how);
            v
        };
        let all = run(ArgumentCoercion::default());
        assert_eq!(all, json!({"color":"blue","n":3}));
        let mut again = all.clone();
        coerce(&mut again, &schema, ArgumentCoercion::default());
        assert_eq!(again, all);
        assert_eq!(run(ArgumentCoercion::NONE), reply);
        let d = ArgumentCoercion::default();
        assert_eq!(run(d.enum_case(false))["color"], " Blue");
        assert_eq!(run(d.scalars(false))["n"], "3");
        assert_eq!(run(d.null_optionals(false))["note"], Value::Null);
    }
}
