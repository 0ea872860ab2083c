"""Parcel imports through the staff page and the API: upload → dry run → confirm.

An upload is a file kept under ``<data_dir>/uploads/<id>/`` with a ``meta.json`` saying
who sent it, the options chosen (CRS, layer, field mapping…), the last dry run (its report,
the counts it would write, and a fingerprint of the survey's parcels at that moment) and,
once confirmed, what the import did. Nothing reaches the database before the confirmation;
a confirmation whose dry run no longer matches the database (someone imported or edited
the survey since) is refused, so a person always confirms what will really happen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import shutil
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pyogrio
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.errors import Conflict, GpmbError, ImportRejected, NotFound
from gis.ingest.batches import record_parcel_import
from gis.ingest.crs_detect import _LABELS, candidates
from gis.ingest.fields import KNOWN_FIELDS, resolve_columns
from gis.ingest.guards import UploadTooLarge, inspect_zip
from gis.ingest.locks import StatementCanceller, lock_survey_import
from gis.ingest.parcels import SURVEY_COLUMN, import_parcels, survey_in_file
from gis.ingest.reader import DRIVERS
from gis.ingest.report import ValidationReport
from gis.maps.tiles import invalidate_parcels

_ID = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')
CHUNK = 1 << 20
MAX_PROBLEMS_KEPT = 2000  # the page shows these; the Excel report has them all
META = "meta.json"
REPORT_XLSX = "bao-cao-kiem-tra.xlsx"
REPORT_GEOJSON = "bao-cao-kiem-tra.geojson"
CRS_CHOICES = tuple((f"EPSG:{srid}", label) for srid, label in _LABELS.items())
"""The systems a person may confirm for a file without one: TM-3 107°15', UTM 48N, WGS 84."""
FORMATS_VI = {".gpkg": "GeoPackage", ".shp": "Shapefile", ".zip": "Shapefile nén (.zip)",
              ".geojson": "GeoJSON", ".json": "GeoJSON", ".fgb": "FlatGeobuf"}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class ImportOptions:
    """What the person chose for the file (all optional)."""

    survey: str | None = None
    crs: str | None = None
    layer: str | None = None
    commune: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    land_use: str | None = None
    area_from_geometry: bool = False


@dataclass
class DryRun:
    """The outcome of the last check of an upload (nothing written)."""

    check_id: str
    checked_at: str
    ok: bool
    survey: str
    fingerprint: str
    format_vi: str
    layers: list[str]
    layer: str | None
    columns: list[str]
    mapping: dict[str, str]
    crs: str | None
    crs_confirmed: bool
    crs_candidates: list[dict[str, Any]]
    encoding: str
    features: int
    rejection: dict[str, Any] | None
    problems: list[dict[str, Any]]
    problem_total: int
    error_total: int
    counts: dict[str, int]
    held: list[dict[str, Any]]
    has_report: bool

    @property
    def unmapped(self) -> list[str]:
        """Columns of the file no parcel field is mapped to."""
        used = set(self.mapping.values())
        return [c for c in self.columns if c not in used]

    @property
    def nothing_changes(self) -> bool:
        """A clean file whose import would change nothing (e.g. the same file again)."""
        return self.ok and not self.counts.get("inserted") and not self.counts.get("updated") \
            and not self.held

    @property
    def needs(self) -> str | None:
        """What the person must choose before the file can be checked: "crs" or "layer"."""
        code = (self.rejection or {}).get("code")
        if code in ("crs_missing", "crs_unknown"):
            return "crs"
        if code in ("layer_choice", "layer_missing"):
            return "layer"
        return None


@dataclass
class Committed:
    """What the confirmed import did."""

    committed_at: str
    actor: str
    survey: str
    inserted: int
    updated: int
    unchanged: int
    held: int
    confirm_paid: bool
    batch_id: int | None = None  # the import batch recorded (None in uploads made before)


