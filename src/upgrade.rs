//! Zero-downtime binary upgrade of the `portvakt run` process.
//!
//! On SIGUSR2 (sent by `portvakt upgrade`, or `systemctl kill -s USR2 --kill-whom=main portvakt`) the running process
//! starts the binary now on disk at its own path as `portvakt run --upgrade` with the same config, as its own child,
//! so the new process lives in the same systemd service (cgroup, sandbox, credentials). Once the child listens on
//! `[server] upgrade_socket`, the old process hands it the listening sockets (pingora's graceful upgrade), tells
//! systemd `MAINPID=<child>` (allowed: it is still the main process, `NotifyAccess=main`), keeps serving what it has
//! for pingora's close timeout and `[server] grace_period`, and exits. The child writes the pid file and sends
//! `READY=1` once it serves. If the child fails before taking the sockets, the old process keeps serving.

use crate::config::Config;
use async_trait::async_trait;
use pingora::server::{ShutdownSignal, ShutdownSignalWatch};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the old process waits for the new one to open the upgrade socket before giving up and serving on.
const CHILD_START_LIMIT: Duration = Duration::from_secs(60);

/// The process side of a binary upgrade: paths, and the trigger that makes pingora hand the sockets over.
#[derive(Debug)]
pub struct Handover {
    /// This process was started with `--upgrade` and takes the listening sockets over from the one it replaces.
    pub taking_over: bool,
    config_path: PathBuf,
    pid_file: PathBuf,
    upgrade_socket: PathBuf,
    trigger: tokio::sync::Notify,
    busy: AtomicBool,
}

impl Handover {
    /// The handover for a config read from `config_path`; makes the upgrade socket's directory (0700) if missing.
    pub fn new(cfg: &Config, config_path: PathBuf, taking_over: bool) -> Handover {
        let config_path = std::path::absolute(&config_path).unwrap_or(config_path);
        let upgrade_socket = PathBuf::from(&cfg.server.upgrade_socket);
        if let Some(dir) = upgrade_socket.parent().filter(|d| !d.as_os_str().is_empty()) {
            check_private_dir(dir);
        }
        Handover {
            taking_over,
            config_path,
            pid_file: PathBuf::from(&cfg.server.pid_file),
            upgrade_socket,
            trigger: tokio::sync::Notify::new(),
            busy: AtomicBool::new(false),
        }
    }

    /// Writes this process's id to the pid file (atomically: a reader never sees a half-written file).
    pub fn write_pid_file(&self) {
        let tmp = self.pid_file.with_extension(format!("tmp{}", std::process::id()));
        let written = std::fs::write(&tmp, format!("{}\n", std::process::id()))
            .and_then(|()| std::fs::rename(&tmp, &self.pid_file));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            tracing::warn!(pid_file = %self.pid_file.display(), error = %e, "cannot write the pid file ([server] pid_file)");
        }
    }

    /// Removes the pid file if it still names this process (after an upgrade it names the new one).
    pub fn remove_pid_file(&self) {
        if read_pid(&self.pid_file) == Some(std::process::id()) {
            let _ = std::fs::remove_file(&self.pid_file);
        }
    }

    /// Starts the binary on disk as the replacement of this process and hands the listening sockets over once it
    /// waits for them; on any failure before that, logs why and keeps serving.
    pub async fn start_upgrade(self: Arc<Self>) {
        if self.busy.swap(true, Ordering::SeqCst) {
            tracing::warn!("binary upgrade already under way; SIGUSR2 ignored");
            return;
        }
        match self.spawn_and_wait().await {
            Ok(child) => {
                tracing::info!(
                    new_pid = child,
                    "handing the listening sockets to the new process; this one drains and exits"
                );
                // systemd first, so the new process is the main one before it can send READY=1 (NotifyAccess=main).
                let _ = sd_notify::notify(false, &[sd_notify::NotifyState::MainPid(child)]);
                self.trigger.notify_one();
            }
            Err(why) => {
                tracing::error!(error = %why, "binary upgrade failed; this process keeps serving");
                self.busy.store(false, Ordering::SeqCst);
            }
        }
    }

    async fn spawn_and_wait(&self) -> Result<u32, String> {
        let exe = current_binary().map_err(|e| format!("cannot find this program's path: {e}"))?;
        match std::fs::remove_file(&self.upgrade_socket) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(format!("{}: cannot remove the old upgrade socket: {e}", self.upgrade_socket.display()))
            }
        }
        tracing::info!(binary = %exe.display(), "binary upgrade: starting the new process");
        let mut child = std::process::Command::new(&exe)
            .arg("run")
            .arg("--config")
            .arg(&self.config_path)
            .arg("--upgrade")
            // The new process becomes the main process: its watchdog pings must not be dropped as another pid's.
            .env_remove("WATCHDOG_PID")
            .stdin(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: cannot start: {e}", exe.display()))?;
        let start = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Err(format!("the new process exited before taking over ({status})")),
                Ok(None) => {}
                Err(e) => return Err(format!("cannot watch the new process: {e}")),
            }
            if self.upgrade_socket.exists() {
                return Ok(child.id());
            }
            if start.elapsed() > CHILD_START_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the new process did not open {} within {CHILD_START_LIMIT:?}",
                    self.upgrade_socket.display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Creates `dir` with mode 0700 when missing; warns when it is open to other users, who could then take the
