//! `NotifyError`: what can go wrong when configuring notifications, opening
//! the delivery queue or handing a notification over. Delivery failures of
//! one message are not errors of the service: they are `DeliveryError`s
//! (`channel`), retried and reported.

/// An error of the notification crate.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The `[notify]` configuration is invalid; the message names the key.
    #[error("config: {0}")]
    Config(String),
    /// The persistent queue (`notify_outbox` in the state database) failed.
    #[error("notification queue {path}: {reason}")]
    Outbox { path: String, reason: String },
    /// A channel could not be set up (bad address, TLS set-up, ...).
    #[error("notify channel {channel}: {reason}")]
    Channel { channel: String, reason: String },
    /// The worker thread could not be started.
    #[error("cannot start the notification worker: {0}")]
    Worker(String),
}
