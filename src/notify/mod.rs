//! Delivery of codes and notices: e-mail and SMS senders behind small traits.

/// An e-mail ready to send (already localized by the caller).
#[derive(Debug, Clone)]
pub struct EmailMessage {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Why a message could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The provider did not answer in time.
    #[error("timed out")]
    Timeout,
    /// The provider refused the message.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The provider could not be reached.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// Sends e-mail.
#[async_trait::async_trait]
pub trait EmailSender: Send + Sync + std::fmt::Debug {
    /// Sends one message to one address.
    async fn send(&self, to: &str, msg: &EmailMessage) -> Result<(), NotifyError>;
}

/// Sends SMS.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    /// Sends one text to one E.164 number.
    async fn send(&self, to: &str, text: &str) -> Result<(), NotifyError>;
}

/// Prints messages to standard output instead of sending them (demo and development).
#[derive(Debug, Default)]
pub struct LogSender;

#[async_trait::async_trait]
impl EmailSender for LogSender {
    async fn send(&self, to: &str, msg: &EmailMessage) -> Result<(), NotifyError> {
        println!("[portvakt] e-mail to {to}: {}\n{}", msg.subject, msg.body);
        Ok(())
    }
}

#[async_trait::async_trait]
impl SmsSender for LogSender {
    async fn send(&self, to: &str, text: &str) -> Result<(), NotifyError> {
        println!("[portvakt] SMS to {to}: {text}");
        Ok(())
    }
}
