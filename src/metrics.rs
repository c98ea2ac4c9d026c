//! Prometheus metrics: one [`Metrics`] per gateway, served in the text format on the admin listener only
//! (`[admin] listen`, see [`crate::admin`]).
//!
//! Every name starts with `portvakt_`. Label values are bounded: zone and service names from the config, status
//! codes, and fixed words from enums (`password`, `success`, `idle`, ...); never user names, addresses or paths.
//! A metric update is an atomic add on a pre-registered series: the label sets of the request series are created at
//! start for every zone × service, the rest on first use (a short write lock once, then read locks).
//!
//! Domain code does not update counters by hand: it emits an [`crate::audit::AuditEvent`], and the event is counted
//! here ([`Metrics::count_event`]) whether or not an audit file is written, so the audit trail and the metrics never
//! disagree. Request, upstream, store and directory series are updated by the gateway's logging phase and the
//! instrumented store and directory wrappers ([`crate::instrument`]).

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;

/// A label value that is a name from the config (zone, service, directory, provider): shared, never copied.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name(pub Arc<str>);

impl EncodeLabelValue for Name {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&&*self.0, encoder)
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name(Arc::from(s))
    }
}

/// `zone`, `service`, `status` of a finished request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    /// Zone name.
    pub zone: Name,
    /// Service name, `portvakt` for the gateway's own pages, `none` when nothing was routed.
    pub service: Name,
    /// HTTP status sent (0 when the client went away before an answer).
    pub status: u16,
}

/// `zone`, `service` of a request's duration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ZoneService {
    /// Zone name.
    pub zone: Name,
    /// Service name.
    pub service: Name,
}

/// `service`, `kind` of an upstream failure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct UpstreamLabels {
    /// Service name.
    pub service: Name,
    /// `connect`, `timeout` or `other`.
    pub kind: &'static str,
}

/// `method`, `zone`, `result` of a login step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct LoginLabels {
    /// `password`, `sms`, `email` or `eid`.
    pub method: &'static str,
    /// Zone name.
    pub zone: Name,
    /// `success`, `failure` or `error`.
    pub result: &'static str,
}

/// `method`, `result` of a login step's duration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct MethodResult {
    /// Login method.
    pub method: &'static str,
    /// `success`, `failure` or `error`.
    pub result: &'static str,
}

/// One fixed word: a limit, a reason, a result.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct LimitLabel {
    /// The limit that was hit (`account`, `address`, `code_tries`, `per_destination_per_day`, ...).
    pub limit: &'static str,
}

/// `channel`, `result` of a code delivery.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ChannelResult {
    /// `sms` or `email`.
    pub channel: &'static str,
    /// `success`, `failure` (refused) or `error` (delivery failed).
    pub result: &'static str,
}

/// `reason` a session ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ReasonLabel {
    /// `idle`, `absolute`, `logout`, `revoked`.
    pub reason: &'static str,
}

/// `result` alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ResultLabel {
    /// `success`, `failure` or `error`.
    pub result: &'static str,
}

/// `zone`, `service`, `kind` of a policy denial.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct DenialLabels {
    /// Zone name.
    pub zone: Name,
    /// Service name.
    pub service: Name,
    /// `zone`, `closed`, `rule` or `no_access`.
    pub kind: &'static str,
}

/// `store`, `op`, `result` of a store operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct StoreLabels {
    /// `sessions`, `challenges`, `flows`, `regulation`, `rate_limits`, `accounts`, `probe`.
    pub store: &'static str,
    /// The operation (`create`, `get_and_touch`, ...).
    pub op: &'static str,
    /// `success` or `error`.
    pub result: &'static str,
}

/// `store`, `op` of a store operation's duration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct StoreOp {
    /// Store name.
    pub store: &'static str,
    /// Operation.
    pub op: &'static str,
}

/// `directory`, `op`, `result` of a directory operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct DirectoryLabels {
    /// Directory (realm) name from the config.
    pub directory: Name,
    /// `authenticate`, `lookup` or `find_by_email`.
    pub op: &'static str,
    /// `success` (an answer, also "no such user"), or `error` (the directory could not answer).
    pub result: &'static str,
}

/// `directory`, `op` of a directory operation's duration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct DirectoryOp {
    /// Directory name.
    pub directory: Name,
    /// Operation.
    pub op: &'static str,
}

/// `provider`, `kind` of an eID provider error.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ProviderLabels {
    /// Provider name from the config.
    pub provider: Name,
    /// What failed: `login` (the flow was refused) or `discovery`.
    pub kind: &'static str,
}

/// `version` of the build.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn request_histogram() -> Histogram {
    // 0.5 ms .. ~33 s: gateway pages answer in well under a millisecond, slow backends in seconds.
    Histogram::new(exponential_buckets(0.0005, 3.0, 11))
}