/// listening sockets on an upgrade.
fn check_private_dir(dir: &Path) {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.exists() {
        if let Err(e) = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot create the upgrade socket's directory");
        }
        return;
    }
    if let Ok(m) = std::fs::metadata(dir) {
        if m.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                dir = %dir.display(),
                "the upgrade socket's directory is open to other users; make it 0700 (systemd: RuntimeDirectoryMode=0700)"
            );
        }
    }
}

/// The path of the binary on disk: after a package upgrade replaced the file, `/proc/self/exe` names the old, deleted
/// one as "PATH (deleted)"; the new binary is at PATH.
pub fn current_binary() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let text = exe.to_string_lossy();
    match text.strip_suffix(" (deleted)") {
        Some(p) => Ok(PathBuf::from(p)),
        None => Ok(exe),
    }
}

/// The pid in a pid file, if it holds one.
pub fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The Unix signals of the `portvakt run` process, plus the upgrade trigger: SIGQUIT or a started upgrade hand the
/// sockets over (pingora's graceful upgrade), SIGTERM drains and stops, SIGINT stops at once.
#[derive(Debug)]
pub struct ProcessSignals(Arc<Handover>);

impl ProcessSignals {
    /// Signals for the process whose upgrade is `handover`.
    pub fn new(handover: Arc<Handover>) -> ProcessSignals {
        ProcessSignals(handover)
    }
}

/// Waits for one signal of `kind`, forever if it cannot be watched.
async fn one(kind: tokio::signal::unix::SignalKind) {
    match tokio::signal::unix::signal(kind) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for a signal");
            std::future::pending::<()>().await;
        }
    }
}

#[async_trait]
impl ShutdownSignalWatch for ProcessSignals {
    async fn recv(&self) -> ShutdownSignal {
        use tokio::signal::unix::SignalKind;
        tokio::select! {
            _ = one(SignalKind::quit()) => ShutdownSignal::GracefulUpgrade,
            _ = self.0.trigger.notified() => ShutdownSignal::GracefulUpgrade,
            _ = one(SignalKind::terminate()) => ShutdownSignal::GracefulTerminate,
            _ = one(SignalKind::interrupt()) => ShutdownSignal::FastShutdown,
        }
    }
}

/// What `portvakt upgrade` found.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    /// No running gateway in the pid file.
    #[error("{0}: no pid in it; is portvakt running with this config? ([server] pid_file)")]
    NoPid(String),
    /// The pid file names a process that is gone.
    #[error("{path}: process {pid} is not running (or not ours to signal): {why}")]
    NotRunning {
        /// The pid file.
        path: String,
        /// The pid in it.
        pid: u32,
        /// The error of kill(2).
        why: String,
    },
    /// The new process did not take over in time.
    #[error("the new process did not take over within {0:?}; the old one (pid {1}) keeps serving: see its log")]
    Timeout(Duration, u32),
}

/// `portvakt upgrade`: asks the running gateway (pid file) to replace itself with the binary now on disk, and waits
/// until the new process serves and has written its pid; returns (old pid, new pid).
pub fn request(cfg: &Config, limit: Duration) -> Result<(u32, u32), UpgradeError> {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    let path = PathBuf::from(&cfg.server.pid_file);
    let shown = path.display().to_string();
    let old = read_pid(&path).ok_or_else(|| UpgradeError::NoPid(shown.clone()))?;
    let pid = Pid::from_raw(i32::try_from(old).map_err(|_| UpgradeError::NoPid(shown.clone()))?);
    kill(pid, Signal::SIGUSR2).map_err(|e| UpgradeError::NotRunning { path: shown, pid: old, why: e.to_string() })?;
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(new) = read_pid(&path).filter(|p| *p != old) {
            return Ok((old, new));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(UpgradeError::Timeout(limit, old))
}
