//! Real Redis for the tests: a standalone `redis-server` (plain or TLS, optionally with an ACL user) and a Sentinel
//! setup (1 master, 1 replica, 3 `redis-sentinel`s with fast failover), each on free loopback ports in a temp dir,
//! killed on drop. `scripts/install-test-deps` installs the binaries.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Name under which the Sentinels monitor the master.
pub const MASTER_NAME: &str = "portvakt-master";

/// How a standalone server is started.
#[derive(Debug, Clone, Default)]
pub struct RedisOptions {
    /// An ACL user (`username`, `password`) that may do everything; the `default` user is then switched off.
    pub acl_user: Option<(String, String)>,
    /// Serve TLS only (no plain port), with a fresh test CA; clients must present a certificate from that CA.
    pub tls: bool,
}

/// A test CA with a server and a client certificate, as PEM files in a directory.
#[derive(Debug, Clone)]
pub struct TestCa {
    /// The CA certificate (to trust as `ca_file`).
    pub ca_cert: PathBuf,
    /// The server certificate (names `localhost` and `127.0.0.1`).
    pub server_cert: PathBuf,
    /// The server key.
    pub server_key: PathBuf,
    /// A client certificate signed by the CA.
    pub client_cert: PathBuf,
    /// The client key.
    pub client_key: PathBuf,
}

impl TestCa {
    /// Generates a CA, a server certificate for localhost/127.0.0.1 and a client certificate under `dir`.
    pub fn generate(dir: &Path) -> TestCa {
        use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "Portvakt test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();

        let server_key = KeyPair::generate().unwrap();
        let mut sp = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        sp.distinguished_name.push(DnType::CommonName, "localhost");
        sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        let server = sp.signed_by(&server_key, &ca, &ca_key).unwrap();

        let client_key = KeyPair::generate().unwrap();
        let mut cp = CertificateParams::new(Vec::<String>::new()).unwrap();
        cp.distinguished_name.push(DnType::CommonName, "portvakt");
        cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = cp.signed_by(&client_key, &ca, &ca_key).unwrap();

        let write = |name: &str, text: String| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        TestCa {
            ca_cert: write("ca.pem", ca.pem()),
            server_cert: write("redis-server.pem", server.pem()),
            server_key: write("redis-server.key", server_key.serialize_pem()),
            client_cert: write("client.pem", client.pem()),
            client_key: write("client.key", client_key.serialize_pem()),
        }
    }
}

/// One `redis-server` or `redis-sentinel` process on 127.0.0.1; killed on drop.
pub struct RedisProcess {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its working directory (data, log).
    pub dir: PathBuf,
    args: Vec<String>,
    program: &'static str,
    child: Option<Child>,
}

impl RedisProcess {
    fn spawn(program: &'static str, port: u16, dir: PathBuf, args: Vec<String>) -> RedisProcess {
        let mut p = RedisProcess { port, dir, args, program, child: None };
        p.launch();
        p
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join(format!("{}-{}.log", self.program, self.port))
    }

    fn launch(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.log_path()).unwrap();
        let child = Command::new(self.program)
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e} (run scripts/install-test-deps)", self.program));
        self.child = Some(child);
        self.wait_listening();
    }

    fn wait_listening(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("{} on port {} exited ({status}):\n{}", self.program, self.port, self.log());
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{} did not listen on {addr}:\n{}", self.program, self.log());
    }

    /// What the process wrote to its log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the process again on the same port, with the same directory and data.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// Whether the process is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A standalone `redis-server` with append-only persistence (every write synced), so a killed server restarted on
/// the same directory comes back with its data.
pub struct RedisServer {
    /// The server process.
    pub process: RedisProcess,
    /// The test CA when started with TLS.
    pub ca: Option<TestCa>,
    /// The ACL user, if any.
    pub acl_user: Option<(String, String)>,
    _dir: TempDir,
}

impl RedisServer {
    /// A plain server without authentication.
    pub fn start() -> RedisServer {
        RedisServer::start_with(RedisOptions::default())
    }

    /// A server as the options say.
    pub fn start_with(opts: RedisOptions) -> RedisServer {
        let dir = tempfile::tempdir().unwrap();
        let port = super::free_port();
        let mut args: Vec<String> = vec![
            "--bind".into(),
            "127.0.0.1".into(),
            "--dir".into(),
            dir.path().display().to_string(),
            "--save".into(),
            "".into(),
            "--appendonly".into(),
            "yes".into(),
            "--appendfsync".into(),
            "always".into(),
            "--daemonize".into(),
            "no".into(),
        ];
        let ca = opts.tls.then(|| TestCa::generate(dir.path()));
        match &ca {
            Some(ca) => args.extend(
                [
                    "--port",
                    "0",
                    "--tls-port",
                    &port.to_string(),
                    "--tls-cert-file",
                    &ca.server_cert.display().to_string(),
                    "--tls-key-file",
                    &ca.server_key.display().to_string(),
                    "--tls-ca-cert-file",
                    &ca.ca_cert.display().to_string(),
                    "--tls-auth-clients",
                    "yes",
                ]
                .map(String::from),
            ),
            None => args.extend(["--port".to_string(), port.to_string()]),
        }
        if let Some((user, password)) = &opts.acl_user {
            args.extend(
                ["--user", user, "on", &format!(">{password}"), "~*", "&*", "+@all", "--user", "default", "off"]
                    .map(String::from),
            );
        }
        let process = RedisProcess::spawn("redis-server", port, dir.path().to_path_buf(), args);
        RedisServer { process, ca, acl_user: opts.acl_user, _dir: dir }
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.process.port
    }

