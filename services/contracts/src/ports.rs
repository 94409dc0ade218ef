//! Ports: what a service needs from the outside world, behind a trait the
//! binary fills in, so that no service crate depends on another.

use async_trait::async_trait;

/// Sends an email now (a message a person asked for, such as a password
/// reset link: if it fails, they ask again).
#[async_trait]
pub trait MailOut: Send + Sync {
    /// Sends a plain-text email to `to`; `Err` says what went wrong, for the
    /// log.
    async fn send_plain(&self, to: &str, subject: &str, text: &str) -> Result<(), String>;
}
