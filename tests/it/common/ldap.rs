//! A real OpenLDAP `slapd` for the LDAP tests: started from a temp dir with a generated `slapd.conf` and an
//! `slapadd`-ed tree, listening on free loopback ports for plain LDAP (StartTLS offered) and LDAPS, with a test CA
//! that signed its certificate for `127.0.0.1` and `localhost`. Stopped on drop; can be stopped and started again
//! on the same ports and data to test outages.
//!
//! The tree (`dc=kommune,dc=example`):
//! - `ou=admin,ou=people`: anna (groups: finance-staff, and payroll through finance-staff), bjorn, kim, dave
//!   (`uid`, `cn`, `mail`, password [`super::PASSWORD`]); `ann` exists so that a wildcard would have a second match.
//!   anna and dave have a `mobile` (Swedish national and Norwegian international spelling); users cannot write entries.
//! - `ou=teachers,ou=people`: kim again (another account, other groups; `departmentNumber: Skola-Syd`), tove
//!   (`departmentNumber: Skola Nord`, an institution's title): the institution attribute of the institution tests.
//! - `ou=groups`: groupOfNames entries; payroll has finance-staff as a member (nesting).
//! - `cn=portvakt,ou=services`: the service account.
//!
//! Needs `slapd` and `ldap-utils` (`scripts/install-test-deps`).

use base64::Engine;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The suffix of the test tree.
pub const SUFFIX: &str = "dc=kommune,dc=example";
/// The rootdn (manager) used by tests to change entries.
pub const ROOT_DN: &str = "cn=admin,dc=kommune,dc=example";
/// The rootdn's password.
pub const ROOT_PW: &str = "root-secret";
/// The service account's DN.
pub const SERVICE_DN: &str = "cn=portvakt,ou=services,dc=kommune,dc=example";
/// The service account's password.
pub const SERVICE_PW: &str = "service-secret";

/// A running (or stopped) slapd.
pub struct Slapd {
    /// Temp dir with config, data, certificates.
    pub dir: tempfile::TempDir,
    /// Plain LDAP port (StartTLS available).
    pub ldap_port: u16,
    /// LDAPS port.
    pub ldaps_port: u16,
    /// The test CA (PEM file).
    pub ca_file: PathBuf,
    /// The service password file.
    pub password_file: PathBuf,
    child: Option<Child>,
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

fn person(uid: &str, ou: &str, cn: &str, mail: &str, password: &str) -> String {
    person_with(uid, ou, cn, mail, password, "")
}

/// A person with extra attribute lines (`departmentNumber: …\n`).
fn person_with(uid: &str, ou: &str, cn: &str, mail: &str, password: &str, extra: &str) -> String {
    format!(
        "dn: uid={uid},ou={ou},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {cn}\nsn: {cn}\n\
         displayName:: {}\nmail: {mail}\n{extra}userPassword:: {}\n\n",
        b64(cn),
        b64(password)
    )
}

fn group(cn: &str, members: &[&str]) -> String {
    let mut s = format!("dn: cn={cn},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {cn}\n");
    for m in members {
        s.push_str(&format!("member: {m}\n"));
    }
    s.push('\n');
    s
}

/// The DN of a person.
pub fn person_dn(uid: &str, ou: &str) -> String {
    format!("uid={uid},ou={ou},ou=people,{SUFFIX}")
}

impl Slapd {
    /// Generates the CA, config and tree, loads the tree with slapadd and starts slapd.
    pub fn start() -> Slapd {
        assert!(
            Path::new("/usr/sbin/slapd").exists(),
            "slapd is not installed: run scripts/install-test-deps (apt-get install slapd ldap-utils)"
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Test CA and a server certificate it signs, valid for the loopback names.
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Portvakt test LDAP CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
        let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
        std::fs::write(d.join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(d.join("server.pem"), cert.pem()).unwrap();
        std::fs::write(d.join("server-key.pem"), key.serialize_pem()).unwrap();
        std::fs::write(d.join("service-password"), format!("{SERVICE_PW}\n")).unwrap();
        std::fs::create_dir_all(d.join("data")).unwrap();
        let conf = format!(
            r#"include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {d}/slapd.pid
argsfile {d}/slapd.args
TLSCACertificateFile {d}/ca.pem
TLSCertificateFile {d}/server.pem
TLSCertificateKeyFile {d}/server-key.pem
database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PW}
directory {d}/data
index objectClass eq
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
"#,
            d = d.display()
        );
        std::fs::write(d.join("slapd.conf"), conf).unwrap();
        let pw = super::PASSWORD;
        let mut ldif = format!(
            "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: kommune\no: Kommunen\n\n\
             dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
             dn: ou=admin,ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: admin\n\n\
             dn: ou=teachers,ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: teachers\n\n\
             dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n\
             dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n\n\
             dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: portvakt\nuserPassword:: {}\n\n",
            b64(SERVICE_PW)
        );
        ldif.push_str(&person_with(
            "anna",
            "admin",
            "Anna Lindqvist",
            "anna@kommune.example",
            pw,
            "mobile: 070-765 43 21\n",
        ));
        ldif.push_str(&person("ann", "admin", "Ann Berg", "ann@kommune.example", "another password"));
        ldif.push_str(&person("bjorn", "admin", "Bjørn Ås", "bjorn@kommune.example", "bjorns eget lösenord"));
        ldif.push_str(&person_with(
            "dave",
            "admin",
            "Dave Dahl",
            "dave@kommune.example",
            pw,
            "mobile: +47 41 23 45 67\n",
        ));
        ldif.push_str(&person("kim", "admin", "Kim Admin", "kim.admin@kommune.example", pw));
        ldif.push_str(&person_with(
            "kim",
            "teachers",
            "Kim Lärare",
            "kim@skola.kommune.example",
            pw,
            "departmentNumber: Skola-Syd\n",
        ));
        ldif.push_str(&person_with(
            "tove",
            "teachers",
            "Tove Tå",
            "tove@skola.kommune.example",
            pw,
            "departmentNumber: Skola Nord\n",
        ));
        ldif.push_str(&group("finance-staff", &[&person_dn("anna", "admin")]));
        ldif.push_str(&group("payroll", &[&format!("cn=finance-staff,ou=groups,{SUFFIX}")]));
        ldif.push_str(&group("admin-staff", &[&person_dn("kim", "admin"), &person_dn("dave", "admin")]));
        ldif.push_str(&group("teachers", &[&person_dn("kim", "teachers"), &person_dn("tove", "teachers")]));
        std::fs::write(d.join("tree.ldif"), ldif).unwrap();
        let out = Command::new("/usr/sbin/slapadd")
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .arg("-l")
            .arg(d.join("tree.ldif"))
            .output()
            .unwrap();
        assert!(out.status.success(), "slapadd failed: {}", String::from_utf8_lossy(&out.stderr));
        let mut s = Slapd {
            ca_file: d.join("ca.pem"),
            password_file: d.join("service-password"),
            ldap_port: super::free_port(),
            ldaps_port: super::free_port(),
            dir,
            child: None,
        };
        s.resume();
        s
    }

    /// Starts slapd (again) on the same ports and data, and waits until both ports accept connections.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "slapd already running");
        let urls = format!("ldap://127.0.0.1:{}/ ldaps://127.0.0.1:{}/", self.ldap_port, self.ldaps_port);
        let log = std::fs::File::create(self.dir.path().join("slapd.log")).unwrap();
        // -d 0: stay in the foreground (so this handle can stop it) without debug output.
        let child = Command::new("/usr/sbin/slapd")
            .arg("-f")
            .arg(self.dir.path().join("slapd.conf"))
            .arg("-h")
            .arg(&urls)
            .arg("-d")
            .arg("0")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        for port in [self.ldap_port, self.ldaps_port] {
            let mut ok = false;
            for _ in 0..200 {
                if TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(100)).is_ok() {
                    ok = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            let log = std::fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default();
            assert!(ok, "slapd did not listen on {port}: {log}");
        }
    }

    /// Stops slapd (kills it and waits); its ports refuse connections afterwards.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `ldaps://127.0.0.1:PORT`.
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.ldaps_port)
    }

