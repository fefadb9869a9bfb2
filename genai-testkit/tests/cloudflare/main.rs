//! The Workers AI client (genai-cloudflare) driven through the testkit's servers: the emulator,
//! cassettes replayed, and scripted loopback servers that misbehave on purpose.

#[path = "../support/mod.rs"]
mod support;

// Chat and the kinds beyond it, against the emulator.
mod agent;
mod audio;
mod batch;
mod family_options;
mod image;
mod tasks;

// Recorded and written traffic replayed.
mod catalog_pagination;
mod families_2026;
mod replay;
mod task_cassettes;

// The table of model facts, costs and limits.
mod cost_limits;
mod model_facts;

// The network and the service misbehaving, gateways, secrets.
mod faults;
mod gateway;
mod gateway_url;
mod hostile_replies;
mod secrets;
