use crate::helpers::*;
use crate::on_both_engines;
use reqwest::{Method, StatusCode};

/// Every route the router serves, as the OpenAPI document must describe it.
const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/sign-in"),
    ("post", "/api/v1/auth/sign-out"),
    ("post", "/api/v1/auth/tokens"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/practitioners"),
    ("get", "/api/v1/practitioners/{id}/slots"),
    ("put", "/api/v1/practitioners/{id}/follow"),
    ("delete", "/api/v1/practitioners/{id}/follow"),
    ("get", "/api/v1/follows"),
    ("get", "/api/v1/slots"),
    ("post", "/api/v1/slots"),
    ("delete", "/api/v1/slots/{id}"),
    ("post", "/api/v1/availability/notify"),
    ("get", "/api/v1/appointments"),
    ("post", "/api/v1/appointments"),
    ("get", "/api/v1/appointments/{id}"),
    ("post", "/api/v1/appointments/{id}/accept"),
    ("post", "/api/v1/appointments/{id}/decline"),
    ("post", "/api/v1/appointments/{id}/cancel"),
    ("post", "/api/v1/appointments/{id}/reschedule"),
    ("get", "/api/v1/notifications"),
    ("get", "/api/v1/notifications/unread-count"),
    ("get", "/api/v1/notifications/stream"),
    ("post", "/api/v1/notifications/read-all"),
    ("post", "/api/v1/notifications/{id}/read"),
    ("post", "/api/v1/admin/users"),
    ("get", "/api/v1/admin/deliveries"),
    ("get", "/api/v1/admin/deliveries/{id}"),
    ("post", "/api/v1/admin/deliveries/{id}/retry"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/healthz"),
    ("get", "/practitioner-dashboard/api/notifications/"),
    (
        "post",
        "/practitioner-dashboard/api/notifications/mark-read/",
    ),
    (
        "post",
        "/practitioner-dashboard/api/notifications/mark-all-read/",
    ),
    (
        "post",
        "/practitioner-dashboard/api/appointments/{id}/{action}/",
    ),
    ("post", "/practitioner-dashboard/api/notify-availability/"),
    ("post", "/patient-dashboard/mark-notifications-read/"),
    ("post", "/patient-dashboard/mark-notification-read/"),
    ("get", "/patient-dashboard/notifications/"),
];

on_both_engines! {
    async fn health_answers_and_the_openapi_document_describes_every_route(app) {
        let (status, health) = app.call(None, Method::GET, "/healthz", None).await;
        assert_eq!((status, health["status"].as_str()), (StatusCode::OK, Some("ok")));
        let expected = match app.engine { Engine::Sqlite => "sqlite", Engine::Postgres => "postgres" };
        assert_eq!(health["database"], expected);

        let (status, doc) = app.call(None, Method::GET, "/api/v1/openapi.json", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        for (method, path) in ROUTES {
            let op = &paths.get(*path).unwrap_or_else(|| panic!("{path} is not documented"))[*method];
            assert!(op.is_object(), "{method} {path} is not documented");
            assert!(op["responses"].is_object(), "{method} {path} has no responses");
        }
        let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
        assert_eq!(documented, ROUTES.len(), "the document describes a route the test does not know");
    }
}
