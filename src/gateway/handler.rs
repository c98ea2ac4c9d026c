//! What a page handler returns: a [`Reply`], or a [`HandlerError`] that either is an early answer (a refused form,
//! a redirect to login, a limit page) or a failure for `fail_to_proxy` (a store that does not answer: 503 page).
//! Both work with `?`.

use super::reply::Reply;
use pingora::prelude::*;

/// Why a handler stopped before its happy end.
#[derive(Debug)]
pub enum HandlerError {
    /// Answer with this reply (refusals, redirects, validation pages).
    Reply(Reply),
    /// A failure with its HTTP meaning (`HTTPStatus(503)` for a store or directory that does not answer).
    Fail(Box<Error>),
}

/// A handler's result.
pub type Handled = std::result::Result<Reply, HandlerError>;

impl From<Reply> for HandlerError {
    fn from(r: Reply) -> HandlerError {
        HandlerError::Reply(r)
    }
}

impl From<Box<Error>> for HandlerError {
    fn from(e: Box<Error>) -> HandlerError {
        HandlerError::Fail(e)
    }
}

impl HandlerError {
    /// The reply to send, or the failure for pingora's error path.
    pub fn into_reply(self) -> Result<Reply> {
        match self {
            HandlerError::Reply(r) => Ok(r),
            HandlerError::Fail(e) => Err(e),
        }
    }
}

/// Maps a store or directory failure to 503, naming what failed (the error page tells the user to try again).
pub fn unavailable<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> HandlerError {
    move |e| HandlerError::Fail(Error::explain(HTTPStatus(503), format!("{what}: {e}")))
}
