"""Front-end assets: where each comes from (npm, pinned in ``web/package.json``) and where
the app serves it (``/static/vendor/…``); Folium pointed at these local copies.

``python -m web.assets`` copies the needed dist files out of ``web/node_modules`` (filled
by ``npm ci --prefix web`` in ``scripts/bootstrap.sh``) into ``web/static/vendor``
(gitignored). Nothing is ever loaded from a CDN: ``use_local_assets`` rewrites Folium's
default JS/CSS and every plugin this app uses.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent
NODE_MODULES = WEB_DIR / "node_modules"
VENDOR_DIR = WEB_DIR / "static" / "vendor"
VENDOR_URL = "/static/vendor"
OWN_URL = "/static/map"

# vendor path -> path under node_modules (a directory is copied whole).
VENDOR_FILES: dict[str, str] = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet/images": "leaflet/dist/images",
    "jquery/jquery.min.js": "jquery/dist/jquery.min.js",
    "bootstrap/bootstrap.bundle.min.js": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "bootstrap/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "fontawesome/css/all.min.css": "@fortawesome/fontawesome-free/css/all.min.css",
    "fontawesome/webfonts": "@fortawesome/fontawesome-free/webfonts",
    "awesome-markers/leaflet.awesome-markers.js":
        "leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
    "awesome-markers/leaflet.awesome-markers.css":
        "leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    "awesome-markers/images": "leaflet.awesome-markers/dist/images",
    "vectorgrid/Leaflet.VectorGrid.bundled.min.js":
        "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
    "glyphicons/fonts": "bootstrap3/dist/fonts",
    # The API's own documentation page (/docs), FastAPI's Swagger UI without its CDN.
    "swagger-ui/swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui/swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
}
SWAGGER_JS = f"{VENDOR_URL}/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = f"{VENDOR_URL}/swagger-ui/swagger-ui.css"
# Derived at copy time from the npm package bootstrap@3 (its Glyphicons rules only).
GLYPHICONS_CSS = "glyphicons/css/glyphicons.css"
_GLYPHICONS_SOURCE = "bootstrap3/dist/css/bootstrap.css"

LOCAL_JS: list[tuple[str, str]] = [
    ("leaflet", f"{VENDOR_URL}/leaflet/leaflet.js"),
    ("jquery", f"{VENDOR_URL}/jquery/jquery.min.js"),
    ("bootstrap", f"{VENDOR_URL}/bootstrap/bootstrap.bundle.min.js"),
    ("awesome_markers", f"{VENDOR_URL}/awesome-markers/leaflet.awesome-markers.js"),
]
LOCAL_CSS: list[tuple[str, str]] = [
    ("leaflet_css", f"{VENDOR_URL}/leaflet/leaflet.css"),
    ("bootstrap_css", f"{VENDOR_URL}/bootstrap/bootstrap.min.css"),
    ("glyphicons_css", f"{VENDOR_URL}/{GLYPHICONS_CSS}"),
    ("awesome_markers_font_css", f"{VENDOR_URL}/fontawesome/css/all.min.css"),
    ("awesome_markers_css", f"{VENDOR_URL}/awesome-markers/leaflet.awesome-markers.css"),
    # Our own equivalent of Folium's leaflet.awesome.rotate.min.css (not on npm).
    ("awesome_rotate_css", f"{OWN_URL}/awesome-rotate.css"),
]
VECTORGRID_JS: list[tuple[str, str]] = [
    ("vectorGrid", f"{VENDOR_URL}/vectorgrid/Leaflet.VectorGrid.bundled.min.js"),
    # Our patch of VectorGrid's canvas click handler for Leaflet >= 1.8.
    ("vectorGridClickFix", f"{OWN_URL}/vectorgrid-fix.js"),
]


def use_local_assets() -> None:
    """Point Folium's defaults and the plugins used here at the app's own copies."""
    import folium
    from folium.plugins import VectorGridProtobuf

    folium.Map.default_js = list(LOCAL_JS)
    folium.Map.default_css = list(LOCAL_CSS)
    VectorGridProtobuf.default_js = list(VECTORGRID_JS)
    VectorGridProtobuf.default_css = []


def glyphicons_rules(bootstrap3_css: str) -> str:
    """The Glyphicons @font-face and ``.glyphicon*`` rules of Bootstrap 3's stylesheet."""
    start = bootstrap3_css.index('@font-face {\n  font-family: "Glyphicons Halflings"')
    blocks = re.finditer(r"([^{}]+)\{[^{}]*\}", bootstrap3_css[start:])
    kept: list[str] = []
    for block in blocks:
        selector = block.group(1).strip()
        if selector.startswith("@font-face") or selector.startswith(".glyphicon"):
            kept.append(block.group(0).strip())
        elif kept:
            break
    return "/* Glyphicons rules extracted from npm bootstrap@3 (MIT). */\n" + "\n".join(kept) + "\n"


def missing_vendor_files(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """Vendor paths not yet in place (empty when the app can serve every asset)."""
    wanted = [*VENDOR_FILES, GLYPHICONS_CSS]
    return [rel for rel in wanted if not (vendor_dir / rel).exists()]


def copy_vendor(node_modules: Path = NODE_MODULES, vendor_dir: Path = VENDOR_DIR) -> int:
    """Copy the needed dist files from ``node_modules`` to ``vendor_dir``; return count."""
    copied = 0
    for rel, source in VENDOR_FILES.items():
        src, dst = node_modules / source, vendor_dir / rel
        if not src.exists():
            raise FileNotFoundError(f"{src} is missing: run `npm ci --prefix web` first")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
            copied += sum(1 for p in src.rglob("*") if p.is_file())
        else:
            shutil.copy2(src, dst)
            copied += 1
    glyph = vendor_dir / GLYPHICONS_CSS
    glyph.parent.mkdir(parents=True, exist_ok=True)
    glyph.write_text(glyphicons_rules((node_modules / _GLYPHICONS_SOURCE).read_text("utf-8")),
                     encoding="utf-8")
    return copied + 1


def main() -> int:
    """Entry point of ``python -m web.assets``."""
    try:
        count = copy_vendor()
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{count} front-end files in {VENDOR_DIR.relative_to(WEB_DIR.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
