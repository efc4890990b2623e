use crate::helpers::*;
use crate::on_both_engines;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;

/// The document as an independent validator (openapi-spec-validator, from PyPI, which
/// scripts/test installs) reads it against the OpenAPI 3.1 specification's own schema.
fn validate_with_openapi_spec_validator(doc: &Value) {
    const SCRIPT: &str = r#"
import json, sys
from openapi_spec_validator import validate
doc = json.load(sys.stdin)
validate(doc)
print(doc["openapi"])
"#;
    let out = python(SCRIPT, doc.to_string().as_bytes(), "openapi-spec-validator");
    assert_eq!(String::from_utf8_lossy(&out).trim(), "3.1.0");
}

on_both_engines! {
    async fn health_answers_and_the_served_openapi_document_is_valid_and_complete(app) {
        let (status, health) = app.call(None, Method::GET, "/healthz", None).await;
        assert_eq!((status, health["status"].as_str()), (StatusCode::OK, Some("ok")));
        let expected = match app.engine { Engine::Sqlite => "sqlite", Engine::Postgres => "postgres" };
        assert_eq!(health["database"], expected);

        let (status, doc) = app.call(None, Method::GET, "/api/v1/openapi.json", None).await;
        assert_eq!(status, StatusCode::OK);
        // What `carebell openapi` prints is what the server serves.
        assert_eq!(doc, serde_json::to_value(carebell::http::openapi_document()).unwrap());
        validate_with_openapi_spec_validator(&doc);

        let mut operation_ids = BTreeSet::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_default().to_owned();
                assert!(operation_ids.insert(id.clone()), "operationId {id:?} is used twice");
                assert!(op["summary"].is_string(), "{method} {path} has no summary");
                let responses = op["responses"].as_object().unwrap();
                assert!(
                    responses.keys().any(|s| s.starts_with('2')),
                    "{method} {path} documents no success"
                );
                // A route that needs a signed-in user says how to sign in, and that it can
                // be refused for it.
                if op.get("security").is_some() {
                    assert!(responses.contains_key("401"), "{method} {path} lists no 401");
                }
            }
        }
    }
}
