//! The integration tests, one module per area, compiled and linked as one binary (a second
//! binary per area would cost a link each). `support` holds the fakes and fixtures they share.

mod support;

mod admin_api;
mod agent;
mod architecture;
mod availability_properties;
mod availability_rules;
mod booking_service;
mod chat;
mod chat_endpoint;
mod chat_llm;
mod cli;
mod config;
mod console;
mod console_appointments;
mod console_browser;
mod console_conversations;
mod console_google;
mod console_stats;
mod console_try;
mod console_week;
mod customer_links;
mod demo;
mod email;
mod events;
mod google_backend;
mod google_emulator;
mod google_oauth;
mod google_resilience;
mod google_staff_edits;
mod guided;
mod llm_dialects;
mod reminders;
mod route_walk;
mod serve_processes;
mod setup_checks;
mod signature;
mod store_pages;
mod telnyx_client;
mod templates;
mod texts;
mod texts_delivery;
mod understanding;
mod voice;
mod webhooks;
