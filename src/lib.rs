//! carebell: the appointment lifecycle of a clinic and every notification it causes,
//! stored first and then delivered. See `README.md` and `docs/`.

pub mod accounts;
pub mod auth;
pub mod catalogue;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod http;
pub mod lifecycle;
pub mod notify;
pub mod realtime;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod templates;
pub mod web;
