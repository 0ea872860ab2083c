"""``gpmb db …`` and ``gpmb demo …`` commands, and the start-up preparation of ``serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine, func, select

from gis.access.accounts import FirstAdmin, ensure_first_admin
from gis.core.errors import InvalidInput
from gis.core.settings import Settings, get_settings
from gis.db import migrate
from gis.db.engine import cluster_for, open_database, redact, session_factory
from gis.db.status import database_report
from gis.models import Project

console = Console()
db_app = typer.Typer(help="Cơ sở dữ liệu (PostgreSQL + PostGIS).", no_args_is_help=True)
demo_app = typer.Typer(help="Dữ liệu mẫu: cao tốc Hữu Nghị – Chi Lăng.", no_args_is_help=True)


def prepare_database(
    engine: Engine, settings: Settings, *, load_demo: bool, console: Console
) -> FirstAdmin | None:
    """Migrate, seed reference data, load the demo if empty, create the first admin."""
    from gis.db.seed import seed_reference

    with console.status("Cập nhật lược đồ CSDL…"):
        migrate.upgrade(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        seed_reference(session)
        empty = not session.scalar(select(func.count()).select_from(Project))
    if load_demo and empty:
        from gis.demo.load import load_demo as load

        load(engine, parcels=settings.demo_parcels, seed=settings.demo_seed, console=console)
    with sessions.begin() as session:
        return ensure_first_admin(session)


def _embedded_only(settings: Settings) -> None:
    if not settings.uses_embedded_db:
        raise InvalidInput(
            "DATABASE_URL is set: the server is managed outside GPMB",
            message_vi="Đang dùng DATABASE_URL: máy chủ CSDL do bên ngoài quản lý.",
        )


@db_app.command("start")
def db_start() -> None:
    """Khởi tạo (lần đầu) và khởi động cụm PostgreSQL nội bộ."""
    settings = get_settings()
    _embedded_only(settings)
    cluster = cluster_for(settings)
    with console.status("Khởi động PostgreSQL nội bộ…"):
        created = cluster.init()
        port = cluster.start()
    console.print(("Đã khởi tạo và khởi động" if created else "Đang chạy") +
                  f" tại 127.0.0.1:{port} (dữ liệu: {cluster.pgdata})")


@db_app.command("stop")
def db_stop() -> None:
    """Tắt cụm PostgreSQL nội bộ."""
    settings = get_settings()
    _embedded_only(settings)
    stopped = cluster_for(settings).stop()
    console.print("Đã tắt PostgreSQL nội bộ." if stopped else "PostgreSQL nội bộ không chạy.")


@db_app.command("status")
def db_status() -> None:
    """Tình trạng CSDL: nơi lưu, cổng, phiên bản, lược đồ, dự án mẫu."""
    settings = get_settings()
    if settings.uses_embedded_db:
        status = cluster_for(settings).status()
        console.print(f"CSDL nội bộ: {status.state} · dữ liệu {status.data_dir}"
                      + (f" · cổng {status.port}" if status.port else ""))
        if status.state != "running":
            return
    with open_database(settings) as engine:
        report = database_report(engine)
        console.print(f"Máy chủ: {redact(engine.url.render_as_string(hide_password=False))}")
    for key, value in report.items():
        console.print(f"  {key}: {value}")


@db_app.command("migrate")
def db_migrate(
    revision: Annotated[str, typer.Option(help="Phiên bản lược đồ đích")] = "head",
) -> None:
    """Cập nhật lược đồ CSDL (Alembic) và dữ liệu tham chiếu."""
    from gis.db.seed import seed_reference

    with open_database(get_settings()) as engine:
        migrate.upgrade(engine, revision)
        if revision == "head":
            with session_factory(engine).begin() as session:
                seed_reference(session)
        console.print(f"Lược đồ ở phiên bản {migrate.current_revision(engine)}.")


@db_app.command("backup")
def db_backup(
    target: Annotated[Path | None, typer.Argument(help="Tệp hoặc thư mục đích")] = None,
) -> None:
    """Sao lưu CSDL (pg_dump, định dạng custom)."""
    from gis.db.backup import backup

    settings = get_settings()
    target = target or settings.data_dir / "backups"
    with open_database(settings) as engine, console.status("Đang sao lưu…"):
        path = backup(engine.url.render_as_string(hide_password=False), target)
    console.print(f"Đã sao lưu vào {path}")


@db_app.command("restore")
def db_restore(
    source: Path,
    yes: Annotated[bool, typer.Option("--yes", help="Không hỏi xác nhận")] = False,
) -> None:
    """Khôi phục CSDL từ bản sao lưu (thay thế toàn bộ dữ liệu hiện có)."""
    from gis.db.backup import restore

    if not yes and not typer.confirm("Toàn bộ dữ liệu hiện tại sẽ bị thay thế. Tiếp tục?"):
        raise typer.Exit(1)
    with open_database(get_settings()) as engine:
        url = engine.url.render_as_string(hide_password=False)
        engine.dispose()
        with console.status("Đang khôi phục…"):
            restore(url, source)
    console.print(f"Đã khôi phục từ {source}")


@demo_app.command("load")
def demo_load(
    parcels: Annotated[int | None, typer.Option(help="Số thửa (mặc định 5000)")] = None,
    seed: Annotated[int | None, typer.Option(help="Hạt giống ngẫu nhiên")] = None,
    replace: Annotated[bool, typer.Option(help="Xoá toàn bộ dữ liệu rồi nạp lại")] = False,
) -> None:
    """Nạp dữ liệu mẫu: cao tốc Hữu Nghị – Chi Lăng và trụ sở Công an tỉnh."""
    from gis.db.seed import seed_reference
    from gis.demo.load import load_demo

    settings = get_settings()
    with open_database(settings) as engine:
        if replace:
            migrate.downgrade(engine, "base")
        migrate.upgrade(engine)
        with session_factory(engine).begin() as session:
            seed_reference(session)
            if session.scalar(select(func.count()).select_from(Project)):
                raise InvalidInput(
                    "the database already has projects; use --replace to wipe it",
                    message_vi="CSDL đã có dự án; dùng --replace để xoá và nạp lại.",
                )
        load_demo(engine, parcels=parcels or settings.demo_parcels,
                  seed=settings.demo_seed if seed is None else seed, console=console)
        with session_factory(engine).begin() as session:
            admin = ensure_first_admin(session)
        if admin:
            console.print(f"Tài khoản quản trị: {admin.username} / {admin.password} "
                          "(chỉ hiện một lần).")
