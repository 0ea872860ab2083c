"""``gpmb tls init``: a local certificate authority and a server certificate, so the
office's tablets reach ``https://<server>:8000`` — a secure context, which the browser
requires before it gives a page GPS and a service worker.

The office installs the CA certificate (``ca.crt``) once on every tablet; the server
certificate names the server's host names and IP addresses and can be re-issued
(another name, a new IP, expiry) with the same CA, so tablets need nothing new. Keys are
made by the ``openssl`` command (Debian's ``openssl`` package), which the project already
relies on through Python and PostgreSQL; no new Python dependency.
"""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gis.core.errors import ConfigurationError, InvalidInput
from gis.core.settings import get_settings

console = Console()
tls_app = typer.Typer(help="HTTPS trong mạng nội bộ (để máy tính bảng dùng được GPS).",
                      no_args_is_help=True)

CA_DAYS = 3650
SERVER_DAYS = 825  # the longest validity phones and browsers accept for a server certificate
CA_NAME = "GPMB Lạng Sơn — CA nội bộ"


def tls_dir() -> Path:
    """Where the CA and the server certificate live (under the data directory)."""
    return get_settings().data_dir / "tls"


def server_files(directory: Path | None = None) -> tuple[Path, Path]:
    """(certificate, key) of the server, as ``gpmb serve --tls`` uses them."""
    base = directory or tls_dir()
    return base / "server.crt", base / "server.key"


def _openssl(*args: str) -> str:
    exe = shutil.which("openssl")
    if exe is None:
        raise ConfigurationError("openssl not found", message_vi="Không tìm thấy lệnh openssl; "
                                 "hãy cài gói openssl (apt-get install openssl).")
    done = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ConfigurationError(f"openssl {args[0]}: {done.stderr.strip()}",
                                 message_vi=f"openssl báo lỗi: {done.stderr.strip()}")
    return done.stdout


def default_names() -> tuple[list[str], list[str]]:
    """This machine's host names and IPv4 addresses (loopback included)."""
    host = socket.gethostname()
    names = list(dict.fromkeys([host, socket.getfqdn(), f"{host}.local", "localhost"]))
    ips = {"127.0.0.1"}
    with contextlib.suppress(OSError):
        ips.update(str(a[4][0]) for a in socket.getaddrinfo(host, None, socket.AF_INET))
    # The address of the interface a LAN packet would leave from (nothing is sent).
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))
        ips.add(probe.getsockname()[0])
    return [n for n in names if n], sorted(ips)


def _san(names: list[str], ips: list[str]) -> str:
    for ip in ips:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise InvalidInput(f"bad IP {ip}", message_vi=f"Địa chỉ IP “{ip}” không hợp lệ.",
                               field="ip") from None
    return ",".join([*(f"DNS:{n}" for n in names), *(f"IP:{i}" for i in ips)])


def make_ca(directory: Path) -> None:
    """A new CA key (600) and its self-signed certificate."""
    key, crt = directory / "ca.key", directory / "ca.crt"
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", str(key))
    key.chmod(0o600)
    _openssl("req", "-x509", "-new", "-key", str(key), "-sha256", "-days", str(CA_DAYS),
             "-subj", f"/O=GPMB Lạng Sơn/CN={CA_NAME}", "-utf8", "-out", str(crt),
             "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    # Android's certificate installer also takes DER (.cer).
    _openssl("x509", "-in", str(crt), "-outform", "DER", "-out", str(directory / "ca.cer"))


def issue_server(directory: Path, names: list[str], ips: list[str]) -> Path:
    """A server key and a certificate for ``names`` and ``ips``, signed by the CA; the
    pair replaces the old one only once both are made (never a key without its cert)."""
    crt, key = server_files(directory)
    san = _san(names, ips)
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        new_key, new_crt = Path(tmp) / "server.key", Path(tmp) / "server.crt"
        csr, ext = Path(tmp) / "server.csr", Path(tmp) / "server.ext"
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", str(new_key))
        new_key.chmod(0o600)
        _openssl("req", "-new", "-key", str(new_key), "-subj",
                 f"/O=GPMB Lạng Sơn/CN={names[0]}", "-utf8", "-out", str(csr))
        ext.write_text(f"subjectAltName={san}\nbasicConstraints=critical,CA:FALSE\n"
                       "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
                       encoding="utf-8")
        _openssl("x509", "-req", "-in", str(csr), "-CA", str(directory / "ca.crt"),
                 "-CAkey", str(directory / "ca.key"), "-CAcreateserial", "-sha256",
                 "-days", str(SERVER_DAYS), "-extfile", str(ext), "-out", str(new_crt))
        new_key.replace(key)
        new_crt.replace(crt)
    return crt


@tls_app.command("init")
def init(
    name: Annotated[list[str] | None, typer.Option("--name", help="Tên máy chủ (lặp lại được)")]
    = None,
    ip: Annotated[list[str] | None, typer.Option("--ip", help="Địa chỉ IP (lặp lại được)")]
    = None,
    out: Annotated[Path | None, typer.Option(help="Thư mục lưu chứng chỉ")] = None,
    new_ca: Annotated[bool, typer.Option("--new-ca", help="Tạo CA mới (máy tính bảng phải "
                                         "cài lại)")] = False,
) -> None:
    """Tạo CA nội bộ (một lần) và chứng chỉ máy chủ cho các tên/IP của máy này."""
    directory = out or tls_dir()
    directory.mkdir(parents=True, exist_ok=True)
    names, ips = default_names()
    names = list(dict.fromkeys([*(name or []), *names]))
    ips = sorted({*(ip or []), *ips})
    _san(names, ips)  # refuse a bad name or address before anything is written
    fresh = new_ca or not (directory / "ca.key").exists()
    if fresh:
        make_ca(directory)
    crt = issue_server(directory, names, ips)
    console.print(f"[green]{'Đã tạo CA mới' if fresh else 'Dùng lại CA có sẵn'}:[/] "
                  f"{directory / 'ca.crt'} (và ca.cer cho Android)")
    console.print(f"[green]Chứng chỉ máy chủ:[/] {crt} — tên: {', '.join(names)}; "
                  f"IP: {', '.join(ips)}")
    lan = (ip or [i for i in ips if i != "127.0.0.1"] or ips)[0]
    console.print("Bước tiếp theo: cài ca.crt trên từng máy tính bảng (một lần), rồi chạy "
                  "[bold]gpmb serve --tls --host 0.0.0.0[/] và mở "
                  f"[bold]https://{lan}:8000/field[/]. Xem docs/field.md.")
