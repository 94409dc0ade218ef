//! The OpenAPI document of every route, generated from the route table
//! itself, so that it cannot leave a route out or describe one that is gone.

use serde_json::{Map, Value, json};

use crate::access::{Need, Rule};

fn security(need: Need) -> (Value, &'static str) {
    match need {
        Need::Public => (json!([]), "Open to anyone."),
        Need::Optional => (
            json!([{}, {"session": []}, {"bearer": []}]),
            "Open to anyone; staff credentials, when given, make it a staff action.",
        ),
        Need::ResidentLink => (
            json!([{"link": []}, {"session": []}, {"bearer": []}]),
            "The appointment's manage token (Authorization: Bearer, or ?token=), or front-desk staff of the appointment's site.",
        ),
        Need::Staff([]) => (
            json!([{"session": []}, {"bearer": []}]),
            "Any signed-in staff member.",
        ),
        Need::Staff(_) => (
            json!([{"session": []}, {"bearer": []}]),
            "Staff with one of the roles named in x-roles, at the site of the address when it names one (administrators count as every role).",
        ),
        Need::Everywhere(_) => (
            json!([{"session": []}, {"bearer": []}]),
            "Staff holding one of the roles named in x-roles for every site (administrators count as every role).",
        ),
        Need::Admin => (
            json!([{"session": []}, {"bearer": []}]),
            "An administrator of every site.",
        ),
    }
}

/// The OpenAPI 3.1 document for `rules`.
pub fn openapi(title: &str, version: &str, rules: &[Rule]) -> Value {
    let mut paths = Map::new();
    for rule in rules {
        let (security, who) = security(rule.need);
        let parameters: Vec<Value> = rule
            .path
            .split('/')
            .filter_map(|part| part.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let roles: Vec<&str> = match rule.need {
            Need::Staff(roles) | Need::Everywhere(roles) => {
                roles.iter().map(|r| contracts::role_name(*r)).collect()
            }
            Need::Admin => vec!["admin"],
            _ => Vec::new(),
        };
        let mut responses = json!({
            "200": {"description": "Done; the body is JSON (or iCalendar for /ics)."},
            "400": {"description": "The request is malformed: {\"error\": code, \"message\": what to fix}."},
            "404": {"description": "Nothing at this address."},
            "422": {"description": "A field holds a value that cannot be used: {\"error\": \"invalid\", \"message\", \"field\"}."},
        });
        if !matches!(rule.need, Need::Public | Need::Optional) {
            responses["401"] =
                json!({"description": "Not signed in, or the credentials no longer work."});
            responses["403"] = json!({"description": "Signed in without the role this needs."});
        }
        let method = rule.verb.method().as_str().to_lowercase();
        let entry = paths
            .entry(rule.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[method.as_str()] = json!({
            "operationId": format!("{method}{}", rule.path.replace(['/', '{', '}', '-', '.'], "_")),
            "summary": format!("{} {}", rule.verb.method(), rule.path),
            "description": who,
            "parameters": parameters,
            "security": security,
            "x-roles": roles,
            "responses": responses,
        });
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "components": {"securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "creneau_session",
                "description": "From POST /api/v1/session; send X-CSRF-Token with anything that changes something."},
            "bearer": {"type": "http", "scheme": "bearer", "description": "An API token from POST /api/v1/tokens."},
            "link": {"type": "http", "scheme": "bearer", "description": "An appointment's manage token, from its booking."},
        }},
        "paths": paths,
    })
}
