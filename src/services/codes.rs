//! Sending a one-time code: the code step's own limits (locked account, this attempt's share), the send limits
//! (destination, account, address, global, country), issuing, delivery, and taking the send back when the provider
//! could not take the message (the provider's failure is not the user's): not counted, and the code sent before it
//! still works.
//!
//! Used for the second factor (SMS or e-mail to the user's own channels) and for eID linking (e-mail to a municipal
//! address).

use super::Unavailable;
use crate::audit::{self, AuditEvent, Outcome, Who};
use crate::identity::AccountId;
use crate::notify::{EmailMessage, EmailSender, NotifyError, SmsSender};
use crate::second_factor::limits::{CheckError, LimitHit};
use crate::second_factor::{Channel, IssueError, SecondFactor, VerifyError};
use crate::session::SessionKey;
use std::net::IpAddr;
use std::sync::Arc;

/// The text a code is sent with, composed by the caller in the user's language.
#[derive(Debug, Clone)]
pub enum CodeMessage {
    /// An SMS text.
    Sms(String),
    /// An e-mail.
    Email(EmailMessage),
}

/// One code to send.
#[derive(Debug, Clone, Copy)]
pub struct CodeRequest<'a> {
    /// The login attempt (session) or link flow the code belongs to.
    pub key: SessionKey,
    /// The account (`realm:username`) it is counted against.
    pub account: &'a str,
    /// Where it goes: an SMS slot or e-mail.
    pub channel: Channel,
    /// The phone number (E.164) or e-mail address.
    pub destination: &'a str,
    /// The client's address, for the per-address limit.
    pub client: Option<IpAddr>,
}

/// Why no code was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The code step refused: locked for a while, or this attempt had its share of codes.
    Step(StepRefusal),
    /// A send limit refused.
    Limit(LimitHit),
}

/// The code step's own refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepRefusal {
    /// The account's code step is locked for this long.
    Locked(std::time::Duration),
    /// This login attempt already had its share of codes.
    ChallengeCap,
}

/// How a send ended.
#[derive(Debug)]
pub enum SendOutcome {
    /// The code was handed to the provider.
    Sent,
    /// No code was issued.
    Refused(Refusal),
    /// The provider did not take the message; the send is not counted.
    NotDelivered(NotifyError),
}

/// Issues and delivers codes.
#[derive(Debug, Clone, Copy)]
pub struct CodeSender<'a> {
    /// The code step (challenges, lockout, limits).
    pub second_factor: &'a SecondFactor,
    /// SMS delivery, if configured.
    pub sms: Option<&'a Arc<dyn SmsSender>>,
    /// E-mail delivery, if configured.
    pub email: Option<&'a Arc<dyn EmailSender>>,
}

