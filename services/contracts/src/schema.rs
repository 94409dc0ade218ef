//! Schemas of the codes the API reads as text (a reason, a language, a
//! role), for the OpenAPI document: a field read as a `String` and parsed
//! by its handler says what it accepts with `#[schemars(with = "…")]`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::{ROLES, Reason, role_name};

/// A reason code: `procedure_caf`, `smartphone`…
pub struct ReasonCode;

impl JsonSchema for ReasonCode {
    fn schema_name() -> Cow<'static, str> {
        "ReasonCode".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let codes: Vec<String> = Reason::ALL.iter().map(|r| r.code()).collect();
        json_schema!({
            "type": "string",
            "enum": codes,
            "description": "What the visit is about.",
        })
    }
}

/// A language residents are written to in: `fr`, `en` or `ar`.
pub struct LanguageCode;

impl JsonSchema for LanguageCode {
    fn schema_name() -> Cow<'static, str> {
        "LanguageCode".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "enum": ["fr", "en", "ar"]})
    }
}

/// A staff role: `reception`, `mediator`, `it_helper`, `coordinator`,
/// `admin`.
pub struct RoleName;

impl JsonSchema for RoleName {
    fn schema_name() -> Cow<'static, str> {
        "RoleName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = ROLES.into_iter().map(role_name).collect();
        json_schema!({"type": "string", "enum": names})
    }
}