    /// `ldap://127.0.0.1:PORT` (StartTLS or plain).
    pub fn ldap_url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.ldap_port)
    }

    /// A `[[directories]]` entry of kind ldap for this server; `extra` lines go into `[directories.ldap]`.
    pub fn directory_toml(&self, name: &str, title: &str, base: &str, extra: &str) -> String {
        format!(
            r#"[[directories]]
name = "{name}"
title = "{title}"
kind = "ldap"

[directories.ldap]
urls = ["{url}"]
ca_file = "{ca}"
bind_dn = "{SERVICE_DN}"
bind_password_file = "{pw}"
base_dn = "{base}"
user_filter = "(&(objectClass=inetOrgPerson)(!(description=disabled)))"
login_attributes = ["uid", "mail"]
display_name_attribute = "displayName"
group_source = "search"
group_base_dn = "ou=groups,{SUFFIX}"
group_filter = "(member={{dn}})"
nested_groups = true
connect_timeout = "2s"
timeout = "3s"
{extra}
"#,
            url = self.ldaps_url(),
            ca = self.ca_file.display(),
            pw = self.password_file.display(),
        )
    }

    /// Runs `ldapmodify` as the rootdn over plain LDAP on loopback with the given LDIF.
    pub fn modify(&self, ldif: &str) {
        use std::io::Write;
        let mut child = Command::new("ldapmodify")
            .args(["-x", "-H", &self.ldap_url(), "-D", ROOT_DN, "-w", ROOT_PW])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ldapmodify (ldap-utils) runs");
        child.stdin.take().unwrap().write_all(ldif.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "ldapmodify failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Marks a person disabled: the tests' user filter excludes `description=disabled`.
    pub fn disable(&self, uid: &str, ou: &str) {
        self.modify(&format!(
            "dn: {}\nchangetype: modify\nreplace: description\ndescription: disabled\n",
            person_dn(uid, ou)
        ));
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}
