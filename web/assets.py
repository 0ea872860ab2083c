"""Front-end assets: where each comes from (npm, pinned in ``web/package.json``) and where
the app serves it (``/static/vendor/…``); Folium pointed at these local copies.

``python -m web.assets`` copies the needed dist files out of ``web/node_modules`` (filled
by ``npm ci --prefix web`` in ``scripts/bootstrap.sh``) into ``web/static/vendor``
(gitignored). Nothing is ever loaded from a CDN: ``use_local_assets`` rewrites Folium's
default JS/CSS and every plugin this app uses.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent
NODE_MODULES = WEB_DIR / "node_modules"
VENDOR_DIR = WEB_DIR / "static" / "vendor"
VENDOR_URL = "/static/vendor"
OWN_URL = "/static/map"

# vendor path -> path under node_modules (a directory is copied whole). Only what a page
# loads: Leaflet and VectorGrid (project map, field view) and Swagger UI (/docs).
VENDOR_FILES: dict[str, str] = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet/images": "leaflet/dist/images",
    "vectorgrid/Leaflet.VectorGrid.bundled.min.js":
        "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
    # The API's own documentation page (/docs), FastAPI's Swagger UI without its CDN.
    "swagger-ui/swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui/swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
}
SWAGGER_JS = f"{VENDOR_URL}/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = f"{VENDOR_URL}/swagger-ui/swagger-ui.css"

# Folium's defaults would add jQuery, Bootstrap, Font Awesome and awesome-markers from a
# CDN; no map here uses them (plain vector layers, circle markers, Leaflet's own layer
# control), so a map loads Leaflet alone.
LOCAL_JS: list[tuple[str, str]] = [("leaflet", f"{VENDOR_URL}/leaflet/leaflet.js")]
LOCAL_CSS: list[tuple[str, str]] = [("leaflet_css", f"{VENDOR_URL}/leaflet/leaflet.css")]
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


def missing_vendor_files(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """Vendor paths not yet in place (empty when the app can serve every asset)."""
    return [rel for rel in VENDOR_FILES if not (vendor_dir / rel).exists()]


def copy_vendor(node_modules: Path = NODE_MODULES, vendor_dir: Path = VENDOR_DIR) -> int:
    """Put the needed dist files from ``node_modules`` in ``vendor_dir`` (and nothing else:
    files a page no longer loads are removed); return how many."""
    return _copy({rel: node_modules / source for rel, source in VENDOR_FILES.items()},
                 vendor_dir, "run `npm ci --prefix web` first")


def copy_vendored(from_dir: Path, vendor_dir: Path) -> int:
    """Copy the listed files of one vendor directory to another (only those); return how
    many."""
    return _copy({rel: from_dir / rel for rel in VENDOR_FILES}, vendor_dir,
                 "run `python -m web.assets` first")


def _copy(sources: dict[str, Path], vendor_dir: Path, fix: str) -> int:
    missing = [str(src) for src in sources.values() if not src.exists()]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)} missing: {fix}")
    shutil.rmtree(vendor_dir, ignore_errors=True)
    copied = 0
    for rel, src in sources.items():
        dst = vendor_dir / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
            copied += sum(1 for p in src.rglob("*") if p.is_file())
        else:
            shutil.copy2(src, dst)
            copied += 1
    return copied


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
