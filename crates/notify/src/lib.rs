//! Notifications: what people are told about alerts, and how it reaches
//! them dependably.
pub mod sink;
