use api::ApiError;

/// What went wrong in the webhooks service.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// A field that cannot be used: which, and what is accepted.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    /// The subscription changed meanwhile (another process delivered).
    #[error("{0}")]
    Conflict(String),
    /// An event of the log that this service cannot read.
    #[error("the log holds an event that cannot be read: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Contract(#[from] contracts::ContractError),
    #[error(transparent)]
    Store(#[from] eventlog::StoreError),
    #[error(transparent)]
    Append(#[from] eventlog::AppendError),
}

impl WebhookError {
    pub fn invalid(field: &'static str, message: String) -> Self {
        WebhookError::Invalid { field, message }
    }
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Invalid { field, message } => ApiError::Invalid {
                field: field.to_owned(),
                message,
            },
            WebhookError::NotFound(m) => ApiError::NotFound(m),
            WebhookError::Forbidden(m) => ApiError::Forbidden(m),
            WebhookError::Conflict(m) => ApiError::Conflict(m),
            other => ApiError::internal(other),
        }
    }
}
