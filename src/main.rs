//! The `portvakt` command: parse the command line, then hand over to `portvakt::cli`.

use clap::{Parser, Subcommand};
use portvakt::cli;
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of glibc malloc: the proxy path allocates and frees many small buffers across threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Authentication gateway for a municipality's employee services.
#[derive(Parser)]
#[command(name = "portvakt", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway.
    Run {
        /// Config file.
        #[arg(long, default_value = "config/portvakt.toml")]
        config: PathBuf,
        /// Take the listening sockets over from the running instance (started by `portvakt upgrade`).
        #[arg(long)]
        upgrade: bool,
    },
    /// Replace the running gateway's binary with the one on disk without dropping a connection.
    Upgrade {
        /// Config file of the running gateway (for its pid file).
        #[arg(long, default_value = "config/portvakt.toml")]
        config: PathBuf,
    },
    /// Check a config and every file it refers to; prints `ok` or FILE:LINE:COL: problem.
    Check {
        /// Config file.
        #[arg(long, default_value = "config/portvakt.toml")]
        config: PathBuf,
    },
    /// Explain the access decision for a user, service and zone.
    Explain {
        /// Config file.
        #[arg(long, default_value = "config/portvakt.toml")]
        config: PathBuf,
        /// Service name.
        #[arg(long)]
        service: String,
        /// Zone name (e.g. internal, remote).
        #[arg(long)]
        zone: String,
        /// Username.
        #[arg(long)]
        user: String,
        /// Groups, comma-separated.
        #[arg(long, value_delimiter = ',')]
        groups: Vec<String>,
        /// Realm (directory) the user logs in through (default: the first directory).
        #[arg(long)]
        realm: Option<String>,
        /// The user's institution (default: the realm's, from `[[institutions]]`).
        #[arg(long)]
        institution: Option<String>,
        /// Login methods used, comma-separated: password, sms, email, eid.
        #[arg(long, value_delimiter = ',', default_value = "password")]
        methods: Vec<String>,
        /// eID assurance of the login: low, substantial or high (default substantial with eid).
        #[arg(long)]
        assurance: Option<String>,
        /// Time of the request, RFC 3339.
        #[arg(long)]
        at: Option<String>,
    },
    /// Read a password on stdin and print an argon2id hash for the users file.
    HashPassword,
    /// Start a demo: three demo backends, demo users, codes printed here.
    Demo {
        /// Run with the shipped policies (policies/): opening hours, step-up, the portal's reasons.
        #[arg(long)]
        policies: bool,
        /// eID: start the local test OpenID Provider (Node, tests/support/oidc) on PORT+3 and offer it at login.
        #[arg(long)]
        eid: bool,
        /// First port: PORT is the internal listener, PORT+1 remote, PORT+2 schools (with --policies); the
        /// backends use PORT+1021 to PORT+1023.
        #[arg(long, default_value_t = portvakt::demo::DEFAULT_PORT)]
        port: u16,
    },
    /// Print a new keys file for `[store] keys_file` (index key and one sealing key); add `seal N ...` lines to rotate.
    StoreKeys,
    /// Write a self-signed development certificate, key, assertion key and store keys.
    DevCert {
        /// Output directory.
        #[arg(long, default_value = "certs")]
        out: PathBuf,
        /// Names for the certificate (default: localhost, 127.0.0.1, ::1).
        #[arg(long = "host")]
        hosts: Vec<String>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run { config, upgrade } => cli::run(&config, upgrade),
        Command::Upgrade { config } => cli::upgrade(&config),
        Command::Check { config } => cli::check(&config),
        Command::Explain { config, service, zone, user, groups, realm, institution, methods, assurance, at } => {
            cli::explain(&cli::ExplainArgs {
                config,
                service,
                zone,
                user,
                groups,
                realm,
                institution,
                methods,
                assurance,
                at,
            })
        }
        Command::HashPassword => cli::hash_password(),
        Command::Demo { policies, eid, port } => cli::demo(&portvakt::demo::DemoOptions { port, policies, eid }),
        Command::DevCert { out, hosts } => cli::dev_cert(&out, &hosts),
        Command::StoreKeys => {
            print!("{}", portvakt::store::seal::Secrets::generate_file_text());
            ExitCode::SUCCESS
        }
    }
}
