"""Domain errors speak the reader's language: every message the converted packages give as
``message_vi`` is a literal Vietnamese template (no f-string: its numbers would be written
the Python way) with an English entry in the catalogue having the same placeholders, and
its parameters are written the way each language writes numbers and days."""

from __future__ import annotations

import ast
import datetime as dt
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from gis.core.errors import ImportRejected, InvalidInput, InvalidTransition
from gis.core.formats import OneOf, Phrase, Term
from gis.ingest import guards
from gis.ingest.uploads import _message
from web.i18n import english, error_text, message

ROOT = Path(__file__).resolve().parents[2]
CONVERTED = ["gis/core/errors.py", "gis/workflow", "gis/compensation", "gis/capital",
             "gis/cases", "gis/field", "gis/access", "gis/ingest/guards.py",
             "gis/ingest/uploads.py", "gis/ingest/reader.py", "gis/ingest/fields.py",
             "gis/ingest/parcels.py", "gis/ingest/locks.py", "gis/ingest/writer.py",
             "gis/ingest",
             "gis/committee", "gis/core", "gis/projects/admin.py"]
"""Where every message is a template: packages (folders) or single modules."""


def _files() -> list[Path]:
    out: list[Path] = []
    for name in CONVERTED:
        path = ROOT / name
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return out


def _helpers() -> dict[str, set[int]]:
    """Functions of gis/ taking a ``message_vi`` argument, and its position."""
    found: dict[str, set[int]] = {}
    for path in (ROOT / "gis").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                names = [a.arg for a in node.args.args]
                if "message_vi" in names:
                    found.setdefault(node.name, set()).add(names.index("message_vi"))
    return found


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else "")


def _given(tree: ast.Module, helpers: dict[str, set[int]]) -> Iterator[tuple[ast.expr, str]]:
    """Every expression given as a message (with what kind of text it is)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (isinstance(item, ast.Assign) and len(item.targets) == 1
                        and isinstance(item.targets[0], ast.Name)
                        and item.targets[0].id == "message_vi"):
                    yield item.value, "message"
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        for kw in node.keywords:
            if kw.arg == "message_vi":
                yield kw.value, "message"
        for index in helpers.get(name, set()):
            if index < len(node.args):
                yield node.args[index], "message"
        if name == "Phrase" and node.args:
            yield node.args[0], "message"
        if name == "Term" and node.args:
            yield node.args[0], "term"


def _literals(value: ast.expr, constants: dict[str, ast.expr]) -> Iterator[str | None]:
    """The literal texts ``value`` may be (None: one built at run time)."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        yield value.value
    elif isinstance(value, ast.IfExp):
        yield from _literals(value.body, constants)
        yield from _literals(value.orelse, constants)
    elif isinstance(value, ast.Name) and value.id in constants:
        yield from _literals(constants[value.id], constants)
    elif isinstance(value, ast.JoinedStr | ast.BinOp):
        yield None


BUILT: list[str] = []


def _templates() -> dict[str, tuple[str, str]]:
    """Every literal message and term of the converted packages → (kind, where); messages
    built at run time (f-strings, ``+``) are listed in ``BUILT``."""
    helpers = _helpers()
    out: dict[str, tuple[str, str]] = {}
    BUILT.clear()
    for path in _files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                     for t in node.targets if isinstance(t, ast.Name)}
        for value, kind in _given(tree, helpers):
            where = f"{path.relative_to(ROOT)}:{value.lineno}"
            for text in _literals(value, constants):
                if text is None:
                    BUILT.append(where)
                else:
                    out[text] = (kind, where)
    return out


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_scan_finds_the_messages() -> None:
    found = _templates()
    assert "Hồ sơ đã ở bước '{here}'; không thể ghi lại hoặc quay về bước '{there}'." in found
    assert "Thiếu {label} của {what}." in found
    assert InvalidTransition.message_vi in found


def test_no_converted_message_is_built_at_run_time() -> None:
    """An f-string would write its numbers the Python way and escape the catalogue."""
    _templates()
    assert BUILT == [], "give a template and its parameters instead:\n" + "\n".join(BUILT)


def test_every_converted_message_has_english_with_the_same_placeholders() -> None:
    catalogue = english()
    missing, mismatched = [], []
    for text, (kind, where) in sorted(_templates().items()):
        titled = text[:1].upper() + text[1:]
        en = catalogue.get(text) or (catalogue.get(titled) if kind == "term" else None)
        if en is None:
            missing.append(f"{where}: {text}")
        elif _placeholders(text) != _placeholders(en):
            mismatched.append(f"{where}: {text} → {en}")
    assert missing == [], "no English for:\n" + "\n".join(missing)
    assert mismatched == [], "placeholders differ:\n" + "\n".join(mismatched)