@dataclass
class Upload:
    """One uploaded file and where it is in upload → dry run → confirm."""

    id: str
    owner_id: int
    filename: str
    size_bytes: int
    sha256: str
    created_at: str
    options: ImportOptions = field(default_factory=ImportOptions)
    dry_run: DryRun | None = None
    committed: Committed | None = None

    @property
    def status(self) -> str:
        """uploaded | rejected | checked | committed."""
        if self.committed is not None:
            return "committed"
        if self.dry_run is None:
            return "uploaded"
        return "checked" if self.dry_run.ok else "rejected"


# --- storage -------------------------------------------------------------------------------


def uploads_root(data_dir: Path) -> Path:
    """Where uploads are kept."""
    return data_dir / "uploads"


def clean_filename(name: str | None) -> str:
    """A safe name: no folders, control or shell characters; keeps the (lower-case) suffix."""
    base = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" ._") or "tep-nhap"
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:120] or "tep-nhap"
    return f"{stem}.{suffix.lower()[:10]}" if suffix else stem


def _dir(root: Path, upload_id: str) -> Path:
    if not _ID.match(upload_id):
        raise NotFound(f"bad upload id {upload_id!r}", message_vi="Không tìm thấy tệp tải lên.")
    return root / upload_id


def store_upload(root: Path, owner_id: int, filename: str | None, stream: BinaryIO,
                 max_bytes: int) -> Upload:
    """Copy the uploaded bytes to a new upload folder, refusing more than ``max_bytes``."""
    upload_id = secrets.token_hex(16)
    folder = root / upload_id
    folder.mkdir(parents=True, mode=0o700)
    name = clean_filename(filename)
    digest, size = hashlib.sha256(), 0
    try:
        with (folder / name).open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(
                        f"upload larger than {max_bytes} bytes", reason="too_large",
                        max_bytes=max_bytes,
                        message_vi="Tệp quá lớn: tối đa {most} MB. Hãy tách "
                        "thành nhiều tệp (ví dụ theo xã) rồi nhập lần lượt.",
                        params={"most": max_bytes // 1024**2})
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    upload = Upload(upload_id, owner_id, name, size, digest.hexdigest(), _now())
    save(root, upload)
    return upload


def save(root: Path, upload: Upload) -> None:
    """Write ``meta.json`` atomically."""
    folder = _dir(root, upload.id)
    tmp = folder / (META + ".tmp")
    tmp.write_text(json.dumps(asdict(upload), ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(folder / META)


def load_upload(root: Path, upload_id: str, owner_id: int) -> Upload:
    """The upload, if it exists and belongs to ``owner_id``."""
    meta = _dir(root, upload_id) / META
    if not meta.is_file():
        raise NotFound(f"no upload {upload_id}", message_vi="Không tìm thấy tệp tải lên.")
    raw = json.loads(meta.read_text(encoding="utf-8"))
    if raw["owner_id"] != owner_id:
        raise NotFound(f"upload {upload_id} belongs to someone else",
                       message_vi="Không tìm thấy tệp tải lên.")
    raw["options"] = ImportOptions(**raw["options"])
    raw["dry_run"] = DryRun(**raw["dry_run"]) if raw["dry_run"] else None
    raw["committed"] = Committed(**raw["committed"]) if raw["committed"] else None
    return Upload(**raw)


def list_uploads(root: Path, owner_id: int, limit: int = 20) -> list[Upload]:
    """The owner's most recent uploads, newest first."""
    found: list[Upload] = []
    if not root.is_dir():
        return found
    metas = sorted(root.glob(f"*/{META}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for meta in metas:
        try:
            found.append(load_upload(root, meta.parent.name, owner_id))
        except (NotFound, ValueError, KeyError, TypeError):
            continue
        if len(found) >= limit:
            break
    return found


def file_path(root: Path, upload: Upload) -> Path:
    """The stored file."""
    return _dir(root, upload.id) / upload.filename


def report_path(root: Path, upload: Upload, kind: str) -> Path:
    """The last dry run's report as ``xlsx`` or ``geojson``."""
    if upload.dry_run is None or not upload.dry_run.has_report:
        raise NotFound("no report yet", message_vi="Chưa có báo cáo kiểm tra cho tệp này.")
    return _dir(root, upload.id) / (REPORT_XLSX if kind == "xlsx" else REPORT_GEOJSON)


# --- dry run ---------------------------------------------------------------------------------


def survey_fingerprint(session: Session, survey: str) -> str:
    """A digest of the survey's parcels (id, version) and of the payments on them: any
    import, edit or payment since changes it."""
    row = session.execute(text("""
        SELECT md5(coalesce(string_agg(p.id || ':' || p.version, ',' ORDER BY p.id), '')),
               (SELECT count(*) || ':' || coalesce(max(pay.id), 0)
                FROM payments pay JOIN clearance_cases c ON c.id = pay.case_id
                JOIN parcels q ON q.id = c.parcel_id JOIN surveys t ON t.id = q.survey_id
                WHERE t.name = :n)
        FROM parcels p JOIN surveys s ON s.id = p.survey_id WHERE s.name = :n
    """), {"n": survey}).one()
    return f"{row[0]}/{row[1]}"


@dataclass(frozen=True)
class _Inspected:
    format_vi: str
    layers: list[str]
    columns: list[str]
    bounds: tuple[float, float, float, float] | None
    features: int = 0
    survey: str | None = None  # the file's own DotDo survey column, when it names one


def _inspect(path: Path, layer: str | None) -> _Inspected:
    """Format, layers, columns and extent, read cheaply (no features); best effort."""
    suffix = path.suffix.lower()
    target = str(path)
    fmt = FORMATS_VI.get(suffix, suffix.lstrip(".").upper() or "không rõ")
    try:
        if suffix == ".zip":
            names = [Path(i.filename) for i in inspect_zip(path)]
            inner = [str(n) for n in names if n.suffix.lower() in DRIVERS
                     and "__MACOSX" not in n.parts and not n.name.startswith("._")]
            if len(inner) != 1:
                return _Inspected(fmt, [], [], None)
            fmt = f"{FORMATS_VI.get(Path(inner[0]).suffix.lower(), 'tệp')} trong tệp .zip"
            target = f"/vsizip/{path}/{inner[0]}"
        layers = [str(n) for n, _t in pyogrio.list_layers(target)]
        info = pyogrio.read_info(target, layer=layer)
        bounds = info.get("total_bounds")
        b = [float(v) for v in bounds] if bounds is not None else []
        box = (b[0], b[1], b[2], b[3]) if len(b) == 4 and all(v == v for v in b) else None
        columns = [str(c) for c in info["fields"]]
        survey = None
        named = [c for c in columns if c.casefold() == SURVEY_COLUMN.casefold()]
        if named:
            survey = survey_in_file(pyogrio.read_dataframe(
                target, layer=layer, columns=named, read_geometry=False))
        return _Inspected(fmt, layers, columns, box, max(int(info.get("features") or 0), 0),
                          survey)
    except Exception:  # the dry run reports the real problem
        return _Inspected(fmt, [], [], None)


def _crs_label(report: ValidationReport | None, chosen: str | None) -> str | None:
    """The CRS read, by name; a confirmed choice by its label (PROJ may call it "unknown")."""
    labels = dict(CRS_CHOICES)
    if chosen is not None and chosen.strip().upper() in labels:
        return labels[chosen.strip().upper()]
    if report is None or not report.crs:
        return chosen
    return report.crs


def _problem_key(p: Mapping[str, Any]) -> tuple[int, int]:
    return (0 if p["severity"] == "error" else 1 if p["severity"] == "warning" else 2,
            p["row"] or 0)


def check_upload(session: Session, root: Path, upload: Upload, options: ImportOptions, *,
                 actor: str) -> Upload:
    """Dry-run the import with ``options``: read, validate and classify every row, write
    nothing. Saves and returns the upload with its new :class:`DryRun`."""
    if upload.committed is not None:
        raise Conflict("upload already imported", reason="already_committed",
                       message_vi="Tệp này đã được nhập; tải tệp lên lại nếu cần kiểm tra lại.")
    path = file_path(root, upload)
    inspected = _inspect(path, options.layer)
    survey = ((options.survey or "").strip() or inspected.survey
              or Path(upload.filename).stem)
    fingerprint = survey_fingerprint(session, survey)
    report: ValidationReport | None = None
    rejection: dict[str, Any] | None = None
    counts: dict[str, int] = {}
    held: list[dict[str, Any]] = []
    try:
        result = import_parcels(session, path, survey=survey, assume_crs=options.crs,
                                layer=options.layer, mapping=options.mapping or None,
                                commune=options.commune, land_use=options.land_use,
                                area_from_geometry=options.area_from_geometry, dry_run=True,
                                actor=actor)
        report, write = result.report, result.write
        if write is not None:
            counts = {"inserted": write.inserted, "updated": write.updated,
                      "unchanged": write.unchanged, "not_in_file": write.not_in_file,
                      "matched_other_survey": len(write.matched),
                      "new_versions": len(write.new_versions),
                      "land_users_created": write.holders.users_created,
                      "holdings_created": write.holders.holdings_created,
                      "outside_footprints": write.outside_footprints}
            held = [asdict(h) for h in write.held]
    except ImportRejected as exc:
        found = exc.extra.get("report")
        report = found if isinstance(found, ValidationReport) else None
        code = "validation" if report is not None else str(exc.extra.get("code_detail",
                                                                         exc.code))
        rejection = {"code": code, **_message(exc),
                     "layers": list(exc.extra.get("layers", [])),
                     "candidate": exc.extra.get("candidate")}
    except GpmbError as exc:  # a bad CRS or mapping given by the person
        rejection = {"code": str(exc.extra.get("code_detail", exc.code)), **_message(exc),
                     "layers": [], "candidate": None}
    finally:
        session.rollback()  # a dry run leaves nothing behind, not even a survey row
    folder = _dir(root, upload.id)
    if report is not None:
        report.to_excel(folder / REPORT_XLSX)
        report.to_geojson(folder / REPORT_GEOJSON)
    problems = sorted((p.as_dict() for p in report.problems), key=_problem_key) \
        if report is not None else []
    mapping = dict(report.columns) if report is not None else {}
    if not mapping and inspected.columns:
        try:
            mapping = resolve_columns(inspected.columns, options.mapping or None)
        except GpmbError:
            mapping = {}
    crs_candidates = [{"srid": c.srid, "label_vi": c.label_vi, "in_province": c.in_province}
                      for c in candidates(inspected.bounds)] if inspected.bounds else []
    layers = list((rejection or {}).get("layers") or inspected.layers)
    upload.options = options
    upload.dry_run = DryRun(
        check_id=secrets.token_hex(8), checked_at=_now(), ok=rejection is None, survey=survey,
        fingerprint=fingerprint, format_vi=inspected.format_vi, layers=layers,
        layer=options.layer or (layers[0] if len(layers) == 1 else None),
        columns=inspected.columns, mapping=mapping,
        crs=_crs_label(report, options.crs),
        crs_confirmed=options.crs is not None, crs_candidates=crs_candidates,
        encoding=report.encoding if report is not None else "", features=
        report.features if report is not None else inspected.features, rejection=rejection,
        problems=problems[:MAX_PROBLEMS_KEPT], problem_total=len(problems),
        error_total=len(report.errors) if report is not None else 0, counts=counts,
        held=held, has_report=report is not None)
    save(root, upload)
    return upload


def _message(exc: GpmbError) -> dict[str, Any]:
    """A refusal's message as the check keeps it: the Vietnamese text, and the template
    with its parameters (numbers and names; anything else as its Vietnamese text) for the
    page to write in the reader's language."""
    params = {k: v if isinstance(v, int | float | str) else str(v)
              for k, v in exc.params.items()}
    template = exc.template if params else (
        exc.message_vi.replace("{", "{{").replace("}", "}}"))
    return {"message_vi": exc.message_vi, "template": template, "params": params}


def known_targets() -> list[str]:
    """The parcel fields a column can be mapped to."""
    return list(KNOWN_FIELDS)


# --- confirm ---------------------------------------------------------------------------------


def commit_upload(session: Session, root: Path, upload: Upload, check_id: str, *,
                  confirm_paid: bool, actor: str) -> Committed:
    """Import the upload as its last dry run showed and record its import batch, in the
    caller's transaction (the caller commits, then calls :func:`record_commit`).

    Refused (``Conflict``) when ``check_id`` is not the last dry run, or when the survey's
    parcels or payments changed since that dry run; the person then checks again.
    """
    run = upload.dry_run
    if upload.committed is not None:
        raise Conflict("upload already imported", reason="already_committed",
                       message_vi="Tệp này đã được nhập rồi; không nhập lại lần nữa.")
    if run is None or run.check_id != check_id:
        raise Conflict("confirmation of an old dry run", reason="stale_check",
                       message_vi="Kết quả kiểm tra đã được làm lại (có thể ở một cửa sổ khác)."
                       " Hãy xem lại kết quả mới nhất rồi xác nhận.")
    if not run.ok:
        raise ImportRejected("dry run has blocking problems", code_detail="not_clean",
                             message_vi="Tệp còn lỗi chặn nhập; sửa tệp rồi tải lên lại. Chưa "
                             "có dữ liệu nào được ghi.")

    def still_as_checked(survey: str) -> None:
        lock_survey_import(session, survey)
        if survey_fingerprint(session, survey) != run.fingerprint:
            raise Conflict("survey changed since the dry run", reason="stale_dry_run",
                           message_vi="Dữ liệu đợt đo đạc '{survey}' đã thay đổi kể từ lúc "
                           "kiểm tra (có người vừa nhập, sửa thửa hoặc ghi chi trả). Chưa ghi "
                           "gì; hãy kiểm tra lại rồi xác nhận.", params={"survey": survey})

    opts = upload.options
    result = import_parcels(session, file_path(root, upload), survey=run.survey,
                            assume_crs=opts.crs, layer=opts.layer,
                            mapping=opts.mapping or None, commune=opts.commune,
                            land_use=opts.land_use,
                            area_from_geometry=opts.area_from_geometry,
                            confirm_paid=confirm_paid, actor=actor,
                            before_write=still_as_checked)
    write = result.write
    assert write is not None
    batch_id = record_parcel_import(session, file_path(root, upload), result, actor=actor,
                                    confirm_paid=confirm_paid)
    return Committed(_now(), actor, run.survey, write.inserted, write.updated, write.unchanged,
                     len(write.held), confirm_paid, batch_id)


def confirm_upload(sessions: Callable[[], Session], root: Path, upload: Upload,
                   check_id: str, *, confirm_paid: bool, actor: str,
                   canceller: StatementCanceller | None = None) -> Upload:
    """Confirm an upload in a transaction of its own: import, commit, drop the tiles the
    parcels touched, remember it. ``canceller`` gets the connection first, so that an
    abandoned request can cancel the import's statement (then nothing is written)."""
    with sessions() as session:
        if canceller is not None:
            canceller.attach(session)
        done = commit_upload(session, root, upload, check_id, confirm_paid=confirm_paid,
                             actor=actor)
        changed = changed_parcel_ids(session, done.survey)
        session.commit()
        invalidate_parcels(session, changed)
    return record_commit(root, upload, done)


def changed_parcel_ids(session: Session, survey: str) -> list[int]:
    """Parcels of ``survey`` written by the current transaction (for tile invalidation)."""
    return [int(i) for i in session.execute(text(
        "SELECT p.id FROM parcels p JOIN surveys s ON s.id = p.survey_id"
        " WHERE s.name = :n AND p.updated_at = now()"
        " UNION SELECT parcel_id FROM import_diff WHERE status = 'changed'"),
        {"n": survey}).scalars()]


def record_commit(root: Path, upload: Upload, committed: Committed) -> Upload:
    """Remember, after the database commit, that the upload was imported."""
    upload.committed = committed
    save(root, upload)
    return upload
