//! A real SMTP server for tests: `tests/support/smtp_server.py` (aiosmtpd) on a loopback port, writing every message
//! it receives to a temporary directory. Needs `scripts/install-test-deps` (it installs aiosmtpd).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How the test server protects its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpTls {
    /// Plain SMTP without STARTTLS.
    #[default]
    None,
    /// Offers STARTTLS with a fresh self-signed certificate for 127.0.0.1.
    StartTls,
    /// Implicit TLS (SMTPS) with that certificate.
    Implicit,
}

/// Options for [`SmtpServer::start_with`].
#[derive(Debug, Clone, Default)]
pub struct SmtpOptions {
    /// TLS mode.
    pub tls: SmtpTls,
    /// Require AUTH with this user and password (offered only after TLS).
    pub auth: Option<(String, String)>,
}

/// One message as the server received it, decoded.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// Address in the From header.
    pub from: String,
    /// First address in the To header.
    pub to: String,
    /// Decoded Subject.
    pub subject: String,
    /// Decoded text body (transfer encoding and charset undone), line ends as LF.
    pub body: String,
    /// SMTP envelope sender (MAIL FROM).
    pub envelope_from: String,
    /// SMTP envelope recipients (RCPT TO).
    pub envelope_to: Vec<String>,
    /// The user that authenticated, if any.
    pub auth_user: Option<String>,
    /// The message as received.
    pub raw: String,
}

/// A running aiosmtpd server; killed on drop (it also exits by itself when this process's end closes its stdin).
pub struct SmtpServer {
    /// Listening port on 127.0.0.1.
    pub port: u16,
    dir: TempDir,
    child: Child,
    cert: Option<PathBuf>,
}

impl SmtpServer {
    /// The `[email]` section that sends through this plain server, from the municipality's no-reply address.
    pub fn email_toml(&self) -> String {
        assert!(self.cert.is_none(), "email_toml describes a plain server; write the TLS section by hand");
        format!(
            "[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
             from = \"Portvakt <noreply@kommune.example>\"\ntimeout = \"5s\"\n",
            self.port
        )
    }

    /// Starts a plain SMTP server.
    pub fn start() -> SmtpServer {
        SmtpServer::start_with(SmtpOptions::default())
    }

    /// Starts a server with TLS and authentication as asked.
    pub fn start_with(opts: SmtpOptions) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let mail_dir = dir.path().join("mail");
        std::fs::create_dir(&mail_dir).unwrap();
        let port = super::free_port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_server.py");
        let mut cmd = Command::new("python3");
        cmd.arg(script).arg(&mail_dir).arg("--port").arg(port.to_string());
        let mut cert = None;
        if opts.tls != SmtpTls::None {
            let c = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
            let (cert_path, key_path) = (dir.path().join("smtp-cert.pem"), dir.path().join("smtp-key.pem"));
            std::fs::write(&cert_path, c.cert.pem()).unwrap();
            std::fs::write(&key_path, c.key_pair.serialize_pem()).unwrap();
            let flag = if opts.tls == SmtpTls::StartTls { "--starttls" } else { "--tls" };
            cmd.arg(flag).arg(&cert_path).arg(&key_path);
            cert = Some(cert_path);
        }
        if let Some((user, password)) = &opts.auth {
            cmd.arg("--auth").arg(format!("{user}:{password}"));
        }
        // stderr goes to a file: a pipe nobody reads could fill up and stall the server.
        let stderr = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
        let child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start python3 {script}: {e} (run scripts/install-test-deps)"));
        let mut server = SmtpServer { port, dir, child, cert };
        server.wait_listening();
        server
    }

    fn wait_listening(&mut self) {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                let err = std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default();
                panic!("SMTP test server exited ({status}); run scripts/install-test-deps.\n{err}");
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("SMTP test server did not listen on {addr}");
    }

    /// PEM certificate the server presents (with TLS), to trust as `ca_file`.
    pub fn cert_path(&self) -> &Path {
        self.cert.as_deref().expect("server started without TLS")
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mail_dir = self.dir.path().join("mail");
        let mut numbered: Vec<(u32, PathBuf)> = std::fs::read_dir(&mail_dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.unwrap().path();
                let n = p.file_name()?.to_str()?.strip_suffix(".eml")?.parse().ok()?;
                Some((n, p))
            })
            .collect();
        numbered.sort();
        numbered
            .into_iter()
            .map(|(n, p)| parse_mail(&std::fs::read(p).unwrap(), &mail_dir.join(format!("{n}.json"))))
            .collect()
    }

    /// Waits until at least `n` messages arrived, and returns them.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            if Instant::now() > deadline {
                panic!("expected {n} messages within {timeout:?}, got {}", m.len());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn parse_mail(raw: &[u8], envelope: &Path) -> ReceivedMail {
    let msg = mail_parser::MessageParser::default().parse(raw).expect("parseable message");
    let addr = |a: Option<&mail_parser::Address>| {
        a.and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_string()
    };
    let env: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(envelope).unwrap()).unwrap();
    ReceivedMail {
        from: addr(msg.from()),
        to: addr(msg.to()),
        subject: msg.subject().unwrap_or_default().to_string(),
        body: msg.body_text(0).unwrap_or_default().replace("\r\n", "\n"),
        envelope_from: env["mail_from"].as_str().unwrap_or_default().to_string(),
        envelope_to: env["rcpt_tos"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
        auth_user: env["auth_user"].as_str().map(str::to_string),
        raw: String::from_utf8_lossy(raw).into_owned(),
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
