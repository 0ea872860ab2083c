"""A plain ``pip install .`` into a fresh virtualenv gives a ``gpmb`` whose pages draw: the
map page and every script, stylesheet and image it asks for answer 200 from the installed
package (not from this checkout), and so do the field view's and /docs' assets."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.support import gpmb_env, running_server

ROOT = Path(__file__).resolve().parents[2]
ASSET_URL = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with this checkout installed the way a user installs it."""
    venv = tmp_path_factory.mktemp("installed") / "v"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    res = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-warn-script-location",
                          str(ROOT)], capture_output=True, text=True, timeout=1500)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return venv


@pytest.fixture(scope="module")
def installed_server(installed: Path, demo_url: str, scratch_dir: Path,
                     viewer_account: tuple[str, str]) -> Iterator[httpx.Client]:
    """The installed ``gpmb serve`` on the demo database, with a signed-in client."""
    outside = scratch_dir / "outside-checkout"
    outside.mkdir(exist_ok=True)
    with running_server(demo_url, scratch_dir / "srv-installed", scratch_dir / "installed.log",
                        command=[str(installed / "bin" / "gpmb")], cwd=outside,
                        PYTHONPATH="") as base, httpx.Client(base_url=base, timeout=30) as client:
        res = client.post("/api/auth/login", json={"username": viewer_account[0],
                                                   "password": viewer_account[1]})
        assert res.status_code == 200, res.text
        yield client


def test_the_installed_package_is_not_this_checkout(installed: Path, tmp_path: Path) -> None:
    out = subprocess.run([str(installed / "bin" / "python"), "-c",
                          "import web.assets as a; print(a.VENDOR_DIR)"], cwd=tmp_path,
                         env=gpmb_env(None, PYTHONPATH=""), capture_output=True, text=True,
                         check=True).stdout.strip()
    vendor = Path(out)
    assert installed in vendor.parents and ROOT not in vendor.parents
    # Only what pages load: no Bootstrap, jQuery, Font Awesome or awesome-markers.
    shipped = {p.relative_to(vendor).parts[0] for p in vendor.rglob("*") if p.is_file()}
    assert shipped == {"leaflet", "vectorgrid", "swagger-ui"}


def _assets_of(client: httpx.Client, page: str) -> list[str]:
    res = client.get(page, headers={"Accept": "text/html"})
    assert res.status_code == 200, (page, res.status_code)
    return [urljoin(page, url) for url in ASSET_URL.findall(res.text)
            if not url.startswith(("http:", "https:", "//", "data:"))]


@pytest.mark.parametrize("page", ["/projects/CT-HNCL/map", "/field?project=CT-HNCL", "/docs"])
def test_every_asset_of_a_page_answers(installed_server: httpx.Client, page: str) -> None:
    assets = _assets_of(installed_server, page)
    assert any("/static/vendor/" in url for url in assets), assets
    for url in assets:
        res = installed_server.get(url)
        assert res.status_code == 200, url
        if urlsplit(url).path.endswith(".css"):  # the images a stylesheet pulls in
            for ref in CSS_URL.findall(res.text):
                if not ref.startswith(("data:", "#")):
                    image = urljoin(url, ref)
                    assert installed_server.get(image).status_code == 200, image
