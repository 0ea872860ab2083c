"""Domain errors: each has a machine code and a user-safe Vietnamese message.

``api`` maps these classes to HTTP statuses in one table; the CLI prints them without a
traceback. Nothing here knows about HTTP.

A message is a Vietnamese template with named parameters ("Số tiền {amount} đ không hợp
lệ."), the parameters kept as values (numbers, days, ``Term`` vocabulary) until the message
is shown: ``message_vi`` is its Vietnamese rendering (for API bodies, the CLI, logs);
``GpmbError.text`` renders it in a language, given the English catalogue the UI keeps
(keyed by the Vietnamese template), numbers written the way that language writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class GpmbError(Exception):
    """Base of every error GPMB reports to a person."""

    code = "error"
    message_vi = "Đã xảy ra lỗi."

    def __init__(self, detail: str | None = None, *, message_vi: str | None = None,
                 params: Mapping[str, object] | None = None, **extra: Any):
        self.detail = detail or self.message_vi
        self.template: str = self.message_vi if message_vi is None else message_vi
        """The Vietnamese message with its ``{name}`` placeholders (the catalogue's key)."""
        self.params: dict[str, object] = dict(params or {})
        if message_vi is not None or self.params:
            self.message_vi = self.text("vi")
        self.extra = extra
        super().__init__(self.detail)

    def text(self, lang: str = "vi", english: Mapping[str, str] | None = None) -> str:
        """The message in ``lang``: the template (in English: its entry in ``english``, the
        template itself when there is none) filled with the parameters, numbers written
        "1.500,5" in Vietnamese and "1,500.5" in English, days dd/mm/yyyy, ``Term``
        parameters looked up in ``english`` too."""
        from gis.core.formats import fill  # formats reads days and raises InvalidInput

        terms = english if lang == "en" else None
        template = terms.get(self.template, self.template) if terms else self.template
        return fill(template, self.params, lang, terms) if self.params else template


class ConfigurationError(GpmbError):
    """Settings or the machine are not set up as needed."""

    code = "configuration"
    message_vi = "Cấu hình hệ thống chưa đúng."


class ClusterError(GpmbError):
    """The embedded PostgreSQL cluster cannot be initialised, started or used."""

    code = "db_cluster"
    message_vi = "Không khởi động được cơ sở dữ liệu nội bộ."


class DatabaseUnavailable(GpmbError):
    """The database server cannot be reached."""

    code = "db_unavailable"
    message_vi = "Không kết nối được cơ sở dữ liệu. Vui lòng thử lại sau."
    retry_after_s = 5


class DatabaseBusy(DatabaseUnavailable):
    """Every connection is in use, or a statement or lock wait ran past its limit: the
    request is shed (answered at once, to be retried) rather than left to queue."""

    code = "db_busy"
    message_vi = "Hệ thống đang bận, vui lòng thử lại sau ít giây."
    retry_after_s = 2


class PostgisMissing(GpmbError):
    """The server has no PostGIS extension."""

    code = "postgis_missing"
    message_vi = "Máy chủ cơ sở dữ liệu chưa cài PostGIS."


class NotFound(GpmbError):
    """The requested record does not exist."""

    code = "not_found"
    message_vi = "Không tìm thấy dữ liệu được yêu cầu."


class Conflict(GpmbError):
    """The change clashes with the current state (stale version, duplicate…)."""

    code = "conflict"
    message_vi = "Dữ liệu đã bị thay đổi hoặc đã tồn tại."


class InvalidInput(GpmbError):
    """A value supplied by a person is not acceptable."""

    code = "invalid_input"
    message_vi = "Dữ liệu nhập vào không hợp lệ."


class InvalidText(InvalidInput):
    """Text PostgreSQL cannot store or GPMB does not accept (the NUL character U+0000)."""

    code = "invalid_text"
    message_vi = ("Văn bản chứa ký tự không hợp lệ (ký tự NUL, U+0000). Hãy xoá ký tự đó rồi "
                  "gửi lại.")


class InvalidTransition(GpmbError):
    """A clearance case cannot move to the requested step."""

    code = "invalid_transition"
    message_vi = "Không thể chuyển hồ sơ sang bước này."


class BadGeometry(GpmbError):
    """A geometry is invalid, empty or of the wrong type."""

    code = "bad_geometry"
    message_vi = "Hình học (ranh giới thửa) không hợp lệ."


class ImportRejected(GpmbError):
    """An import was refused as a whole; nothing was written."""

    code = "import_rejected"
    message_vi = "Tệp nhập bị từ chối; chưa có dữ liệu nào được ghi."


class AuthenticationFailed(GpmbError):
    """Wrong credentials, disabled or locked account."""

    code = "authentication_failed"
    message_vi = "Tên đăng nhập hoặc mật khẩu không đúng."


class PermissionDenied(GpmbError):
    """The user's role does not allow this action."""

    code = "permission_denied"
    message_vi = "Bạn không có quyền thực hiện thao tác này."


class InvalidQuery(InvalidInput):
    """A query parameter (bbox, crs, limit, a filter…) is not acceptable: the request as a
    whole is malformed, answered 400 like the OGC API standards ask."""

    code = "invalid_query"
    message_vi = "Tham số truy vấn không hợp lệ."