fn backend_histogram() -> Histogram {
    // 0.1 ms .. ~6.5 s: store and directory round trips, password hashing (~50-100 ms), LDAP binds.
    Histogram::new(exponential_buckets(0.0001, 3.0, 11))
}

/// Every metric of one gateway.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Service names as label values, in config order.
    pub services: Vec<Arc<str>>,
    /// The `service` label of the gateway's own pages.
    pub gateway_service: Arc<str>,
    /// The `service` label of requests that reached no service.
    pub no_service: Arc<str>,
    /// The `zone` label of requests refused before classification.
    pub no_zone: Arc<str>,
    /// `portvakt_requests_total{zone,service,status}`.
    pub requests: Family<RequestLabels, Counter>,
    /// `portvakt_request_duration_seconds{zone,service}`.
    pub request_duration: Histograms<ZoneService>,
    /// `portvakt_upstream_errors_total{service,kind}`.
    pub upstream_errors: Family<UpstreamLabels, Counter>,
    /// `portvakt_logins_total{method,zone,result}`: each login step (password, code, eID).
    pub logins: Family<LoginLabels, Counter>,
    /// `portvakt_login_duration_seconds{method,result}`: time the gateway took to decide a login step.
    pub login_duration: Histograms<MethodResult>,
    /// `portvakt_lockouts_total{limit}`.
    pub lockouts: Family<LimitLabel, Counter>,
    /// `portvakt_rate_limited_total{limit}`.
    pub rate_limited: Family<LimitLabel, Counter>,
    /// `portvakt_codes_sent_total{channel,result}`.
    pub codes_sent: Family<ChannelResult, Counter>,
    /// `portvakt_codes_verified_total{result}`.
    pub codes_verified: Family<ResultLabel, Counter>,
    /// `portvakt_sessions_created_total`.
    pub sessions_created: Counter,
    /// `portvakt_sessions_ended_total{reason}`.
    pub sessions_ended: Family<ReasonLabel, Counter>,
    /// `portvakt_policy_denials_total{zone,service,kind}`.
    pub denials: Family<DenialLabels, Counter>,
    /// `portvakt_store_operations_total{store,op,result}`.
    pub store_ops: Family<StoreLabels, Counter>,
    /// `portvakt_store_operation_duration_seconds{store,op}`.
    pub store_duration: Histograms<StoreOp>,
    /// `portvakt_directory_operations_total{directory,op,result}`.
    pub directory_ops: Family<DirectoryLabels, Counter>,
    /// `portvakt_directory_operation_duration_seconds{directory,op}`.
    pub directory_duration: Histograms<DirectoryOp>,
    /// `portvakt_eid_errors_total{provider,kind}`.
    pub eid_errors: Family<ProviderLabels, Counter>,
    /// `portvakt_config_reloads_total{result}`.
    pub reloads: Family<ResultLabel, Counter>,
    /// `portvakt_policy_rules`: rules in the policies in force (0 with the built-in rule).
    pub policy_rules: Gauge,
    /// `portvakt_account_changes_total{change}`.
    pub account_changes: Family<ChangeLabel, Counter>,
    /// `portvakt_audit_events_dropped_total`: audit lines lost because the writer fell behind.
    pub audit_dropped: Counter,
}

/// `change` of an account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ChangeLabel {
    /// `phones`, `eid_link`, `eid_unlink`.
    pub change: &'static str,
}

/// Outcome words used as label values.
pub mod result {
    /// The step succeeded.
    pub const SUCCESS: &str = "success";
    /// The step was refused (wrong password, wrong code, a limit).
    pub const FAILURE: &str = "failure";
    /// The step could not be decided (a store, directory or provider failed).
    pub const ERROR: &str = "error";
}

