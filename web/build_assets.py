"""Build step (setuptools ``build_py``): the wheel carries the front-end assets (and the
seed data of ``data/``).

``pip install .`` must give a package whose map pages draw: the files ``web.assets`` lists
are put in the wheel's ``web/static/vendor`` from ``web/node_modules`` (after ``npm ci``),
else from an already filled ``web/static/vendor``, else by running ``npm ci`` here; when
none of that is possible the build stops with the fix instead of shipping pages whose
scripts answer 404. Editable installs serve the checkout's own ``web/static/vendor``.

Loaded by setuptools from ``pyproject.toml`` (``[tool.setuptools.cmdclass]``), never by
the app; ``web/assets.py`` is read by path because the build does not import ``web``.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

WEB_DIR = Path(__file__).resolve().parent
ROOT = WEB_DIR.parent
SEED_FILES = {"data/communes_lang_son.csv": "gis/demo/communes_lang_son.csv"}
"""Seed data shipped with the code (``data/``), and where the wheel carries it."""


def _assets() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_gpmb_web_assets", WEB_DIR / "assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _complete_node_modules(assets: ModuleType) -> bool:
    node_modules: Path = assets.NODE_MODULES
    return all((node_modules / source).exists() for source in assets.VENDOR_FILES.values())


def vendor_into(target: Path) -> str:
    """Fill ``target`` with the vendored files; say where they came from."""
    assets = _assets()
    if not _complete_node_modules(assets) and assets.missing_vendor_files():
        npm = shutil.which("npm")
        if npm is None:
            raise SetupError("front-end assets missing: no web/node_modules, no "
                             "web/static/vendor and no npm to fetch them; run `npm ci "
                             "--prefix web && python -m web.assets`, then build again")
        subprocess.run([npm, "ci", "--prefix", str(WEB_DIR), "--ignore-scripts", "--no-audit",
                        "--no-fund", "--loglevel=error"], check=True)
    if _complete_node_modules(assets):
        assets.copy_vendor(assets.NODE_MODULES, target)
        return "web/node_modules"
    assets.copy_vendored(assets.VENDOR_DIR, target)
    return "web/static/vendor"


class BuildPyWithAssets(build_py):  # type: ignore[misc]  # setuptools ships no types
    """``build_py`` plus the vendored front-end files in the built ``web/static/vendor`` and
    the seed data beside the modules that read it."""

    def run(self) -> None:
        """Build the modules and package data, then the vendored assets."""
        super().run()
        if getattr(self, "editable_mode", False):
            return
        build_lib = Path(self.build_lib)
        source = vendor_into(build_lib / "web" / "static" / "vendor")
        self.announce(f"front-end assets from {source}", level=2)
        for seed, packaged in SEED_FILES.items():
            shutil.copy2(ROOT / seed, build_lib / packaged)