def test_a_message_renders_in_each_language() -> None:
    exc = InvalidInput(
        "x", message_vi="Ngày {what} ({day}): đã chi trả {paid} đ trên {approved} đ, "
        "diện tích {area:.1f} m², tỷ lệ {share:.1f} %, cần {needed}; {period}.",
        params={"what": Term("kiểm đếm"), "day": dt.date(2025, 3, 5), "paid": 12_000_000,
                "approved": 1500, "area": 1500.0, "share": 53.3,
                "needed": OneOf([Term("kiểm đếm"), Term("niêm yết phương án")]),
                "period": Phrase("trước {day}", day=dt.date(2025, 7, 1))})
    assert exc.message_vi == (
        "Ngày kiểm đếm (05/03/2025): đã chi trả 12.000.000 đ trên 1.500 đ, diện tích "
        "1.500 m², tỷ lệ 53,3 %, cần kiểm đếm hoặc niêm yết phương án; trước 01/07/2025.")
    assert exc.text("vi") == exc.message_vi == error_text(exc, "vi")
    # no English entry for this template: the Vietnamese words stay, numbers go English
    assert exc.text("en", {}).startswith("Ngày kiểm đếm (05/03/2025): đã chi trả "
                                         "12,000,000 đ trên 1,500 đ, diện tích 1,500 m², "
                                         "tỷ lệ 53.3 %")
    catalogue = {exc.template: "{what:cap} on {day}: {paid} VND paid of {approved} VND, "
                 "{area:.1f} m², {share:.1f} %, needs {needed}; {period}.",
                 **english()}
    assert exc.text("en", catalogue) == (
        "Inventory on 05/03/2025: 12,000,000 VND paid of 1,500 VND, 1,500 m², 53.3 %, needs "
        "inventory or posting of the plan; before 01/07/2025.")


def test_a_message_without_parameters_is_looked_up_as_it_is() -> None:
    exc = InvalidTransition("x")
    assert exc.message_vi == "Không thể chuyển hồ sơ sang bước này."
    assert error_text(exc, "en") == english()[exc.message_vi]
    typed = InvalidInput("x", message_vi="Giá trị {không phải tham số}")
    assert typed.message_vi == typed.text("en", {}) == "Giá trị {không phải tham số}"


def test_vocabulary_given_as_parameters_has_english() -> None:
    """The labels the converted messages take as ``Term`` parameters (steps, acts,
    documents, issuers, land groups, plan items, form labels) are in the catalogue, so an
    English message has no Vietnamese word inside it."""
    from gis.core.domain import ITEM_LABELS_VI, STEP_LABELS_VI
    from gis.core.formats import fill
    from gis.workflow.authority import LEVEL_LABELS_VI
    from gis.workflow.complaints import _SIDE_DECISIONS
    from gis.workflow.facts import ACTION_LABELS_VI
    from gis.workflow.paperwork import DOC_LABELS_VI
    from gis.workflow.rules import CATEGORY_LABELS_VI
    from gis.workflow.side_events import KIND_LABELS_VI

    words = [*ACTION_LABELS_VI.values(), *DOC_LABELS_VI.values(), *KIND_LABELS_VI.values(),
             *LEVEL_LABELS_VI.values(), *CATEGORY_LABELS_VI.values(),
             *(label.lower() for label in ITEM_LABELS_VI.values()), *STEP_LABELS_VI.values(),
             *_SIDE_DECISIONS.values(), "quyết định cưỡng chế", "số văn bản (ví dụ "
             "123/QĐ-UBND)", "ngày ký văn bản", "người ký", "ký văn bản", "bước trước",
             "nội dung", "đơn vị tính", "căn cứ pháp lý", "Ngày quyết định", "Ngày giải ngân",
             "Ngày đảo bút toán", "Ngày cam kết", "Ngày công bố", "Nhập dữ liệu địa chính",
             "Nhập tỷ lệ giải ngân bình quân cả nước", "tổ chức", "hộ gia đình, cá nhân",
             "loại trường hợp", "loại dự án theo Nghị quyết 254/2025/QH15"]
    untranslated = [w for w in words if fill("{t}", {"t": Term(w)}, "en", english()) == w]
    assert untranslated == []


def test_an_import_refusal_is_kept_for_the_page_in_either_language(tmp_path: Path) -> None:
    """A file refused before it is read keeps its template and parameters in the check, so
    the import page writes it in the reader's language."""
    empty = tmp_path / "thua-dat.geojson"
    empty.write_bytes(b"")
    with pytest.raises(ImportRejected) as refused:
        guards.check_file(empty)
    kept = _message(refused.value)
    assert kept["params"] == {"name": "thua-dat.geojson"}
    assert message(kept["template"], kept["params"], "vi") == kept["message_vi"] == (
        refused.value.message_vi)
    assert message(kept["template"], kept["params"], "en").startswith(
        "File thua-dat.geojson is empty (0 bytes).")
    plain = _message(ImportRejected("x", message_vi="Tệp {không} phải mẫu."))
    assert message(plain["template"], plain["params"], "vi") == "Tệp {không} phải mẫu."
