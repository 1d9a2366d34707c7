//! `Channel`: one way out (an SMTP account, a webhook URL). A channel
//! delivers one notification at a time and says whether a failure is worth
//! retrying; queueing, retries and reports are the notifier's job.

use logsentinel_detect::alert::Severity;

use crate::message::Notification;

/// A destination for notifications.
pub trait Channel: Send + Sync {
    /// Unique among the channels: `email`, or the webhook's name. Queue rows
    /// are kept under it.
    fn name(&self) -> &str;
    /// Alerts below this severity are not sent here.
    fn min_severity(&self) -> Severity;
    /// Delivers `n` once, within the channel's timeout.
    fn deliver(&self, n: &Notification) -> Result<(), DeliveryError>;
}

/// Why one delivery attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DeliveryError {
    /// One line, for the log.
    pub reason: String,
    /// Retrying cannot help (the receiver refused the message for good).
    pub permanent: bool,
}

impl DeliveryError {
    /// A failure that may pass (network, timeout, server busy).
    pub fn retryable(reason: impl Into<String>) -> DeliveryError {
        DeliveryError {
            reason: one_line(&reason.into()),
            permanent: false,
        }
    }

    /// A failure that will not pass by retrying.
    pub fn permanent(reason: impl Into<String>) -> DeliveryError {
        DeliveryError {
            reason: one_line(&reason.into()),
            permanent: true,
        }
    }
}

/// `s` on one line, without control characters (peers' answers end up in
/// the reason, and the reason in a terminal), at most 300 characters.
pub(crate) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(300));
    let (mut last_space, mut n) = (false, 0);
    for c in s.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        if n >= 300 {
            out.push('…');
            break;
        }
        out.push(c);
        n += 1;
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_one_clean_line() {
        let e = DeliveryError::retryable("HTTP 500:\r\n\x1b[31mboom\x1b[0m  now");
        assert_eq!(e.reason, "HTTP 500: [31mboom [0m now");
        assert!(!e.permanent);
        assert!(DeliveryError::permanent("x").permanent);
        let long = "é".repeat(1000);
        assert_eq!(one_line(&long).chars().count(), 301);
    }
}
