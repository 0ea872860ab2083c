"""``gpmb tls init`` makes a local CA and a server certificate for the server's names and
IPs (checked with openssl); a second run keeps the CA the tablets trust; ``gpmb serve
--tls`` answers HTTPS that verifies against that CA, and says what to do without one."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support import GPMB, gpmb_env, running_server


def _tls(db_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GPMB, "tls", "init", *args], capture_output=True, text=True,
                          env=gpmb_env(db_url, GPMB_DATA_DIR=str(data_dir)), timeout=120)


def _openssl(*args: str) -> str:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def tls_home(tmp_path_factory: pytest.TempPathFactory, db_url: str) -> Path:
    home = tmp_path_factory.mktemp("tls")
    done = _tls(db_url, home, "--name", "gpmb.test", "--ip", "192.168.1.20")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Đã tạo CA mới" in done.stdout and "https://192.168.1.20:8000/field" in done.stdout
    return home


def test_init_makes_a_ca_and_a_server_certificate_for_the_names(tls_home: Path,
                                                                db_url: str) -> None:
    tls = tls_home / "tls"
    ca, crt, key = tls / "ca.crt", tls / "server.crt", tls / "server.key"
    assert "server.crt: OK" in _openssl("verify", "-CAfile", str(ca), str(crt))
    san = _openssl("x509", "-in", str(crt), "-noout", "-ext", "subjectAltName")
    for wanted in ("DNS:gpmb.test", "DNS:localhost", "IP Address:192.168.1.20",
                   "IP Address:127.0.0.1"):
        assert wanted in san
    assert "CA:TRUE" in _openssl("x509", "-in", str(ca), "-noout", "-ext", "basicConstraints")
    assert "TLS Web Server Authentication" in _openssl("x509", "-in", str(crt), "-noout",
                                                       "-ext", "extendedKeyUsage")
    assert (tls / "ca.cer").stat().st_size > 0  # DER, for Android's installer
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert oct((tls / "ca.key").stat().st_mode & 0o777) == "0o600"
    before_ca, before_crt = ca.read_bytes(), crt.read_bytes()
    again = _tls(db_url, tls_home, "--ip", "10.0.0.7")
    assert again.returncode == 0 and "Dùng lại CA có sẵn" in again.stdout
    assert ca.read_bytes() == before_ca and crt.read_bytes() != before_crt
    assert "IP Address:10.0.0.7" in _openssl("x509", "-in", str(crt), "-noout", "-ext",
                                             "subjectAltName")
    bad = _tls(db_url, tls_home, "--ip", "999.1.1.1")
    assert bad.returncode != 0 and "không hợp lệ" in bad.stdout + bad.stderr


def test_serve_tls_answers_https_verified_by_the_local_ca(tls_home: Path, db_url: str,
                                                          tmp_path: Path) -> None:
    ca = tls_home / "tls" / "ca.crt"
    trust = ssl.create_default_context(cafile=ca)
    with running_server(db_url, tls_home, tmp_path / "tls.log", tls_ca=ca) as base:
        assert base.startswith("https://")
        res = httpx.get(base + "/health", verify=trust, timeout=10)
        assert res.status_code == 200 and res.json()["status"] == "ok"
        login = httpx.get(base + "/login", verify=trust, timeout=10)
        assert login.status_code == 200
        with pytest.raises(httpx.HTTPError):
            httpx.get(base.replace("https://", "http://") + "/health", timeout=5)
        with pytest.raises(httpx.ConnectError):  # a CA the client does not know: refused
            httpx.get(base + "/health", timeout=5)


def test_serve_tls_without_a_certificate_says_what_to_run(db_url: str, tmp_path: Path) -> None:
    done = subprocess.run([*GPMB, "serve", "--tls", "--no-demo"], capture_output=True,
                          text=True, timeout=120,
                          env=gpmb_env(db_url, GPMB_DATA_DIR=str(tmp_path)))
    assert done.returncode != 0
    assert "gpmb tls init" in done.stdout + done.stderr