impl Metrics {
    /// Registers every metric; the request series for each zone × service (and the gateway's own pages) exist from
    /// the start with the statuses most requests get, so the hot path only takes read locks.
    pub fn new(zones: &[Arc<str>], services: &[Arc<str>]) -> Metrics {
        let mut r = Registry::with_prefix("portvakt");
        let m = Metrics {
            requests: Family::default(),
            request_duration: Family::new_with_constructor(request_histogram),
            upstream_errors: Family::default(),
            logins: Family::default(),
            login_duration: Family::new_with_constructor(backend_histogram),
            lockouts: Family::default(),
            rate_limited: Family::default(),
            codes_sent: Family::default(),
            codes_verified: Family::default(),
            sessions_created: Counter::default(),
            sessions_ended: Family::default(),
            denials: Family::default(),
            store_ops: Family::default(),
            store_duration: Family::new_with_constructor(backend_histogram),
            directory_ops: Family::default(),
            directory_duration: Family::new_with_constructor(backend_histogram),
            eid_errors: Family::default(),
            reloads: Family::default(),
            policy_rules: Gauge::default(),
            account_changes: Family::default(),
            audit_dropped: Counter::default(),
            registry: Registry::default(),
            services: services.to_vec(),
            gateway_service: Arc::from(GATEWAY_SERVICE),
            no_service: Arc::from(NO_SERVICE),
            no_zone: Arc::from("none"),
        };
        r.register("requests", "Requests answered, by zone, service and status", m.requests.clone());
        r.register(
            "request_duration_seconds",
            "Time from the request head to the last byte of the answer, by zone and service",
            m.request_duration.clone(),
        );
        r.register("upstream_errors", "Requests a backend failed (connect, timeout, other)", m.upstream_errors.clone());
        r.register("logins", "Login steps (password, code, eID) by method, zone and result", m.logins.clone());
        r.register(
            "login_duration_seconds",
            "Time the gateway took to decide a login step, by method and result",
            m.login_duration.clone(),
        );
        r.register("lockouts", "Lockouts by limit (account, address, code tries)", m.lockouts.clone());
        r.register("rate_limited", "Requests refused by a rate limit, by limit", m.rate_limited.clone());
        r.register("codes_sent", "One-time codes sent, by channel and result", m.codes_sent.clone());
        r.register("codes_verified", "One-time codes checked, by result", m.codes_verified.clone());
        r.register("sessions_created", "Sessions created", m.sessions_created.clone());
        r.register(
            "sessions_ended",
            "Sessions ended, by reason (idle, absolute, logout, revoked)",
            m.sessions_ended.clone(),
        );
        r.register("policy_denials", "Requests denied by policy, by zone, service and kind", m.denials.clone());
        r.register("store_operations", "State store operations by store, operation and result", m.store_ops.clone());
        r.register(
            "store_operation_duration_seconds",
            "State store operation latency by store and operation",
            m.store_duration.clone(),
        );
        r.register(
            "directory_operations",
            "User directory operations by directory, operation and result",
            m.directory_ops.clone(),
        );
        r.register(
            "directory_operation_duration_seconds",
            "User directory operation latency by directory and operation",
            m.directory_duration.clone(),
        );
        r.register("eid_errors", "eID provider errors by provider and kind", m.eid_errors.clone());
        r.register("config_reloads", "Reloads of users files, policies and certificates, by result", m.reloads.clone());
        r.register("policy_rules", "Rules in the policies in force", m.policy_rules.clone());
        r.register("account_changes", "Account changes by kind", m.account_changes.clone());
        r.register("audit_events_dropped", "Audit events lost because the writer fell behind", m.audit_dropped.clone());
        r.register("build", "Build information", Info::new(BuildLabels { version: env!("CARGO_PKG_VERSION") }));
        let mut own: Vec<Arc<str>> = services.to_vec();
        own.push(Arc::from(GATEWAY_SERVICE));
        for z in zones {
            for s in &own {
                let (zone, service) = (Name(z.clone()), Name(s.clone()));
                for status in [200u16, 302, 401, 403, 404, 502, 503] {
                    let _ = m.requests.get_or_create(&RequestLabels {
                        zone: zone.clone(),
                        service: service.clone(),
                        status,
                    });
                }
                let _ = m.request_duration.get_or_create(&ZoneService { zone, service });
            }
        }
        // The series alerts and dashboards use exist at zero from the start, so the first event is an increase.
        let results = [result::SUCCESS, result::FAILURE, result::ERROR];
        for method in ["password", "sms", "email", "eid"] {
            for result in results {
                for z in zones {
                    let _ = m.logins.get_or_create(&LoginLabels { method, zone: Name(z.clone()), result });
                }
                let _ = m.login_duration.get_or_create(&MethodResult { method, result });
            }
        }
        for channel in ["sms", "email"] {
            for result in results {
                let _ = m.codes_sent.get_or_create(&ChannelResult { channel, result });
            }
        }
        let _ = m.lockouts.get_or_create(&LimitLabel { limit: "login" });
        for s in services {
            for kind in ["connect", "timeout", "other"] {
                let _ = m.upstream_errors.get_or_create(&UpstreamLabels { service: Name(s.clone()), kind });
            }
            for z in zones {
                for kind in ["zone", "closed", "rule", "no_access"] {
                    let labels = DenialLabels { zone: Name(z.clone()), service: Name(s.clone()), kind };
                    let _ = m.denials.get_or_create(&labels);
                }
            }
        }
        for reason in ["idle", "absolute", "logout", "revoked"] {
            let _ = m.sessions_ended.get_or_create(&ReasonLabel { reason });
        }
        for result in [result::SUCCESS, result::FAILURE] {
            let _ = m.reloads.get_or_create(&ResultLabel { result });
        }
        Metrics { registry: r, ..m }
    }

