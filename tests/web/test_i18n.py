"""Every string wrapped in ``_()`` in the templates and page code has an English translation."""

from __future__ import annotations

import re
from pathlib import Path

from web.i18n import english, translate

WEB = Path(__file__).resolve().parents[2] / "web"
# _("…") or _('…') with a literal first argument, in templates, page code and page scripts
LITERAL = re.compile(r"""\b_\(\s*(?P<q>["'])(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)""")


def _wrapped_strings() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    files = [*WEB.rglob("*.html"), *WEB.glob("*.py"), *(WEB / "static").rglob("*.js")]
    for path in files:
        if "vendor" in path.parts:
            continue
        for match in LITERAL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match["text"], set()).add(path.name)
    return found


def test_every_wrapped_string_has_an_english_translation() -> None:
    missing = {text: sorted(files) for text, files in _wrapped_strings().items()
               if text not in english()}
    assert not missing, f"no English for: {missing}"


def test_translations_keep_placeholders() -> None:
    placeholder = re.compile(r"\{(\w+)\}")
    for vi, en in english().items():
        assert set(placeholder.findall(vi)) == set(placeholder.findall(en)), vi


def test_vietnamese_is_the_default_and_fallback() -> None:
    assert translate("Theo dõi giải phóng mặt bằng", "vi") == "Theo dõi giải phóng mặt bằng"
    assert translate("Theo dõi giải phóng mặt bằng", "en") == "Land clearance tracker"
    assert translate("chuỗi chưa dịch", "en") == "chuỗi chưa dịch"
