//! Linking a verified eID to an account: the person names their municipal e-mail address, gets a code there, and
//! types it; the account whose address that is (in a directory of the institution owning the domain) gets the link.

use super::codes::{CodeMessage, CodeRequest, CodeSender, Refusal, SendOutcome};
use super::Unavailable;
use crate::account::{AccountStore, EidLink, LinkOutcome};
use crate::audit::{self, AuditEvent, Outcome};
use crate::clock::SharedClock;
use crate::directory::{DirectoryError, SharedDirectory, User};
use crate::eid::config::Institution;
use crate::eid::flow::LinkFlow;
use crate::eid::Eid;
use crate::identity::AccountId;
use crate::second_factor::{Channel, VerifyError};
use crate::session::SessionKey;
use std::net::IpAddr;
use std::time::Duration;

/// The account whose e-mail an address is.
#[derive(Debug)]
pub enum EmailLookup {
    /// Not an e-mail address.
    NotAnEmail,
    /// No institution owns this domain (a private address).
    NotMunicipal(String),
    /// No directory of the owning institutions has this address.
    NoAccount,
    /// The account with this address is disabled in its directory.
    Disabled,
    /// The account.
    Found(User),
}

/// How asking for a link code ended.
#[derive(Debug)]
pub enum CodeStart {
    /// Not an e-mail address.
    NotAnEmail,
    /// A domain no institution owns.
    NotMunicipal(String),
    /// No account has this address.
    NoAccount,
    /// The account with this address is disabled.
    Disabled,
    /// The account already has an eID linked.
    AlreadyLinked,
    /// A limit refused the code.
    Refused(Refusal),
    /// The mail provider did not take the message.
    NotDelivered,
    /// The code is on its way; the flow remembers the account and address.
    Sent,
}

/// How typing the link code ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkResult {
    /// No code was asked for in this flow.
    NoCodeSent,
    /// Wrong code; this many tries remain.
    Wrong(u32),
    /// The code step is locked for this long.
    Locked(Duration),
    /// The code is no longer valid (expired, used up, gone).
    CodeGone(VerifyError),
    /// The account or the person got another link meanwhile.
    AlreadyLinked,
    /// Linked: the account (`realm:username`) and the address the code went to.
    Linked {
        /// The account.
        account: String,
        /// The address.
        email: String,
    },
}

/// eID linking over the institutions, directories, account store, link flows and code sending.
#[derive(Debug, Clone, Copy)]
pub struct EidLinking<'a> {
    /// Institutions and their e-mail domains and realms.
    pub institutions: &'a [Institution],
    /// Directories.
    pub directories: &'a [SharedDirectory],
    /// Accounts (eID links).
    pub accounts: &'a dyn AccountStore,
    /// eID flows.
    pub eid: &'a Eid,
    /// Code sending.
    pub codes: CodeSender<'a>,
    /// Time source.
    pub clock: &'a SharedClock,
}

