//! The OpenAPI 3.1 document of the API, generated from the route table and
//! from the Rust types the handlers read and write: a route cannot be left
//! out or outlive its handler, and a schema is the type's own (schemars
//! reads the same serde attributes that (de)serialize it).
//!
//! Each API route says what it reads and answers with a [`Doc`] given
//! right after it (`Routes::doc`). The tests hold every JSON answer of the
//! API to the schema of its operation and status, so a handler that starts
//! answering another shape fails them.

use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value, json};

use crate::access::{Door, Need, Rule, Verb};
use crate::error::ErrorBody;

/// Writes a type's schema (a `$ref` to it, for a named type).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// What a successful answer carries.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// JSON of this schema.
    Json(SchemaFn),
    /// Another kind of content (`text/calendar`, `text/csv`,
    /// `text/event-stream`, `text/plain`), described in words.
    Other(&'static str, &'static str),
    /// Nothing.
    Empty,
}

/// What one operation reads and answers, for its entry in the document.
#[derive(Debug, Clone, Copy)]
pub struct Doc {
    summary: &'static str,
    query: Option<SchemaFn>,
    body: Option<SchemaFn>,
    body_required: bool,
    status: u16,
    answer: Body,
    /// Another answer besides the error shape: (status, its JSON schema or
    /// no body).
    also: Option<(u16, Option<SchemaFn>)>,
}

impl Doc {
    /// An operation answering 200 with nothing yet said about it.
    pub const fn new(summary: &'static str) -> Self {
        Doc {
            summary,
            query: None,
            body: None,
            body_required: true,
            status: 200,
            answer: Body::Empty,
            also: None,
        }
    }

    /// Its query string is `Q`'s fields.
    pub fn query<Q: JsonSchema>(mut self) -> Self {
        self.query = Some(schema_of::<Q>);
        self
    }

    /// Its JSON body is a `B`.
    pub fn body<B: JsonSchema>(mut self) -> Self {
        self.body = Some(schema_of::<B>);
        self
    }

    /// It may take a JSON body, a `B`, or none.
    pub fn optional_body<B: JsonSchema>(mut self) -> Self {
        self.body = Some(schema_of::<B>);
        self.body_required = false;
        self
    }

    /// It answers 200 with a `T`.
    pub fn ok<T: JsonSchema>(mut self) -> Self {
        self.answer = Body::Json(schema_of::<T>);
        self
    }

    /// It answers 201 with a `T`.
    pub fn created<T: JsonSchema>(mut self) -> Self {
        self.status = 201;
        self.answer = Body::Json(schema_of::<T>);
        self
    }

    /// It answers `status` with no body (204, or 303 for a redirect).
    pub fn empty(mut self, status: u16) -> Self {
        self.status = status;
        self.answer = Body::Empty;
        self
    }

    /// It answers 200 with content of `media` type, described in words.
    pub fn content(mut self, media: &'static str, what: &'static str) -> Self {
        self.answer = Body::Other(media, what);
        self
    }

    /// It may also answer `status` with a `T` (e.g. 409 with alternatives).
    pub fn also<T: JsonSchema>(mut self, status: u16) -> Self {
        self.also = Some((status, Some(schema_of::<T>)));
        self
    }

    /// It may also answer `status` with no body (e.g. 202: taken, nothing
    /// done).
    pub fn or_empty(mut self, status: u16) -> Self {
        self.also = Some((status, None));
        self
    }
}

