"""The embedded PostgreSQL + PostGIS cluster: a private server under ``data/var/pg``.

Initialised on first use (never over an existing data directory), started on a free
loopback port, stopped cleanly. When GPMB runs as root the server runs as an
unprivileged system user (initdb and postgres refuse root).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gis.core.errors import ClusterError, ConfigurationError

log = logging.getLogger(__name__)

DB_NAME = "gpmb"
DB_SUPERUSER = "gpmb"
APT_INSTALL = "sudo apt-get update && sudo apt-get install -y postgresql postgresql-15-postgis-3"

State = Literal["absent", "stopped", "running"]


@dataclass(frozen=True)
class ClusterStatus:
    """What ``gpmb db status`` reports."""

    state: State
    data_dir: Path
    port: int | None
    version: str | None


def find_pg_bin(configured: Path | None = None) -> Path:
    """Directory of the newest installed PostgreSQL server binaries (initdb, pg_ctl…)."""
    if configured is not None:
        if (configured / "pg_ctl").exists():
            return configured
        raise ConfigurationError(f"GPMB_PG_BIN_DIR={configured} has no pg_ctl")
    candidates = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not candidates:
        found = shutil.which("initdb")
        if found:
            return Path(found).parent
        raise ConfigurationError(
            "PostgreSQL server is not installed. Install it with: " + APT_INSTALL,
            message_vi="Chưa cài PostgreSQL. Chạy lệnh: " + APT_INSTALL,
        )
    return candidates[-1]


def server_major_version(bin_dir: Path) -> str:
    """Major version of the binaries in ``bin_dir``, e.g. '15'."""
    out = subprocess.run(
        [str(bin_dir / "pg_ctl"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if not match:
        raise ClusterError(f"cannot read the PostgreSQL version from: {out!r}")
    return match.group(1)


def postgis_installed(major: str) -> bool:
    """True when the PostGIS extension files exist for this server version."""
    return bool(glob.glob(f"/usr/share/postgresql/{major}/extension/postgis.control"))


def free_port(preferred: int) -> int:
    """``preferred`` if nothing listens there on loopback, otherwise any free port.

    SO_REUSEADDR, as PostgreSQL itself sets it: a port whose last connections are still in
    TIME_WAIT (a server stopped a moment ago) counts as free, which it is for the server."""
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise ClusterError("no free TCP port on 127.0.0.1")


class EmbeddedCluster:
    """A private PostgreSQL cluster rooted at ``<data_dir>/pg``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        preferred_port: int = 54329,
        bin_dir: Path | None = None,
        os_user: str = "postgres",
        durable: bool = True,
    ) -> None:
        self.root = self._reachable_root(data_dir.resolve() / "pg", os_user)
        self.pgdata = self.root / "data"
        self.secret_file = self.root / "superuser.secret"
        self.log_file = self.root / "postgres.log"
        self.socket_dir = self.root / "run"
        self.port_file = self.root / "port"
        self.preferred_port = preferred_port
        self._bin_dir = bin_dir
        self.os_user = os_user
        self.durable = durable

    # -- helpers -----------------------------------------------------------------------
    @staticmethod
    def _as_root() -> bool:
        return os.geteuid() == 0

    @classmethod
    def _reachable_root(cls, root: Path, os_user: str) -> Path:
        """As root, the server user must reach the folder; else use /var/lib/gpmb/<hash>."""
        if not cls._as_root():
            return root
        probe = root.parent
        while not probe.exists():
            probe = probe.parent
        ok = subprocess.run(
            ["runuser", "-u", os_user, "--", "test", "-x", str(probe)], capture_output=True
        ).returncode == 0
        if ok:
            return root
        # e.g. a checkout under /root (mode 700): keep the cluster where postgres can reach
        # it, and leave a pointer next to the checkout.
        alt = Path("/var/lib/gpmb") / hashlib.sha1(str(root).encode()).hexdigest()[:12] / "pg"
        root.parent.mkdir(parents=True, exist_ok=True)
        (root.parent / "pg.location").write_text(f"{alt}\n", encoding="utf-8")
        return alt

    @property
    def bin_dir(self) -> Path:
        """PostgreSQL binaries used for this cluster."""
        if self._bin_dir is None:
            self._bin_dir = find_pg_bin()
        return self._bin_dir

    def _run(self, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_root():
            cmd = ["runuser", "-u", self.os_user, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        if check and proc.returncode != 0:
            raise ClusterError(
                f"{args[0]} failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()}"
            )
        return proc

    def _chown(self, path: Path) -> None:
        if not self._as_root():
            return
        try:
            pw = pwd.getpwnam(self.os_user)
        except KeyError as exc:
            raise ConfigurationError(
                f"system user {self.os_user!r} does not exist; install PostgreSQL ({APT_INSTALL})"
                " or set GPMB_DB_OS_USER to an unprivileged user"
            ) from exc
        for dirpath, _dirs, files in os.walk(path):
            os.chown(dirpath, pw.pw_uid, pw.pw_gid)
            for name in files:
                os.chown(os.path.join(dirpath, name), pw.pw_uid, pw.pw_gid)

    def password(self) -> str:
        """The generated superuser password (stored 0600 next to the cluster)."""
        try:
            return self.secret_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError as exc:
            raise ClusterError(
                f"{self.secret_file} is missing: the cluster's password file was removed"
            ) from exc

    # -- state ------------------------------------------------------------------------
    def is_initialised(self) -> bool:
        """True when a data directory exists (even if it is not a valid one)."""
        return self.pgdata.exists() and any(self.pgdata.iterdir())

    def check_data_dir(self) -> str:
        """Refuse a data directory we must not touch; return its PostgreSQL major version."""
        version_file = self.pgdata / "PG_VERSION"
        if not version_file.exists():
            raise ClusterError(
                f"{self.pgdata} is not empty but is not a PostgreSQL data directory "
                "(PG_VERSION missing). It was left untouched; move it away or set GPMB_DATA_DIR.",
                message_vi="Thư mục dữ liệu không hợp lệ; hệ thống không tự khởi tạo lại.",
            )
        data_version = version_file.read_text(encoding="utf-8").strip()
        server = server_major_version(self.bin_dir)
        if data_version != server:
            raise ClusterError(
                f"{self.pgdata} was created by PostgreSQL {data_version} but the installed "
                f"server is {server}. Install postgresql-{data_version} or upgrade the data "
                "with pg_upgrade; nothing was changed.",
                message_vi="Thư mục dữ liệu thuộc phiên bản PostgreSQL khác.",
            )
        return data_version

    def running_port(self) -> int | None:
        """Port of the server running on this data directory, or None."""
        if not self.is_initialised():
            return None
        proc = self._run(["pg_ctl", "status", "-D", str(self.pgdata)], check=False)
        if proc.returncode != 0:
            return None
        try:
            lines = (self.pgdata / "postmaster.pid").read_text(encoding="utf-8").splitlines()
            return int(lines[3])
        except (OSError, IndexError, ValueError):
            return None

    def recorded_port(self) -> int | None:
        """The port this cluster was given at its first start (kept across restarts)."""
        try:
            return int(self.port_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None

    def current_port(self) -> int | None:
        """Where the server listens now (its postmaster.pid), else the recorded port. Cheap:
        asked by the app's engine at every new connection."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text(encoding="utf-8").splitlines()
            return int(lines[3])
        except (OSError, IndexError, ValueError):
            return self.recorded_port()

    def status(self) -> ClusterStatus:
        """Whether the cluster exists and runs, and on which port."""
        if not self.is_initialised():
            return ClusterStatus("absent", self.pgdata, None, None)
        version = self.check_data_dir()
        port = self.running_port()
        return ClusterStatus("running" if port else "stopped", self.pgdata, port, version)

    # -- lifecycle --------------------------------------------------------------------
    def init(self) -> bool:
        """Create the cluster if there is none; returns True when it was created now."""
        if self.is_initialised():
            self.check_data_dir()
            return False
        major = server_major_version(self.bin_dir)
        if not postgis_installed(major):
            raise ConfigurationError(
                f"PostGIS for PostgreSQL {major} is not installed: "
                f"sudo apt-get install -y postgresql-{major}-postgis-3",
                message_vi=f"Chưa cài PostGIS: apt-get install postgresql-{major}-postgis-3",
            )
        self.root.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        secret = secrets.token_urlsafe(24)
        self.secret_file.write_text(secret + "\n", encoding="utf-8")
        self.secret_file.chmod(0o600)
        pwfile = self.root / ".initdb-pw"
        pwfile.write_text(secret + "\n", encoding="utf-8")
        self._chown(self.root)
        try:
            self._run([
                "initdb", "-D", str(self.pgdata), "-U", DB_SUPERUSER, f"--pwfile={pwfile}",
                "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=vi-VN",
            ])
        except ClusterError:
            shutil.rmtree(self.pgdata, ignore_errors=True)  # ours, created a moment ago
            raise
        finally:
            pwfile.unlink(missing_ok=True)
        return True

    def start(self) -> int:
        """Start the server if it is not running; return its port."""
        if not self.is_initialised():
            raise ClusterError("the cluster is not initialised; run `gpmb db start`")
        self.check_data_dir()
        port = self.running_port()
        if port is not None:
            return port
        wanted = self.recorded_port() or self.preferred_port
        port = free_port(wanted)
        if port != wanted and self.recorded_port() is not None:
            log.warning("port %s of the embedded cluster is taken by another program; "
                        "using %s (recorded in %s)", wanted, port, self.port_file)
        self.socket_dir.mkdir(exist_ok=True)
        self._chown(self.socket_dir)
        options = [
            f"-p {port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.socket_dir}",
            "-c shared_buffers=256MB",
            "-c work_mem=32MB",
            "-c maintenance_work_mem=512MB",
            "-c max_wal_size=4GB",
            "-c jit=off",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        proc = self._run(
            ["pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.log_file), "-w",
             "-t", "60", "-o", " ".join(options)],
            check=False,
        )
        if proc.returncode != 0:
            raise ClusterError(self._explain_start_failure(proc.stderr or proc.stdout))
        self._ensure_database(port)
        self.port_file.write_text(f"{port}\n", encoding="utf-8")
        return port

    def _explain_start_failure(self, output: str) -> str:
        log = ""
        with contextlib.suppress(OSError):
            log = self.log_file.read_text(encoding="utf-8", errors="replace")[-4000:]
        text = output + "\n" + log
        if "lock file" in text and "already exists" in text:
            return (f"{self.pgdata} is locked by another PostgreSQL server "
                    "(postmaster.pid). Stop that server first; nothing was changed.")
        if "incompatible with server" in text:
            return f"{self.pgdata} belongs to another PostgreSQL version; nothing was changed."
        if "checkpoint record" in text or ("invalid" in text.lower() and "record" in text):
            return (f"{self.pgdata} looks corrupt (no valid checkpoint). Restore a backup "
                    "(`gpmb db restore FILE`); the directory was not re-initialised.")
        tail = "\n".join(text.strip().splitlines()[-8:])
        return f"PostgreSQL did not start (log: {self.log_file}):\n{tail}"

    def _ensure_database(self, port: int) -> None:
        import psycopg

        with psycopg.connect(self.admin_dsn(port, "postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    def stop(self) -> bool:
        """Stop the server (fast shutdown); returns False when it was not running."""
        if self.running_port() is None:
            return False
        self._run(["pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60"])
        return True

    def admin_dsn(self, port: int, dbname: str = DB_NAME) -> str:
        """libpq connection string for the cluster's superuser."""
        return (f"host=127.0.0.1 port={port} dbname={dbname} user={DB_SUPERUSER} "
                f"password={self.password()} connect_timeout=5")

    def url(self, port: int) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of the cluster's database."""
        return f"postgresql+psycopg://{DB_SUPERUSER}:{self.password()}@127.0.0.1:{port}/{DB_NAME}"

    def ensure_running(self) -> tuple[str, bool]:
        """Initialise if needed and start; return (url, started_now)."""
        self.init()
        was_running = self.running_port() is not None
        port = self.start()
        return self.url(port), not was_running
