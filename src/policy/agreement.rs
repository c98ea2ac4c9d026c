//! One source of truth for account actions. Without policy files, `[accounts] phone_zones` and `[eid] link_zones`
//! say where numbers may be registered and an eID linked; with policy files the rules for [`ACCOUNT_PHONES`] and
//! [`ACCOUNT_EID_LINK`] decide and those keys are not read. A config that still lists zones the policies do not
//! allow (or leaves out zones they do) tells its reader something untrue, so `check` refuses it at the key.

use super::{LoginCond, PolicySet, RuleRef, ACCOUNT_EID_LINK, ACCOUNT_PHONES};
use crate::config::error::{ConfigError, SourceFile};
use std::collections::BTreeSet;
use std::path::Path;
use toml::Spanned;

/// The two config keys this module compares, read from the config file with their positions.
#[derive(Debug, Default, serde::Deserialize)]
struct Keys {
    #[serde(default)]
    accounts: Option<AccountKeys>,
    #[serde(default)]
    eid: Option<EidKeys>,
}

#[derive(Debug, serde::Deserialize)]
struct AccountKeys {
    phone_zones: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, serde::Deserialize)]
struct EidKeys {
    link_zones: Option<Spanned<Vec<String>>>,
}

impl PolicySet {
    /// The zones from which some session may be allowed `service` (an account action): those an allow rule for it admits
    /// (every zone for a rule without `zones`), except where a deny rule with no condition but its zones closes it.
    /// Conditions on groups, users, login and time narrow *who* and *when*, not *where*, and are not looked at.
    pub fn zones_allowing(&self, service: &str) -> BTreeSet<String> {
        let Some(bucket) = self.by_service.get(service) else {
            return BTreeSet::new();
        };
        let rules = |ids: &[usize]| ids.iter().filter_map(|&i| self.rules.get(i)).collect::<Vec<_>>();
        let (allows, denies) = (rules(&bucket.allows), rules(&bucket.denies));
        let admits = |zones: &Option<Box<[u16]>>, id: u16| zones.as_ref().is_none_or(|zs| zs.contains(&id));
        let mut out = BTreeSet::new();
        for (id, zone) in self.zones.iter().enumerate() {
            let Ok(id) = u16::try_from(id) else { break };
            let allowed = allows.iter().any(|r| admits(&r.zones, id));
            let closed = denies.iter().any(|r| {
                r.paths.is_none()
                    && r.groups.is_none()
                    && r.users.is_none()
                    && r.login == LoginCond::default()
                    && r.schedule.is_none()
                    && admits(&r.zones, id)
            });
            if allowed && !closed {
                out.insert(zone.to_string());
            }
        }
        out
    }

    /// The allow rules that name `service`, in file order.
    fn allow_rules(&self, service: &str) -> Vec<&RuleRef> {
        self.by_service
            .get(service)
            .map(|b| b.allows.iter().filter_map(|&i| self.rules.get(i)).map(|r| &r.rule_ref).collect())
            .unwrap_or_default()
    }
}

/// Compares `phone_zones` and `link_zones` in the config file at `config` (where written) with the zones the policies
/// allow for the matching account action; one error at the key for each that disagrees.
pub fn account_zone_disagreements(config: &Path, policies: &PolicySet) -> Vec<ConfigError> {
    let src = match SourceFile::read(config) {
        Ok(s) => s,
        Err(e) => return vec![e],
    };
    let keys: Keys = match src.parse() {
        Ok(k) => k,
        Err(e) => return vec![e],
    };
    let mut errors = Vec::new();
    let written = [
        ("[accounts] phone_zones", ACCOUNT_PHONES, keys.accounts.and_then(|a| a.phone_zones)),
        ("[eid] link_zones", ACCOUNT_EID_LINK, keys.eid.and_then(|e| e.link_zones)),
    ];
    for (key, action, list) in written {
        let Some(list) = list else { continue };
        let span = list.span();
        let listed: BTreeSet<String> = list.into_inner().into_iter().collect();
        let allowed = policies.zones_allowing(action);
        if listed == allowed {
            continue;
        }
        let rules: Vec<String> = policies.allow_rules(action).iter().map(|r| r.to_string()).collect();
        let by = if rules.is_empty() {
            format!("no policy rule allows {action}, so it is refused from every zone")
        } else {
            format!("the policies allow {action} from {} (rules: {})", zone_words(&allowed), rules.join(", "))
        };
        errors.push(src.error_at(
            Some(span),
            format!(
                "{key} = {} disagrees with the policy files: {by}. With policy files the policies decide and this \
                 key is not read; list the same zones here or remove the key",
                zone_list(&listed)
            ),
        ));
    }
    errors
}

/// `["a", "b"]`, as written in TOML.
fn zone_list(zones: &BTreeSet<String>) -> String {
    let quoted: Vec<String> = zones.iter().map(|z| format!("\"{z}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// "no zone", or the zones as a TOML list.
fn zone_words(zones: &BTreeSet<String>) -> String {
    if zones.is_empty() {
        "no zone".to_string()
    } else {
        zone_list(zones)
    }
}