    /// The text exposition (`text/plain; version=0.0.4`, ends with `# EOF` as OpenMetrics allows).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Counts one finished request (pingora's logging phase).
    pub fn request(&self, zone: &Arc<str>, service: &Arc<str>, status: u16, took: Duration) {
        let (zone, service) = (Name(zone.clone()), Name(service.clone()));
        self.request_duration
            .get_or_create(&ZoneService { zone: zone.clone(), service: service.clone() })
            .observe(took.as_secs_f64());
        self.requests.get_or_create(&RequestLabels { zone, service, status }).inc();
    }

    /// Counts a failed request to a backend.
    pub fn upstream_error(&self, service: &Arc<str>, kind: &'static str) {
        self.upstream_errors.get_or_create(&UpstreamLabels { service: Name(service.clone()), kind }).inc();
    }

    /// Counts a store operation.
    pub fn store_op(&self, store: &'static str, op: &'static str, ok: bool, took: Duration) {
        let result = if ok { result::SUCCESS } else { result::ERROR };
        self.store_ops.get_or_create(&StoreLabels { store, op, result }).inc();
        self.store_duration.get_or_create(&StoreOp { store, op }).observe(took.as_secs_f64());
    }

    /// Counts a directory operation.
    pub fn directory_op(&self, directory: &Name, op: &'static str, ok: bool, took: Duration) {
        let result = if ok { result::SUCCESS } else { result::ERROR };
        self.directory_ops.get_or_create(&DirectoryLabels { directory: directory.clone(), op, result }).inc();
        self.directory_duration
            .get_or_create(&DirectoryOp { directory: directory.clone(), op })
            .observe(took.as_secs_f64());
    }
}

/// The `service` label of the gateway's own pages (`/.portvakt/...`).
pub const GATEWAY_SERVICE: &str = "portvakt";
/// The `service` label of a request that reached no service (404, refused path).
pub const NO_SERVICE: &str = "none";

#[cfg(test)]
mod tests {
    use super::*;

    /// Every metric name the sample dashboard, the README and docs/audit.md use is one the gateway exports.
    #[test]
    fn documented_names_exist() {
        let m = Metrics::new(&[Arc::from("internal")], &[Arc::from("wiki")]);
        // Families whose series appear with their first event.
        m.store_op("sessions", "create", true, Duration::from_millis(1));
        m.directory_op(&Name::from("staff"), "lookup", true, Duration::from_millis(1));
        m.rate_limited.get_or_create(&LimitLabel { limit: "country" }).inc();
        m.codes_verified.get_or_create(&ResultLabel { result: result::SUCCESS }).inc();
        m.eid_errors.get_or_create(&ProviderLabels { provider: Name::from("idporten"), kind: "login" }).inc();
        m.account_changes.get_or_create(&ChangeLabel { change: "phones" }).inc();
        let text = m.render();
        let readme = include_str!("../README.md");
        // The README's monitoring section; elsewhere `portvakt_` also starts credential names.
        let start = readme.find("## Monitoring").unwrap_or(0);
        let end = readme[start + 1..].find("\n## ").map(|e| start + 1 + e).unwrap_or(readme.len());
        let docs =
            [include_str!("../docs/grafana-dashboard.json"), &readme[start..end], include_str!("../docs/audit.md")];
        let mut seen = 0;
        for doc in docs {
            for (i, _) in doc.match_indices("portvakt_") {
                let name: String = doc[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                let base = ["_bucket", "_count", "_sum", "_total", "_info"]
                    .iter()
                    .fold(name.clone(), |n, suffix| n.strip_suffix(suffix).map(str::to_string).unwrap_or(n));
                if base == "portvakt_" || base == "portvakt_audit" {
                    continue;
                }
                seen += 1;
                assert!(text.contains(&format!("# HELP {base} ")), "{name} is not exported:\n{text}");
            }
        }
        assert!(seen > 30, "{seen}");
    }

    /// The exposition carries the prefix, the pre-registered request series and build info.
    #[test]
    fn renders_prefixed_series() {
        let m = Metrics::new(&[Arc::from("internal")], &[Arc::from("wiki")]);
        m.request(&Arc::from("internal"), &Arc::from("wiki"), 200, Duration::from_millis(3));
        let text = m.render();
        assert!(
            text.contains("portvakt_requests_total{zone=\"internal\",service=\"wiki\",status=\"200\"} 1"),
            "{text}"
        );
        assert!(text.contains("portvakt_build_info{version=\""), "{text}");
        assert!(text.contains("portvakt_request_duration_seconds_bucket{"), "{text}");
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            assert!(line.starts_with("portvakt_"), "unprefixed series: {line}");
        }
    }
}
