//! Integration tests: one binary, each scenario run on SQLite and on PostgreSQL.

mod helpers;
mod peers;
mod process;

mod access;
mod auth;
mod browser;
mod concurrency;
mod crashes;
mod dashboard;
mod delivery;
mod errors;
mod hardening;
mod import;
mod invites;
mod lifecycle;
mod links;
mod notices;
mod notifications;
mod operations;
mod preferences;
mod reach;
mod recovery;
mod reminders;
mod replies;
mod schema;
mod seed_paths;
mod service;
mod storage;
mod stream;
mod waitlist;
mod waitlist_model;
