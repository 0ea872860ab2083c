"""The ``gpmb`` command line (Typer)."""

from __future__ import annotations

import copy
import getpass
import logging
import socket
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from api.cli_db import db_app, demo_app, prepare_database
from api.cli_export import export_app
from api.cli_import import import_app
from api.cli_report import report_app
from api.cli_tls import server_files, tls_app
from gis.core.domain import Role
from gis.core.errors import ConfigurationError, GpmbError, InvalidInput
from gis.core.settings import get_settings
from gis.db.engine import Database, open_database, session_factory

console = Console()
app = typer.Typer(help="GPMB — theo dõi giải phóng mặt bằng Lạng Sơn.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
user_app = typer.Typer(help="Tài khoản người dùng.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(report_app, name="report")
app.add_typer(tls_app, name="tls")


class QuietTileRequests(logging.Filter):
    """Leaves successful parcel-tile requests out of uvicorn's access log: a map view asks
    for dozens of tiles, and formatting and writing a line for each costs the tile time.
    Failed tile requests (status ≥ 400) are still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for ``GET /tiles/…`` answered with a status below 400."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 5:
            path, status = args[2], args[4]
            if isinstance(path, str) and path.startswith("/tiles/") and isinstance(status, int):
                return status >= 400
        return True


def _log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with tile requests left out of the access log."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"quiet_tiles": {"()": QuietTileRequests}}
    config["loggers"]["uvicorn.access"]["filters"] = ["quiet_tiles"]
    return config


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _pick_port(host: str, port: int) -> int:
    for candidate in range(port, port + 20):
        if _port_free(host, candidate):
            return candidate
    raise InvalidInput(f"ports {port}–{port + 19} on {host} are all taken; use --port",
                       message_vi=f"Các cổng {port}–{port + 19} đều đang bận; chọn --port khác.")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Địa chỉ lắng nghe")] = None,
    port: Annotated[int | None, typer.Option(help="Cổng HTTP")] = None,
    demo: Annotated[bool, typer.Option(help="Nạp dữ liệu mẫu nếu CSDL trống")] = True,
    tls: Annotated[bool, typer.Option("--tls", help="Phục vụ HTTPS bằng chứng chỉ của "
                                      "'gpmb tls init' (máy tính bảng cần để dùng GPS)")] = False,
) -> None:
    """Chạy ứng dụng: khởi động CSDL, cập nhật lược đồ, nạp dữ liệu mẫu nếu trống, phục vụ web."""
    import uvicorn

    from api.app import create_app
    from web.assets import VENDOR_DIR, missing_vendor_files

    settings = get_settings()
    missing = missing_vendor_files()
    if missing:  # the map pages would draw nothing, silently (their scripts answer 404)
        raise ConfigurationError(
            f"front-end assets missing from {VENDOR_DIR}: {', '.join(missing[:5])}"
            f"{' …' if len(missing) > 5 else ''}; run `npm ci --prefix web` then "
            "`python -m web.assets` (scripts/run.sh does both)",
            message_vi="Thiếu tệp giao diện (Leaflet…); chạy `bash scripts/run.sh` hoặc "
            "`npm ci --prefix web && python -m web.assets`.")
    ssl: dict[str, str] = {}
    if tls:
        cert, key = server_files()
        if not (cert.exists() and key.exists()):
            raise InvalidInput(f"no certificate at {cert}", message_vi=f"Chưa có chứng chỉ "
                               f"HTTPS ({cert}); hãy chạy 'gpmb tls init' trước.", field="tls")
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    host = host or settings.host
    wanted = port or settings.port
    chosen = _pick_port(host, wanted)
    if chosen != wanted:
        console.print(f"[yellow]Cổng {wanted} đang bận, dùng cổng {chosen}.[/]")
    db = Database(settings)
    try:
        engine = db.open()
        first_admin = prepare_database(engine, settings, load_demo=demo, console=console)
        db.reopen(serving=True)
        url = f"{'https' if tls else 'http'}://{host}:{chosen}"
        console.rule("[bold green]GPMB đã sẵn sàng")
        console.print(f"Mở trình duyệt: [bold]{url}[/]   (tình trạng: {url}/health)")
        if first_admin is not None:
            console.print(
                f"Đăng nhập lần đầu: tài khoản [bold]{first_admin.username}[/], mật khẩu "
                f"[bold]{first_admin.password}[/] (chỉ hiện một lần — hãy lưu lại)."
            )
        else:
            console.print("Đăng nhập bằng tài khoản đã tạo; quên mật khẩu: "
                          "[bold]gpmb user reset-password admin[/]")
        console.print("Dừng: Ctrl+C (CSDL nội bộ sẽ được tắt an toàn).")
        proxies = settings.trusted_proxies.strip()
        uvicorn.run(create_app(settings, database=db), host=host, port=chosen, log_level="info",
                    log_config=_log_config(), proxy_headers=bool(proxies),
                    forwarded_allow_ips=proxies or None, **ssl)  # type: ignore[arg-type]
    finally:
        db.close()


def _read_password(confirm: bool = True) -> str:
    """From standard input when it is not a terminal (scripts), otherwise asked twice."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu: ")
    if confirm and getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise InvalidInput("passwords differ", message_vi="Hai lần nhập mật khẩu không khớp.")
    return first


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[Role, typer.Option(help="admin | staff | leader | field")],
    project: Annotated[list[str] | None, typer.Option(help="Mã dự án (lặp lại được)")] = None,
    commune: Annotated[list[str] | None, typer.Option(help="Mã xã/phường")] = None,
    full_name: Annotated[str, typer.Option(help="Họ tên")] = "",
) -> None:
    """Tạo tài khoản; mật khẩu đọc từ stdin nếu không phải terminal."""
    from gis.access.accounts import create_user

    password = _read_password()
    with open_database(get_settings()) as engine, session_factory(engine).begin() as session:
        user = create_user(session, username, role, password, full_name=full_name,
                           projects=project, communes=commune)
        console.print(f"Đã tạo tài khoản [bold]{user.username}[/] ({user.role.value}).")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Khoá tài khoản."""
    from gis.access.accounts import set_active

    with open_database(get_settings()) as engine, session_factory(engine).begin() as session:
        set_active(session, username, active=False)
    console.print(f"Đã khoá tài khoản [bold]{username}[/].")


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Mở khoá tài khoản."""
    from gis.access.accounts import set_active

    with open_database(get_settings()) as engine, session_factory(engine).begin() as session:
        set_active(session, username, active=True)
    console.print(f"Đã mở khoá tài khoản [bold]{username}[/].")


