//! Prometheus metrics: one [`Metrics`] per gateway, served in the text format on the admin listener only
//! (`[admin] listen`, see [`crate::admin`]).
//!
//! Every name starts with `portvakt_`. Label values are bounded: zone and service names from the config, status
//! codes, and fixed words from enums (`password`, `success`, `idle`, ...); never user names, addresses or paths.
//! The request series, updated by both worker threads on every request, are kept per thread and summed when
//! `/metrics` is read ([`requests`]); their zone × service series exist from the start. The rest are updated on
//! logins, denials, store and directory calls: an atomic add on a series created on first use (a short write lock
//! once, then read locks).
//!
//! Domain code does not update counters by hand: it emits an [`crate::audit::AuditEvent`], and the event is counted
//! here ([`crate::audit::Observer::emit`]) whether or not an audit file is written, so the audit trail and the metrics never
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

pub mod requests;
pub mod stores;

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

/// The upper bounds of a histogram of `N` buckets, as prometheus_client's `exponential_buckets(start, 3.0, N - 1)`
/// and `+Inf` give them (the per-thread series show the same `le` values as the families they replaced).
fn bucket_bounds<const N: usize>(start: f64) -> [f64; N] {
    let mut out = [f64::INFINITY; N];
    let finite = u16::try_from(N.saturating_sub(1)).unwrap_or(u16::MAX);
    for (slot, b) in out.iter_mut().zip(exponential_buckets(start, 3.0, finite)) {
        *slot = b;
    }
    out
}