fn security(need: Need, verb: Verb) -> (Value, &'static str) {
    // A session cookie changes something only with its CSRF token.
    let session = if verb == Verb::Get {
        json!({"session": []})
    } else {
        json!({"session": [], "csrf": []})
    };
    match need {
        Need::Public => (json!([]), "Open to anyone."),
        Need::Optional => (
            json!([{}, session, {"bearer": []}]),
            "Open to anyone; staff credentials, when given, make it a staff action.",
        ),
        Need::ResidentLink => (
            json!([{"link": []}, session, {"bearer": []}]),
            "The appointment's manage token (Authorization: Bearer, or ?token=), or front-desk staff of the appointment's site.",
        ),
        Need::Staff([]) => (
            json!([session, {"bearer": []}]),
            "Any signed-in staff member.",
        ),
        Need::Staff(_) => (
            json!([session, {"bearer": []}]),
            "Staff with one of the roles named in x-roles, at the site of the address when it names one (administrators count as every role).",
        ),
        Need::Everywhere(_) => (
            json!([session, {"bearer": []}]),
            "Staff holding one of the roles named in x-roles for every site (administrators count as every role).",
        ),
        Need::Admin => (
            json!([session, {"bearer": []}]),
            "An administrator of every site.",
        ),
    }
}

fn json_content(schema: Schema) -> Value {
    json!({"application/json": {"schema": schema}})
}

/// Each property of a query type's object schema as one query parameter.
fn query_parameters(schema: &Schema, generator: &SchemaGenerator) -> Vec<Value> {
    let mut object = schema.as_value().clone();
    // A named type comes as a reference to its definition.
    if let Some(name) = object
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        && let Some(definition) = generator.definitions().get(name)
    {
        object = definition.clone();
    }
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = object.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let mut parameter = json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
            });
            let mut property = property.clone();
            if let Some(description) = property
                .as_object_mut()
                .and_then(|p| p.remove("description"))
            {
                parameter["description"] = description;
            }
            parameter["schema"] = property;
            parameter
        })
        .collect()
}

/// Replaces every `$ref` to `from` by one to `to`.
fn rename_refs(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "$ref" && v.as_str() == Some(from) {
                    *v = Value::String(to.to_owned());
                } else {
                    rename_refs(v, from, to);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, from, to)),
        _ => {}
    }
}

fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
            s.contract = contract;
        })
        .into_generator()
}

const REFS: &str = "#/components/schemas/";