@user_app.command("role")
def user_role(username: str,
              role: Annotated[Role, typer.Argument(help="admin | staff | leader | field")]
              ) -> None:
    """Đổi vai trò của tài khoản."""
    from gis.access.accounts import set_role

    with open_database(get_settings()) as engine, session_factory(engine).begin() as session:
        set_role(session, username, role)
    console.print(f"Tài khoản [bold]{username}[/] nay có vai trò {role.value}.")


@user_app.command("scope")
def user_scope(
    username: str,
    project: Annotated[list[str] | None, typer.Option(help="Mã dự án (lặp lại được)")] = None,
    commune: Annotated[list[str] | None, typer.Option(help="Mã xã/phường")] = None,
) -> None:
    """Giao dự án/xã cho tài khoản (thay toàn bộ phân công cũ; bỏ trống = bỏ phân công)."""
    from gis.access.accounts import set_scope

    with open_database(get_settings()) as engine, session_factory(engine).begin() as session:
        set_scope(session, username, projects=project or [], communes=commune or [])
    console.print(f"Đã cập nhật phân công cho [bold]{username}[/].")


@user_app.command("reset-password")
def user_reset_password(username: str) -> None:
    """Đặt lại mật khẩu (đọc từ stdin nếu không phải terminal)."""
    from gis.access.accounts import reset_password

    password = _read_password()
    with open_database(get_settings()) as engine, session_factory(engine).begin() as session:
        reset_password(session, username, password)
    console.print(f"Đã đặt lại mật khẩu cho [bold]{username}[/].")


def main() -> None:
    """Entry point: domain errors become a clear message and exit code 2, no traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except GpmbError as exc:
        console.print(f"[bold red]Lỗi:[/] {exc.message_vi}")
        if exc.detail and exc.detail != exc.message_vi:
            console.print(f"[red]{exc.detail}[/]", highlight=False)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