impl EidLinking<'_> {
    /// The account whose e-mail is `email` (lower case), among the directories of the institution owning its domain.
    pub async fn account_by_email(&self, email: &str) -> Result<EmailLookup, Unavailable> {
        let Some((local, domain)) = email.rsplit_once('@') else { return Ok(EmailLookup::NotAnEmail) };
        if local.is_empty() || domain.is_empty() || email.len() > 254 || email.chars().any(char::is_whitespace) {
            return Ok(EmailLookup::NotAnEmail);
        }
        let domain = domain.to_ascii_lowercase();
        let owners: Vec<_> = self.institutions.iter().filter(|i| i.has_domain(&domain)).collect();
        if owners.is_empty() {
            return Ok(EmailLookup::NotMunicipal(domain));
        }
        for d in self.directories {
            if !owners.iter().any(|i| i.has_realm(d.name())) {
                continue;
            }
            match d.find_by_email(email).await {
                Ok(Some(u)) => return Ok(EmailLookup::Found(u)),
                Ok(None) => {}
                Err(DirectoryError::Refused { .. }) => return Ok(EmailLookup::Disabled),
                Err(e) => return Err(Unavailable::of("directory")(e)),
            }
        }
        Ok(EmailLookup::NoAccount)
    }

    /// Sends a link code to `email` for the flow `token` (whose codes live under `key`), with the text `compose`
    /// gives; on success the flow remembers the account and address.
    pub async fn send_code(
        &self,
        token: &str,
        mut flow: LinkFlow,
        key: SessionKey,
        email: &str,
        client: Option<IpAddr>,
        compose: impl FnOnce(&str) -> CodeMessage,
    ) -> Result<CodeStart, Unavailable> {
        let user = match self.account_by_email(email).await? {
            EmailLookup::Found(u) => u,
            EmailLookup::NotAnEmail => return Ok(CodeStart::NotAnEmail),
            EmailLookup::NotMunicipal(domain) => {
                tracing::info!(provider = %flow.login.provider, domain = %domain, "eID link refused: not a municipal domain");
                return Ok(CodeStart::NotMunicipal(domain));
            }
            EmailLookup::NoAccount => return Ok(CodeStart::NoAccount),
            EmailLookup::Disabled => {
                tracing::info!(provider = %flow.login.provider, "eID link refused: the account with this address is disabled");
                return Ok(CodeStart::Disabled);
            }
        };
        let account = super::login::account_key(&user.realm, &user.username);
        let existing = self.accounts.get(&account).await.map_err(Unavailable::of("account store"))?;
        if existing.eid.is_some() {
            return Ok(CodeStart::AlreadyLinked);
        }
        let req = CodeRequest { key, account: &account, channel: Channel::Email, destination: email, client };
        match self.codes.send(req, compose).await? {
            SendOutcome::Sent => {}
            SendOutcome::Refused(r) => {
                tracing::warn!(account = %account, "eID link code refused by a limit");
                return Ok(CodeStart::Refused(r));
            }
            SendOutcome::NotDelivered(_) => return Ok(CodeStart::NotDelivered),
        }
        tracing::info!(account = %account, provider = %flow.login.provider, "eID link code sent");
        flow.pending = Some((account, email.to_string()));
        self.eid.update_link_flow(token, flow).await.map_err(Unavailable::of("eID flow store"))?;
        Ok(CodeStart::Sent)
    }

    /// Checks the typed `code` for the flow `token`; when right, links the flow's eID to the account the code was
    /// sent for and ends the flow.
    pub async fn link(
        &self,
        token: &str,
        flow: &LinkFlow,
        key: SessionKey,
        code: &str,
    ) -> Result<LinkResult, Unavailable> {
        let Some((account, email)) = flow.pending.clone() else { return Ok(LinkResult::NoCodeSent) };
        let verified =
            self.codes.second_factor.verify(&key, &account, code).await.map_err(Unavailable::of("challenge store"))?;
        match verified {
            Ok(_) => {}
            Err(VerifyError::Wrong(left)) => return Ok(LinkResult::Wrong(left)),
            Err(VerifyError::Locked(w)) => return Ok(LinkResult::Locked(w)),
            Err(why) => return Ok(LinkResult::CodeGone(why)),
        }
        let link = EidLink {
            provider: flow.login.provider.clone(),
            person_id: flow.login.person_id.clone(),
            linked_at: self.clock.now(),
        };
        match self.accounts.link_eid(&account, link).await.map_err(Unavailable::of("account store"))? {
            LinkOutcome::Linked => {}
            LinkOutcome::AlreadyLinked | LinkOutcome::PersonTaken => return Ok(LinkResult::AlreadyLinked),
        }
        let _ = self.eid.end_link_flow(token).await;
        tracing::info!(account = %account, provider = %flow.login.provider, "eID linked");
        let id = AccountId::from_key(&account);
        let (who, change) = (audit::Who::user(&id.username, &id.realm), audit::Change::EidLink);
        audit::emit(AuditEvent::AccountChanged { change, outcome: Outcome::Success, reason: None, who });
        Ok(LinkResult::Linked { account, email })
    }
}
