//! Notifications: what people are told about alerts, and how it reaches
//! them dependably.
pub mod channel;
pub mod config;
pub mod email;
pub mod error;
pub mod message;
pub mod notifier;
pub mod outbox;
pub mod policy;
pub mod render;
pub mod sink;
pub mod webhook;