/// The bucket `seconds` falls in: the first whose bound is at least `seconds` (NaN: the last, `+Inf`), as
/// prometheus_client's histogram places it.
fn bucket_of(bounds: &[f64], seconds: f64) -> usize {
    let last = bounds.len().saturating_sub(1);
    if seconds.is_nan() {
        last
    } else {
        bounds.iter().position(|b| *b >= seconds).unwrap_or(last)
    }
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
    /// `portvakt_requests_total{zone,service,status}` and `portvakt_request_duration_seconds{zone,service}`, kept
    /// per worker thread ([`requests`]).
    pub requests: Arc<requests::RequestSeries>,
    /// The request series' index of each service (config order), of the gateway's own pages and of "no service".
    request_services: (Vec<usize>, usize, usize),
    /// The request series' index of "no zone".
    request_no_zone: usize,
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
    /// `portvakt_store_operations_total{store,op,result}` and `portvakt_store_operation_duration_seconds{store,op}`,
    /// kept per worker thread ([`stores`]).
    pub stores: Arc<stores::StoreSeries>,
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
        // The request series: every zone × service (and the gateway's own pages) shown from the start, then the
        // labels of requests refused before classification or routing. Each label value once (a service named
        // like one of those words shares its series, as it did when series were found by label).
        let mut zone_labels: Vec<Name> = Vec::new();
        let mut service_labels: Vec<Name> = Vec::new();
        let index_of = |labels: &mut Vec<Name>, name: &str| match labels.iter().position(|l| &*l.0 == name) {
            Some(i) => i,
            None => {
                labels.push(Name::from(name));
                labels.len() - 1
            }
        };
        for z in zones {
            index_of(&mut zone_labels, z);
        }
        let service_index: Vec<usize> = services.iter().map(|s| index_of(&mut service_labels, s)).collect();
        let gateway_index = index_of(&mut service_labels, GATEWAY_SERVICE);
        let shown = (zone_labels.len(), service_labels.len());
        let no_zone_index = index_of(&mut zone_labels, "none");
        let no_service_index = index_of(&mut service_labels, NO_SERVICE);
        let request_series = Arc::new(requests::RequestSeries::new(zone_labels, service_labels, shown));
        let store_series = Arc::new(stores::StoreSeries::default());
        let m = Metrics {
            requests: request_series.clone(),
            request_services: (service_index, gateway_index, no_service_index),
            request_no_zone: no_zone_index,
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
            stores: store_series.clone(),
            directory_ops: Family::default(),
            directory_duration: Family::new_with_constructor(backend_histogram),
            eid_errors: Family::default(),
            reloads: Family::default(),
            policy_rules: Gauge::default(),
            account_changes: Family::default(),
            audit_dropped: Counter::default(),
            registry: Registry::default(),
            services: services.to_vec(),
        };
        // Registered first, as the two families it replaces were.
        r.register_collector(Box::new(requests::RequestCollector(request_series)));
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
        r.register_collector(Box::new(stores::StoreCollector(store_series)));
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

    /// Counts one finished request (pingora's logging phase) of `zone` (`None`: refused before classification;
    /// a name not in the config counts as `none`) and `served`, in this worker thread's own counters: no lock, no
    /// label hashing, nothing the other worker threads write.
    pub fn request(&self, zone: Option<&str>, served: Served, status: u16, took: Duration) {
        let zone = zone.and_then(|z| self.requests.zone_index(z)).unwrap_or(self.request_no_zone);
        let (by_config, gateway, nowhere) = &self.request_services;
        let service = match served {
            Served::Service(i) => by_config.get(i).copied().unwrap_or(*nowhere),
            Served::Gateway => *gateway,
            Served::Nowhere => *nowhere,
        };
        self.requests.observe(zone, service, status, took.as_secs_f64());
    }

    /// Counts a failed request to a backend.
    pub fn upstream_error(&self, service: &Arc<str>, kind: &'static str) {
        self.upstream_errors.get_or_create(&UpstreamLabels { service: Name(service.clone()), kind }).inc();
    }

    /// Counts a store operation, in this worker thread's own counters ([`stores`]).
    pub fn store_op(&self, store: &'static str, op: &'static str, ok: bool, took: Duration) {
        self.stores.observe(store, op, ok, took.as_secs_f64());
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

/// What answered a request, for its `service` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// The service at this index of the config's services.
    Service(usize),
    /// The gateway's own pages (`portvakt`).
    Gateway,
    /// Nothing was routed (`none`).
    Nowhere,
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
        m.request(Some("internal"), Served::Service(0), 200, Duration::from_millis(3));
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

    /// The request series kept per thread expose what the prometheus_client families they replace exposed for the
    /// same requests: the same names, HELP and TYPE lines, labels, bucket bounds and values (order aside),
    /// including series at zero from the start, a status outside the lock-free set, and unclassified requests.
    #[test]
    fn request_series_expose_what_the_families_did() {
        let zones: Vec<Arc<str>> = vec![Arc::from("internal"), Arc::from("remote")];
        let services: Vec<Arc<str>> = vec![Arc::from("wiki"), Arc::from("expense")];
        let m = Metrics::new(&zones, &services);
        // The families as they were, fed the same requests.
        let mut r = Registry::with_prefix("portvakt");
        let requests: Family<RequestLabels, Counter> = Family::default();
        let durations: Histograms<ZoneService> =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 3.0, 11)));
        r.register("requests", "Requests answered, by zone, service and status", requests.clone());
        r.register(
            "request_duration_seconds",
            "Time from the request head to the last byte of the answer, by zone and service",
            durations.clone(),
        );
        let names = |s: &str| Name::from(s);
        for z in ["internal", "remote"] {
            for s in ["wiki", "expense", "portvakt"] {
                for status in [200u16, 302, 401, 403, 404, 502, 503] {
                    let _ = requests.get_or_create(&RequestLabels { zone: names(z), service: names(s), status });
                }
                let _ = durations.get_or_create(&ZoneService { zone: names(z), service: names(s) });
            }
        }
        let cases = [
            (Some("internal"), Served::Service(0), "internal", "wiki", 200, 3),
            (Some("internal"), Served::Service(0), "internal", "wiki", 200, 40_000),
            (Some("remote"), Served::Service(1), "remote", "expense", 418, 1),
            (Some("remote"), Served::Gateway, "remote", "portvakt", 302, 0),
            (Some("internal"), Served::Nowhere, "internal", "none", 404, 2),
            (None, Served::Nowhere, "none", "none", 400, 1),
            (Some("internal"), Served::Service(1), "internal", "expense", 0, 120),
        ];
        for (zone, served, zl, sl, status, ms) in cases {
            let took = Duration::from_millis(ms);
            m.request(zone, served, status, took);
            requests.get_or_create(&RequestLabels { zone: names(zl), service: names(sl), status }).inc();
            durations.get_or_create(&ZoneService { zone: names(zl), service: names(sl) }).observe(took.as_secs_f64());
        }
        let mut want = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut want, &r);
        let ours = |line: &&str| {
            ["portvakt_requests", "portvakt_request_duration_seconds"]
                .iter()
                .any(|n| line.strip_prefix("# HELP ").or(line.strip_prefix("# TYPE ")).unwrap_or(line).starts_with(n))
        };
        let sorted = |text: &str| {
            let mut v: Vec<String> = text.lines().filter(ours).map(str::to_string).collect();
            v.sort();
            v
        };
        let got = m.render();
        let (want, got) = (sorted(&want), sorted(&got));
        assert!(want.len() > 100, "{want:#?}");
        assert_eq!(got, want);
    }

    /// Requests counted on two threads are each counted in that thread's own counters (nothing shared is written
    /// per request), and a scrape adds them up exactly.
    #[test]
    fn requests_count_per_thread_and_add_up() {
        let m = Metrics::new(&[Arc::from("internal")], &[Arc::from("wiki")]);
        // Both threads stay alive until both counted (a thread that ended leaves its slot to the next one).
        let both = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            for n in [300u64, 500] {
                let (m, both) = (&m, &both);
                s.spawn(move || {
                    for _ in 0..n {
                        m.request(Some("internal"), Served::Service(0), 200, Duration::from_micros(700));
                    }
                    both.wait();
                });
            }
        });
        let mut per_thread = m.requests.per_thread_counts();
        per_thread.sort_unstable();
        assert_eq!(per_thread, [300, 500]);
        let text = m.render();
        assert!(
            text.contains("portvakt_requests_total{zone=\"internal\",service=\"wiki\",status=\"200\"} 800\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "portvakt_request_duration_seconds_bucket{le=\"0.0015\",zone=\"internal\",service=\"wiki\"} 800\n"
            ),
            "{text}"
        );
    }

    /// The store series kept per thread expose what the prometheus_client families they replace exposed for the
    /// same operations (names, HELP, TYPE, labels, buckets, values; series from their first operation), and each
    /// thread counts into its own cells.
    #[test]
    fn store_series_expose_what_the_families_did() {
        let m = Metrics::new(&[Arc::from("internal")], &[Arc::from("wiki")]);
        let mut r = Registry::with_prefix("portvakt");
        let ops: Family<StoreLabels, Counter> = Family::default();
        let durations: Histograms<StoreOp> = Family::new_with_constructor(backend_histogram);
        r.register("store_operations", "State store operations by store, operation and result", ops.clone());
        r.register(
            "store_operation_duration_seconds",
            "State store operation latency by store and operation",
            durations.clone(),
        );
        let cases = [
            ("sessions", "get_and_touch", true, 80),
            ("sessions", "get_and_touch", true, 9_000),
            ("sessions", "get_and_touch", false, 2_000_000),
            ("sessions", "create", true, 400),
            ("challenges", "open", false, 10),
        ];
        let both = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            for half in [&cases[..2], &cases[2..]] {
                let (m, both) = (&m, &both);
                s.spawn(move || {
                    for (store, op, ok, us) in half {
                        m.store_op(store, op, *ok, Duration::from_micros(*us));
                    }
                    both.wait();
                });
            }
        });
        for (store, op, ok, us) in cases {
            let result = if ok { result::SUCCESS } else { result::ERROR };
            ops.get_or_create(&StoreLabels { store, op, result }).inc();
            durations.get_or_create(&StoreOp { store, op }).observe(Duration::from_micros(us).as_secs_f64());
        }
        let mut per_thread = m.stores.per_thread_counts();
        per_thread.sort_unstable();
        assert_eq!(per_thread, [2, 3]);
        let mut want = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut want, &r);
        let ours = |line: &&str| {
            let name = line.strip_prefix("# HELP ").or(line.strip_prefix("# TYPE ")).unwrap_or(line);
            name.starts_with("portvakt_store_operation")
        };
        let sorted = |text: &str| {
            let mut v: Vec<String> = text.lines().filter(ours).map(str::to_string).collect();
            v.sort();
            v
        };
        let (want, got) = (sorted(&want), sorted(&m.render()));
        assert!(want.len() > 40, "{want:#?}");
        assert_eq!(got, want);
    }
}
