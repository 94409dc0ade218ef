//! The API's contract, held to: every JSON answer a test receives from an
//! operation of the OpenAPI document is validated against that operation's
//! schema for its status, and an answer the document does not foresee (a
//! status it does not list, a JSON body where it says none, an operation
//! it does not have) fails the test that received it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

/// The document, and the validators compiled from it so far.
pub struct Contract {
    document: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl Contract {
    pub fn new(document: Value) -> Self {
        Contract {
            document,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// The document's path template for `path` (`/api/v1/sites/{site_id}`
    /// for `/api/v1/sites/0192…`), the most literal one when several fit.
    fn template(&self, path: &str) -> Option<&str> {
        let parts: Vec<&str> = path.split('/').collect();
        self.document["paths"]
            .as_object()?
            .keys()
            .filter(|t| {
                let ts: Vec<&str> = t.split('/').collect();
                ts.len() == parts.len()
                    && ts
                        .iter()
                        .zip(&parts)
                        .all(|(t, p)| t == p || t.starts_with('{') && !p.is_empty())
            })
            .max_by_key(|t| t.split('/').filter(|s| !s.starts_with('{')).count())
            .map(String::as_str)
    }

    /// Checks one answer; panics with what does not fit.
    pub fn check(
        &self,
        method: &Method,
        uri: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &str,
    ) {
        let path = uri.split('?').next().unwrap_or(uri);
        let Some(template) = self.template(path) else {
            // No operation here: the only answer is the error shape (a 404).
            if !body.is_empty() && is_json(headers) {
                self.validate(
                    "#/components/schemas/ErrorBody",
                    body,
                    &format!("{method} {uri} ({status}, no such operation)"),
                );
            }
            return;
        };
        let method_name = method.as_str().to_lowercase();
        let Some(operation) = self.document["paths"][template].get(&method_name) else {
            // A method the path does not take: 405, in the error shape.
            assert!(
                status == StatusCode::METHOD_NOT_ALLOWED || status.is_client_error(),
                "{method} {uri}: {status}, but the document has no {method} for {template}"
            );
            return;
        };
        let responses = &operation["responses"];
        let code = status.as_u16().to_string();
        let range = format!("{}XX", status.as_u16() / 100);
        let (key, response) = match responses.get(&code) {
            Some(r) => (code, r),
            None => match responses.get(&range) {
                Some(r) => (range, r),
                None => panic!(
                    "{method} {uri} answered {status}, which the document does not list for {method_name} {template}: {body}"
                ),
            },
        };
        let json_schema = response.pointer("/content/application~1json/schema");
        match json_schema {
            Some(_) => {
                assert!(
                    is_json(headers),
                    "{method} {uri} answered {status} without JSON, where the document says JSON"
                );
                let pointer = format!(
                    "#/paths/{}/{method_name}/responses/{key}/content/application~1json/schema",
                    template.replace('~', "~0").replace('/', "~1")
                );
                self.validate(&pointer, body, &format!("{method} {uri} ({status})"));
            }
            None => {
                if response.get("content").is_none() {
                    assert!(
                        body.is_empty(),
                        "{method} {uri} answered {status} with a body where the document says none: {body}"
                    );
                }
            }
        }
    }

    fn validate(&self, pointer: &str, body: &str, what: &str) {
        let validator = {
            let mut known = self.validators.lock().unwrap_or_else(|e| e.into_inner());
            match known.get(pointer) {
                Some(v) => Arc::clone(v),
                None => {
                    // The schema itself, with the document's components
                    // beside it for its references to resolve.
                    let mut root = self
                        .document
                        .pointer(pointer.trim_start_matches('#'))
                        .cloned()
                        .unwrap_or_else(|| panic!("the document has nothing at {pointer}"));
                    root["components"] = self.document["components"].clone();
                    root["$schema"] =
                        Value::String("https://json-schema.org/draft/2020-12/schema".into());
                    let v = Arc::new(
                        jsonschema::options()
                            .should_validate_formats(true)
                            .build(&root)
                            .unwrap_or_else(|e| {
                                panic!("the schema at {pointer} does not compile: {e}")
                            }),
                    );
                    known.insert(pointer.to_owned(), Arc::clone(&v));
                    v
                }
            }
        };
        let instance: Value = serde_json::from_str(body).unwrap_or_else(|e| {
            panic!("{what}: the answer is not JSON ({e}): {}", shortened(body))
        });
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: the answer does not fit the document's schema ({pointer}):\n  {}\nanswer: {}",
            errors.join("\n  "),
            shortened(body)
        );
    }
}

/// The start of a long answer, for a message.
fn shortened(body: &str) -> &str {
    match body.char_indices().nth(2000) {
        Some((i, _)) => &body[..i],
        None => body,
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
}