/// The OpenAPI 3.1 document of the API routes among `rules` (the pages,
/// HTML for people, are not part of it).
pub fn openapi(title: &str, version: &str, rules: &[Rule]) -> Value {
    // What requests hold is described as it is read, what answers hold as
    // it is written (an optional field may be left out of a request).
    let mut reads = generator(Contract::Deserialize);
    let mut writes = generator(Contract::Serialize);
    let error = writes.subschema_for::<ErrorBody>();
    let mut paths = Map::new();
    for rule in rules.iter().filter(|r| r.door == Door::Api) {
        let doc = rule.doc.unwrap_or(Doc::new(""));
        let (security, who) = security(rule.need, rule.verb);
        let mut parameters: Vec<Value> = rule
            .path
            .split('/')
            .filter_map(|part| part.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if let Some(query) = doc.query {
            let schema = query(&mut reads);
            parameters.extend(query_parameters(&schema, &reads));
        }
        let roles: Vec<&str> = match rule.need {
            Need::Staff(roles) | Need::Everywhere(roles) => {
                roles.iter().map(|r| contracts::role_name(*r)).collect()
            }
            Need::Admin => vec!["admin"],
            _ => Vec::new(),
        };
        let answer = match doc.answer {
            Body::Json(schema) => {
                json!({"description": "Done.", "content": json_content(schema(&mut writes))})
            }
            Body::Other(media, what) => {
                let schema = match media {
                    "application/json" => json!({"type": "object"}),
                    // Each server-sent event: its name and its JSON data.
                    "text/event-stream" => json!({
                        "type": "object",
                        "properties": {
                            "event": {"type": "string"},
                            "data": {"type": "string", "contentMediaType": "application/json"},
                        },
                        "required": ["data"],
                    }),
                    _ => json!({"type": "string"}),
                };
                json!({"description": what, "content": {media: {"schema": schema}}})
            }
            Body::Empty => json!({"description": "Done; no body."}),
        };
        let mut responses = Map::new();
        responses.insert(doc.status.to_string(), answer);
        match doc.also {
            Some((status, Some(schema))) => {
                let mut schema = schema(&mut writes);
                if status >= 400 {
                    // A refusal of this status may still come in the
                    // error shape, for another reason.
                    schema = json_schema!({"anyOf": [schema, error.clone()]});
                }
                responses.insert(
                    status.to_string(),
                    json!({"description": "Refused, with what can be done instead.", "content": json_content(schema)}),
                );
            }
            Some((status, None)) => {
                responses.insert(
                    status.to_string(),
                    json!({"description": "Taken; nothing to do."}),
                );
            }
            None => {}
        }
        let refused =
            |what: &str| json!({"description": what, "content": json_content(error.clone())});
        if !matches!(rule.need, Need::Public | Need::Optional) {
            responses.insert(
                "401".into(),
                refused("Not signed in, or the credentials no longer work."),
            );
            responses.insert(
                "403".into(),
                refused("Signed in without the role this needs."),
            );
        }
        responses.insert(
            "4XX".into(),
            refused("The request cannot be done as sent: `message` says why and what to do; `field` names the field at fault (422)."),
        );
        responses.insert(
            "5XX".into(),
            refused("Créneau could not answer (503: try again after Retry-After)."),
        );
        let method = rule.verb.method().as_str().to_lowercase();
        let mut operation = json!({
            "operationId": format!("{method}{}", rule.path.replace(['/', '{', '}', '-', '.'], "_")),
            "summary": if doc.summary.is_empty() { format!("{} {}", rule.verb.method(), rule.path) } else { doc.summary.to_owned() },
            "description": who,
            "parameters": parameters,
            "security": security,
            "x-roles": roles,
            "responses": responses,
        });
        if let Some(body) = doc.body {
            operation["requestBody"] =
                json!({"required": doc.body_required, "content": json_content(body(&mut reads))});
        }
        let entry = paths
            .entry(rule.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[method.as_str()] = operation;
    }
    // One set of definitions: a type read and written alike is one schema;
    // read otherwise than written, its reading is `<name>Input`.
    let mut schemas = writes.take_definitions(true);
    let mut read_definitions = reads.take_definitions(true);
    let clashes: Vec<String> = read_definitions
        .iter()
        .filter(|(name, schema)| schemas.get(*name).is_some_and(|s| s != *schema))
        .map(|(name, _)| name.clone())
        .collect();
    let renamed = |value: &mut Value| {
        for name in &clashes {
            rename_refs(
                value,
                &format!("{REFS}{name}"),
                &format!("{REFS}{name}Input"),
            );
        }
    };
    for (name, mut schema) in std::mem::take(&mut read_definitions) {
        renamed(&mut schema);
        let name = if clashes.contains(&name) {
            format!("{name}Input")
        } else {
            name
        };
        schemas.insert(name, schema);
    }
    // The request bodies and query parameters, references renamed.
    for operation in paths
        .values_mut()
        .flat_map(Value::as_object_mut)
        .flat_map(|p| p.values_mut())
    {
        for read in ["parameters", "requestBody"] {
            if let Some(part) = operation.get_mut(read) {
                renamed(part);
            }
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Créneau's HTTP API. Staff authenticate with an API token (POST /api/v1/tokens, then Authorization: Bearer) or a session cookie (POST /api/v1/session, then X-CSRF-Token on anything that changes something); residents with their appointment's manage token. Errors are JSON: {\"error\": code, \"message\": what to do, \"field\": the field at fault}. Answers are in the language of Accept-Language (fr, en, ar).",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "creneau_session",
                    "description": "From POST /api/v1/session."},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                    "description": "The csrf_token of POST /api/v1/session: with a session cookie, anything that changes something sends it."},
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token from POST /api/v1/tokens."},
                "link": {"type": "http", "scheme": "bearer", "description": "An appointment's manage token, from its booking (also accepted as ?token=)."},
            },
        },
        "paths": paths,
    })
}