impl CodeSender<'_> {
    /// Checks a typed code for the login attempt `key` of `account` (`realm:username`, whose parts are in `who`).
    /// A refusal is recorded (`login` failure with the method of the pending code and the reason), and so is the
    /// lockout the refused try began (`lockout`, `code_tries`); success is recorded where the session steps up
    /// ([`crate::services::sessions::step_up`]).
    pub async fn verify(
        &self,
        key: &SessionKey,
        account: &str,
        typed: &str,
        who: Who<'_>,
    ) -> Result<Result<Channel, VerifyError>, crate::session::StoreError> {
        let sf = self.second_factor;
        // Read before the check: a refused last try ends the challenge, and the method would be lost.
        let pending = sf.pending(key).await.ok().flatten();
        let (result, lockout_began) = sf.verify_noting_lockout(key, account, typed).await?;
        let Err(why) = result else { return Ok(result) };
        let method = pending.as_ref().map(|c| c.channel.method()).unwrap_or(crate::methods::Method::Sms);
        let reason = Some(match why {
            VerifyError::Wrong(_) => "wrong_code",
            VerifyError::Expired => "expired",
            VerifyError::TooManyTries => "too_many_tries",
            VerifyError::NoChallenge => "no_code",
            VerifyError::Locked(_) => "locked",
        });
        audit::emit(AuditEvent::Login { method, outcome: Outcome::Failure, reason, who });
        if lockout_began {
            audit::emit(AuditEvent::Lockout { limit: "code_tries", who });
        }
        Ok(Err(why))
    }

    /// Minutes a code lives, as users are told (at least 1).
    pub fn lifetime_minutes(&self) -> u64 {
        (self.second_factor.settings().code_lifetime.as_secs() / 60).max(1)
    }

    /// Checks the limits, issues a code and sends it with the text `compose(code as shown)` gives.
    pub async fn send(
        &self,
        req: CodeRequest<'_>,
        compose: impl FnOnce(&str) -> CodeMessage,
    ) -> Result<SendOutcome, Unavailable> {
        let is_sms = matches!(req.channel, Channel::Sms(_));
        let id = AccountId::from_key(req.account);
        let who = Who::user(&id.username, &id.realm).with_session(&req.key);
        let channel = if is_sms { "sms" } else { "email" };
        let refused = |reason| AuditEvent::CodeSent { channel, outcome: Outcome::Failure, reason: Some(reason), who };
        match self.second_factor.precheck(&req.key, req.account).await {
            Ok(()) => {}
            Err(IssueError::Store(e)) => return Err(Unavailable::of("challenge store")(e)),
            Err(IssueError::Locked(w)) => {
                audit::emit(refused("locked"));
                return Ok(SendOutcome::Refused(Refusal::Step(StepRefusal::Locked(w))));
            }
            Err(IssueError::ChallengeCap) => {
                audit::emit(AuditEvent::RateLimited { limit: "per-challenge", who });
                audit::emit(refused("per-challenge"));
                return Ok(SendOutcome::Refused(Refusal::Step(StepRefusal::ChallengeCap)));
            }
        }
        match self.second_factor.limits.check(req.destination, is_sms, req.account, req.client).await {
            Ok(()) => {}
            Err(CheckError::Store(e)) => return Err(Unavailable::of("rate limit store")(e)),
            Err(CheckError::Limit(hit)) => {
                tracing::warn!(account = %req.account, limit = hit.name(), "code send refused by limit");
                audit::emit(AuditEvent::RateLimited { limit: hit.name(), who });
                audit::emit(refused(hit.name()));
                return Ok(SendOutcome::Refused(Refusal::Limit(hit)));
            }
        }
        // A send the provider does not take must not replace the code sent before it.
        let before = self.second_factor.snapshot(&req.key).await.map_err(Unavailable::of("challenge store"))?;
        let code = self
            .second_factor
            .issue(req.key, req.account, req.channel)
            .await
            .map_err(Unavailable::of("second factor"))?;
        let shown = crate::second_factor::code::display(&code);
        let sent = match compose(&shown) {
            CodeMessage::Sms(text) => match self.sms {
                Some(s) => s.send(req.destination, &text).await,
                None => Err(NotifyError::Unavailable("no [sms] configured".into())),
            },
            CodeMessage::Email(msg) => match self.email {
                Some(s) => s.send(req.destination, &msg).await,
                None => Err(NotifyError::Unavailable("no [email] configured".into())),
            },
        };
        if let Err(e) = sent {
            let _ = self.second_factor.undo_send(req.key, before).await;
            tracing::warn!(account = %req.account, channel = req.channel.as_str(), error = %e, "code could not be sent");
            let reason = Some("delivery_failed");
            audit::emit(AuditEvent::CodeSent { channel, outcome: Outcome::Error, reason, who });
            return Ok(SendOutcome::NotDelivered(e));
        }
        tracing::info!(account = %req.account, channel = req.channel.as_str(), "code sent");
        audit::emit(AuditEvent::CodeSent { channel, outcome: Outcome::Success, reason: None, who });
        Ok(SendOutcome::Sent)
    }
}
