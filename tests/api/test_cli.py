"""The real `gpmb` command: serve, users, bad database URLs, backup and restore."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import text

from gis.core.settings import Settings
from gis.db import migrate
from gis.db.engine import make_engine
from tests.support import GPMB, gpmb_env


def gpmb(*args: str, url: str | None = None, stdin: str | None = None,
         timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GPMB, *args], input=stdin, capture_output=True, text=True,
                          env=gpmb_env(url, **env), timeout=timeout)


def test_served_app_answers_health(live_server: str) -> None:
    body = httpx.get(live_server + "/health", timeout=10).json()
    assert body["status"] == "ok"
    assert body["demo_project"]["code"] == "CT-HNCL"
    assert body["database"]["embedded"] is False


def test_unreachable_database_fails_fast_without_traceback() -> None:
    started = time.monotonic()
    res = gpmb("db", "status", url="postgresql://gpmb:x@127.0.0.1:9/gpmb", timeout=30)
    assert time.monotonic() - started < 10
    assert res.returncode == 2
    out = res.stdout + res.stderr
    assert "Không kết nối được cơ sở dữ liệu" in out
    assert "Traceback" not in out


def test_wrong_url_scheme_is_explained() -> None:
    res = gpmb("db", "status", url="mysql://root@localhost/gpmb")
    assert res.returncode == 2
    assert "postgresql://" in res.stdout + res.stderr


def test_user_add_reads_password_from_stdin(db_url: str) -> None:
    ok = gpmb("user", "add", "nguyen.van.an", "--role", "staff", "--full-name", "Nguyễn Văn An",
              url=db_url, stdin="mat-khau-rat-manh\n")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    again = gpmb("user", "add", "nguyen.van.an", "--role", "staff", url=db_url,
                 stdin="mat-khau-rat-manh\n")
    assert again.returncode == 2 and "đã tồn tại" in again.stdout
    short = gpmb("user", "add", "tran.thi.b", "--role", "leader", url=db_url, stdin="ngan\n")
    assert short.returncode == 2 and "ít nhất 10 ký tự" in short.stdout
    unknown = gpmb("user", "add", "vi.van.c", "--role", "field", "--project", "KHONG-CO",
                   url=db_url, stdin="mat-khau-rat-manh\n")
    assert unknown.returncode == 2 and "KHONG-CO" in unknown.stdout


def test_backup_then_restore_brings_data_back(make_database: Callable[[str], str],
                                             test_settings: Settings, tmp_path: Path) -> None:
    url = make_database("gpmb_backup")
    eng = make_engine(url, test_settings)
    migrate.upgrade(eng)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO projects (code, name, investment_form, owner) VALUES "
                          "('KDT-01', 'Khu đô thị mới Mai Pha', 'non_budget', 'Nhà đầu tư')"))
    eng.dispose()
    backup = gpmb("db", "backup", str(tmp_path / "b.dump"), url=url)
    assert backup.returncode == 0, backup.stdout + backup.stderr
    assert (tmp_path / "b.dump").stat().st_size > 0

    eng = make_engine(url, test_settings)
    with eng.begin() as conn:
        conn.execute(text("DELETE FROM projects"))
    eng.dispose()
    restored = gpmb("db", "restore", str(tmp_path / "b.dump"), "--yes", url=url)
    assert restored.returncode == 0, restored.stdout + restored.stderr

    eng = make_engine(url, test_settings)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT name FROM projects")).scalar_one() == \
            "Khu đô thị mới Mai Pha"
        x = conn.execute(text("SELECT ST_X(ST_Transform(ST_SetSRID(ST_MakePoint("
                              "106.761, 21.853), 4326), 9215))")).scalar_one()
        assert abs(x - 449262.451) < 0.01
    eng.dispose()


def test_restore_of_a_missing_file_changes_nothing(db_url: str, tmp_path: Path) -> None:
    res = gpmb("db", "restore", str(tmp_path / "none.dump"), "--yes", url=db_url)
    assert res.returncode == 2
    assert "Không tìm thấy tệp sao lưu" in res.stdout


def test_serve_refuses_loudly_without_the_front_end_assets(tmp_path: Path) -> None:
    """A copy of the code without web/static/vendor (as a bare `pip install .` would be)
    must not serve map pages whose scripts answer 404: it stops with the fix."""
    import shutil

    root = Path(__file__).resolve().parents[2]
    for package in ("api", "gis", "web"):
        shutil.copytree(root / package, tmp_path / package, symlinks=True, ignore=shutil
                        .ignore_patterns("node_modules", "vendor", "__pycache__"))
    res = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--no-demo"],
                         cwd=tmp_path, env=gpmb_env(None, GPMB_DATA_DIR=str(tmp_path / "var")),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Thiếu tệp giao diện" in res.stdout
    assert "python -m web.assets" in res.stdout
    assert not (tmp_path / "var" / "pg").exists()  # refused before touching the database
