"""Every string wrapped in ``_()`` in the templates and page code has an English translation,
and the pages really come out in English after ``?lang=en`` (and stay Vietnamese otherwise)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from api.routers.login_page import LOCKED_VI
from gis.access.logins import LoginThrottled
from gis.core.domain import STEP_LABELS_VI
from gis.core.errors import AuthenticationFailed
from gis.core.landuse import LAND_USE_TYPES
from gis.maps.parcel_panel import PAYMENT_METHODS_VI
from gis.workflow.deadlines import DEADLINE_LABELS_VI
from gis.workflow.side_events import KIND_LABELS_VI
from web.i18n import LANG_COOKIE, english, format_date, format_number, format_vnd, translate
from web.routes import INVESTMENT_FORM_VI

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
# _("…") or _('…') with a literal first argument, in templates, page code and page scripts
LITERAL = re.compile(r"""\b_\(\s*(?P<q>["'])(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)""")
# Letters only Vietnamese uses (English text never has them; names and places do).
VIETNAMESE = re.compile("[àáâãèéêìíòóôõùúýăđĩũơưạ-ỹÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝĂĐĨŨƠƯẠ-Ỹ]")
MAP = "/projects/CT-HNCL/map"
BRAND = ("GPMB Lạng Sơn", "Tiếng Việt")  # a proper name, and the switch back (in Vietnamese)


def _wrapped_strings() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    files = [*WEB.rglob("*.html"), *WEB.glob("*.py"), *(WEB / "static").rglob("*.js"),
             ROOT / "api" / "routers" / "login_page.py"]
    for path in files:
        if "vendor" in path.parts or "node_modules" in path.parts:
            continue
        for match in LITERAL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match["text"], set()).add(path.name)
    return found


def test_every_wrapped_string_has_an_english_translation() -> None:
    missing = {text: sorted(files) for text, files in _wrapped_strings().items()
               if text not in english()}
    assert not missing, f"no English for: {missing}"


def test_domain_labels_shown_on_pages_have_english() -> None:
    """Labels that reach the pages as data (steps, history entries, deadlines, payment
    methods, land uses, financing, sign-in refusals) are translated too."""
    shown = [*STEP_LABELS_VI.values(), *DEADLINE_LABELS_VI.values(),
             *PAYMENT_METHODS_VI.values(), *INVESTMENT_FORM_VI.values(),
             *(label.capitalize() for label in KIND_LABELS_VI.values()),
             *(t.name_vi for t in LAND_USE_TYPES),
             AuthenticationFailed.message_vi, LoginThrottled.message_vi, LOCKED_VI]
    assert [s for s in shown if s not in english()] == []
    for t in LAND_USE_TYPES:  # one source for land-use names: gis.core.landuse
        assert english()[t.name_vi] == t.name_en


def test_translations_keep_placeholders() -> None:
    placeholder = re.compile(r"\{(\w+)(?::[^}]*)?\}")
    for vi, en in english().items():
        assert set(placeholder.findall(vi)) == set(placeholder.findall(en)), vi


def test_english_catalogue_is_english() -> None:
    """The core and map catalogues hold no Vietnamese left over in their English."""
    for name in ("core.json", "map.json"):
        entries = json.loads((WEB / "locale" / "en" / name).read_text(encoding="utf-8"))
        assert [(vi, en) for vi, en in entries.items() if VIETNAMESE.search(en)] == [], name


def test_vietnamese_is_the_default_and_fallback() -> None:
    assert translate("Theo dõi giải phóng mặt bằng", "vi") == "Theo dõi giải phóng mặt bằng"
    assert translate("Theo dõi giải phóng mặt bằng", "en") == "Land clearance tracker"
    assert translate("chuỗi chưa dịch", "en") == "chuỗi chưa dịch"


def test_numbers_and_dates_follow_the_language() -> None:
    assert (format_vnd(1234567, "vi"), format_vnd(1234567, "en")) == ("1.234.567", "1,234,567")
    assert format_number(1234.5, "vi") == "1.234,50"
    assert format_number(1234.5, "en", 1) == "1,234.5"
    assert format_date("2025-03-05", "vi") == "05/03/2025"
    assert format_date("2025-03-05", "en") == "05/03/2025"  # days as they are typed


# ---- the pages over HTTP ----

class _VisibleText(HTMLParser):
    """What a reader sees or hears: text outside scripts/styles, and the attributes shown
    as text (title, placeholder, aria-label, alt)."""

    SHOWN_ATTRS = frozenset({"title", "placeholder", "aria-label", "alt"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts += [v for k, v in attrs if k in self.SHOWN_ATTRS and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.parts


@pytest.fixture(scope="module")
def data_names(demo_engine: Engine) -> list[str]:
    """Names that are data, not interface: projects and communes (left as they are)."""
    with demo_engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM projects UNION SELECT name FROM communes"))
        return sorted({r[0] for r in names} | set(BRAND), key=len, reverse=True)


def untranslated(html: str, data_names: list[str]) -> list[str]:
    """Visible strings with Vietnamese letters once the data names are taken out."""
    left = []
    for part in visible_text(html):
        for name in data_names:
            part = part.replace(name, "")
        if VIETNAMESE.search(part):
            left.append(part)
    return left


def _page_keys(*templates: str) -> set[str]:
    keys: set[str] = set()
    for name in templates:
        source = (WEB / "templates" / name).read_text(encoding="utf-8")
        keys |= {m["text"] for m in LITERAL.finditer(source)}
    return keys


@pytest.mark.parametrize("path", ["/", MAP])
def test_pages_in_english_have_no_vietnamese_left(web: httpx.Client, live_server: str,
                                                  data_names: list[str], path: str) -> None:
    res = web.get(f"{live_server}{path}?lang=en")
    assert res.status_code == 200
    assert '<html lang="en">' in res.text
    assert untranslated(res.text, data_names) == []
    # And no key of these templates is left verbatim in what is shown.
    shown = set(visible_text(res.text))
    keys = _page_keys("base.html", "overview.html", "project_map.html")
    assert {k for k in keys if k in shown and english()[k] != k} == set()


def test_overview_in_both_languages(web: httpx.Client, live_server: str) -> None:
    vi = web.get(f"{live_server}/?lang=vi").text
    en = web.get(f"{live_server}/?lang=en").text
    assert '<html lang="vi">' in vi and "Tiến độ giải phóng mặt bằng theo dự án" in vi
    assert "Land clearance progress by project" in en and "View map" in en
    # The same figures, grouped the reader's way: 1.234,56 against 1,234.56.
    vi_areas = re.findall(r'<td class="n">(\d{1,3}(?:\.\d{3})*,\d{2})</td>', vi)
    en_areas = re.findall(r'<td class="n">(\d{1,3}(?:,\d{3})*\.\d{2})</td>', en)
    assert vi_areas and [a.replace(".", "").replace(",", ".") for a in vi_areas] == \
        [a.replace(",", "") for a in en_areas]


def test_map_in_english_names_its_layers_steps_and_land_uses(web: httpx.Client,
                                                              live_server: str) -> None:
    en_page = web.get(f"{live_server}{MAP}?lang=en").text
    vi = web.get(f"{live_server}{MAP}?lang=vi").text
    # The page scripts get the catalogue (Vietnamese keys, English values) in English only.
    assert "window.GPMB_EN" in en_page and "window.GPMB_EN" not in vi
    en = re.sub(r"<script>window\.GPMB_EN = .*?;</script>", "", en_page, flags=re.S)
    for layer_vi in ("Thửa đất theo bước GPMB", "Ranh giới xã (gần đúng)",
                     "Nền trơn (không cần Internet)"):
        in_script = json.dumps(layer_vi)[1:-1]  # the layer control's names, \u-escaped
        assert in_script in vi and in_script not in en and english()[layer_vi] in en
    assert "Site handed over" in en and "Đã bàn giao mặt bằng" in vi
    land_uses = re.findall(r'<option value="([A-Z]{3})">\1 — ([^<]+)</option>', en)
    by_code = {t.code: t for t in LAND_USE_TYPES}
    assert land_uses and all(by_code[c].name_en == name for c, name in land_uses)
    assert len(en_page) < 300_000


def test_the_choice_is_kept_in_a_cookie(live_server: str,
                                        viewer_cookies: dict[str, str]) -> None:
    with httpx.Client(base_url=live_server, cookies=viewer_cookies, timeout=30) as client:
        first = client.get("/?lang=en")
        assert first.cookies.get(LANG_COOKIE) == "en"
        assert '<html lang="en">' in client.get(MAP).text  # no ?lang= any more
        assert '<html lang="en">' in client.get("/").text
        back = client.get(MAP + "?lang=vi")
        assert back.cookies.get(LANG_COOKIE) == "vi"
        assert '<html lang="vi">' in client.get("/").text


def test_vietnamese_by_default_whatever_the_browser_asks(web: httpx.Client,
                                                         live_server: str) -> None:
    res = web.get(live_server + "/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="vi">' in res.text and LANG_COOKIE not in res.cookies
    assert "Tiến độ giải phóng mặt bằng theo dự án" in res.text


def test_switch_link_replaces_only_the_language(web: httpx.Client, live_server: str) -> None:
    res = web.get(f"{live_server}{MAP}?print=1&lang=en")
    link = re.search(r'<a class="lang-switch" href="([^"]+)"', res.text)
    assert link and link[1].replace("&amp;", "&") == f"{MAP}?print=1&lang=vi"
    res = web.get(f"{live_server}{MAP}?lang=vi&print=1")
    link = re.search(r'<a class="lang-switch" href="([^"]+)"', res.text)
    assert link and link[1].replace("&amp;", "&") == f"{MAP}?print=1&lang=en"


def test_sign_in_page_in_english_before_signing_in(live_server: str,
                                                   viewer_account: tuple[str, str],
                                                   data_names: list[str]) -> None:
    with httpx.Client(base_url=live_server, timeout=30, follow_redirects=True) as client:
        # A signed-out visit to the English map lands on the English sign-in form...
        res = client.get(MAP + "?lang=en", headers={"Accept": "text/html"})
        assert res.url.path == "/login" and '<html lang="en">' in res.text
        assert untranslated(res.text, data_names) == []
        assert ">Sign in</button>" in res.text
        link = re.search(r'<a class="lang-switch" href="([^"]+)"', res.text)
        assert link and "next=" in link[1] and link[1].endswith("lang=vi")
        # ...its refusals are English...
        wrong = client.post("/login", data={"username": viewer_account[0], "password": "sai",
                                            "next": MAP}, headers={"Origin": live_server})
        assert wrong.status_code == 401 and "Wrong user name or password." in wrong.text
        # ...while the API keeps its Vietnamese message next to the machine code.
        api = client.post("/api/auth/login", json={"username": viewer_account[0],
                                                    "password": "sai"})
        problem = api.json()
        assert api.status_code == 401 and VIETNAMESE.search(str(problem.get("detail", "")))
        ok = client.post("/login", data={"username": viewer_account[0],
                                         "password": viewer_account[1], "next": MAP},
                         headers={"Origin": live_server})
        assert ok.url.path == MAP and '<html lang="en">' in ok.text


def test_templates_without_the_request_follow_the_language_too() -> None:
    """Macros imported without ``with context`` see no request: the language of the request
    being served still reaches their ``_()`` and number filters."""
    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse
    from fastapi.testclient import TestClient

    from web.i18n import install_language_switch
    from web.templating import templates

    macros = templates.env.from_string(
        '{% macro label(n) %}{{ _("Đóng") }} {{ n | vnd }}{% endmacro %}').module
    app = FastAPI()
    install_language_switch(app)

    @app.get("/t")
    def show() -> PlainTextResponse:
        return PlainTextResponse(str(macros.label(1234567)))  # type: ignore[attr-defined]

    with TestClient(app) as client:
        assert client.get("/t").text == "Đóng 1.234.567"
        assert client.get("/t?lang=en").text == "Close 1,234,567"
        assert client.get("/t").text == "Close 1,234,567"  # the cookie