    /// `redis://127.0.0.1:PORT` (or `rediss://localhost:PORT` with TLS).
    pub fn url(&self) -> String {
        match self.ca {
            Some(_) => format!("rediss://localhost:{}", self.port()),
            None => format!("redis://127.0.0.1:{}", self.port()),
        }
    }

    /// A synchronous admin connection (plain servers only).
    pub fn admin(&self) -> redis::Connection {
        assert!(self.ca.is_none(), "admin connections are for plain servers");
        let mut info = redis::IntoConnectionInfo::into_connection_info(self.url().as_str()).unwrap();
        if let Some((user, password)) = &self.acl_user {
            info = info.clone().set_redis_settings(
                info.redis_settings().clone().set_username(user.clone()).set_password(password.clone()),
            );
        }
        let client = redis::Client::open(info).unwrap();
        client.get_connection_with_timeout(Duration::from_secs(5)).unwrap()
    }

    /// Kills the server (SIGKILL); its data stays on disk.
    pub fn stop(&mut self) {
        self.process.kill();
    }

    /// Starts the server again on the same port with the data it had.
    pub fn start_again(&mut self) {
        self.process.restart();
        if self.ca.is_none() {
            // The append-only file is loaded before it answers anything but LOADING; wait until it is done.
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let ok = redis::cmd("PING").query::<String>(&mut self.admin()).is_ok();
                if ok || Instant::now() > deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Every key with its value as readable text (strings, hashes, sets, sorted sets, lists), as an operator's
    /// dump would show them: `redis-cli --scan` and a read of every key by its type.
    pub fn dump(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        dump_all(&mut self.admin())
    }
}

/// Every key of the connection's database with a readable rendering of its value.
pub fn dump_all(con: &mut redis::Connection) -> Vec<(Vec<u8>, Vec<u8>)> {
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(con).unwrap();
    let mut out = Vec::new();
    for k in keys {
        let kind: String = redis::cmd("TYPE").arg(&k).query(con).unwrap();
        let parts: Vec<Vec<u8>> = match kind.as_str() {
            "string" => vec![redis::cmd("GET").arg(&k).query(con).unwrap()],
            "hash" => redis::cmd("HGETALL").arg(&k).query(con).unwrap(),
            "set" => redis::cmd("SMEMBERS").arg(&k).query(con).unwrap(),
            "zset" => redis::cmd("ZRANGE").arg(&k).arg(0).arg(-1).arg("WITHSCORES").query(con).unwrap(),
            "list" => redis::cmd("LRANGE").arg(&k).arg(0).arg(-1).query(con).unwrap(),
            _ => vec![],
        };
        let mut v = Vec::new();
        for p in parts {
            v.extend_from_slice(&p);
            v.push(b'\n');
        }
        out.push((k, v));
    }
    out
}

/// Whether `needle` occurs anywhere in a dump, in keys or values.
pub fn dump_contains(dump: &[(Vec<u8>, Vec<u8>)], needle: &[u8]) -> bool {
    dump.iter()
        .any(|(k, v)| k.windows(needle.len()).any(|w| w == needle) || v.windows(needle.len()).any(|w| w == needle))
}

/// A Sentinel setup: a master, one replica and three Sentinels that fail over after about a second.
pub struct SentinelSetup {
    /// The first master.
    pub master: RedisProcess,
    /// The replica (the master after a failover).
    pub replica: RedisProcess,
    /// The three Sentinels.
    pub sentinels: Vec<RedisProcess>,
    /// Password the Sentinels require (`requirepass`), if any.
    pub sentinel_password: Option<String>,
    _dir: TempDir,
}

impl SentinelSetup {
    /// Starts master, replica and Sentinels and waits until the Sentinels know each other and the replica.
    /// With `sentinel_password`, the Sentinels require it from clients (and use it among themselves).
    pub fn start(sentinel_password: Option<&str>) -> SentinelSetup {
        let dir = tempfile::tempdir().unwrap();
        let (mport, rport) = (super::free_port(), super::free_port());
        let data = |name: &str| {
            let d = dir.path().join(name);
            std::fs::create_dir(&d).unwrap();
            d
        };
        let server_args = |port: u16, extra: &[String]| {
            let mut a: Vec<String> =
                ["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"]
                    .map(String::from)
                    .to_vec();
            a.extend_from_slice(extra);
            a
        };
        let master = RedisProcess::spawn("redis-server", mport, data("master"), server_args(mport, &[]));
        let replica = RedisProcess::spawn(
            "redis-server",
            rport,
            data("replica"),
            server_args(rport, &["--replicaof".into(), "127.0.0.1".into(), mport.to_string()]),
        );
        let mut sentinels = Vec::new();
        for i in 0..3 {
            let port = super::free_port();
            let d = data(&format!("sentinel{i}"));
            let mut conf = format!(
                "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                 sentinel monitor {MASTER_NAME} 127.0.0.1 {mport} 2\n\
                 sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
                 sentinel failover-timeout {MASTER_NAME} 3000\n\
                 sentinel parallel-syncs {MASTER_NAME} 1\n",
                dir = d.display()
            );
            if let Some(p) = sentinel_password {
                conf.push_str(&format!("requirepass {p}\nsentinel sentinel-pass {p}\n"));
            }
            let conf_path = d.join("sentinel.conf");
            std::fs::write(&conf_path, conf).unwrap();
            sentinels.push(RedisProcess::spawn("redis-sentinel", port, d, vec![conf_path.display().to_string()]));
        }
        let setup = SentinelSetup {
            master,
            replica,
            sentinels,
            sentinel_password: sentinel_password.map(str::to_string),
            _dir: dir,
        };
        setup.wait_ready();
        setup
    }

    /// `redis://127.0.0.1:PORT` of each Sentinel.
    pub fn sentinel_urls(&self) -> Vec<String> {
        self.sentinels.iter().map(|s| format!("redis://127.0.0.1:{}", s.port)).collect()
    }

    fn sentinel_con(&self, i: usize) -> Option<redis::Connection> {
        let mut info =
            redis::IntoConnectionInfo::into_connection_info(format!("redis://127.0.0.1:{}", self.sentinels[i].port))
                .unwrap();
        if let Some(p) = &self.sentinel_password {
            info = info.clone().set_redis_settings(info.redis_settings().clone().set_password(p.clone()));
        }
        redis::Client::open(info).ok()?.get_connection_with_timeout(Duration::from_secs(1)).ok()
    }

    /// The master's port as Sentinel `i` reports it.
    pub fn master_port_seen_by(&self, i: usize) -> Option<u16> {
        let mut c = self.sentinel_con(i)?;
        let addr: Option<(String, u16)> =
            redis::cmd("SENTINEL").arg("get-master-addr-by-name").arg(MASTER_NAME).query(&mut c).ok()?;
        addr.map(|(_, p)| p)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = (0..3).all(|i| {
                let Some(mut c) = self.sentinel_con(i) else { return false };
                let others: Vec<redis::Value> =
                    redis::cmd("SENTINEL").arg("sentinels").arg(MASTER_NAME).query(&mut c).unwrap_or_default();
                let replicas: Vec<redis::Value> =
                    redis::cmd("SENTINEL").arg("replicas").arg(MASTER_NAME).query(&mut c).unwrap_or_default();
                others.len() == 2 && replicas.len() == 1
            }) && replica_link_up(self.replica.port);
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "Sentinel setup not ready in 30 s:\n{}",
                self.sentinels.iter().map(RedisProcess::log).collect::<Vec<_>>().join("\n---\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the master and waits until every Sentinel names the replica as master and the replica says so itself.
    pub fn kill_master_and_wait_failover(&mut self) {
        self.master.kill();
        let want = self.replica.port;
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let switched = (0..3).all(|i| self.master_port_seen_by(i) == Some(want)) && role_of(want) == "master";
            if switched {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no failover within 40 s:\n{}",
                self.sentinels.iter().map(RedisProcess::log).collect::<Vec<_>>().join("\n---\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn plain_con(port: u16) -> Option<redis::Connection> {
    redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .ok()?
        .get_connection_with_timeout(Duration::from_secs(1))
        .ok()
}

fn replica_link_up(port: u16) -> bool {
    let Some(mut c) = plain_con(port) else { return false };
    let info: String = redis::cmd("INFO").arg("replication").query(&mut c).unwrap_or_default();
    info.contains("master_link_status:up")
}

/// `ROLE` of the server on `port` ("master", "slave"), or empty when it does not answer.
pub fn role_of(port: u16) -> String {
    let Some(mut c) = plain_con(port) else { return String::new() };
    let role: Vec<redis::Value> = redis::cmd("ROLE").query(&mut c).unwrap_or_default();
    match role.first() {
        Some(redis::Value::BulkString(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(redis::Value::SimpleString(s)) => s.clone(),
        _ => String::new(),
    }
}
