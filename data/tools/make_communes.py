"""Regenerate ``data/communes_lang_son.csv`` from the ``vietnamadminunits`` package.

Run from the repository root with the development environment (the package is a dev/test
dependency only; the application reads the CSV):

    .venv/bin/python data/tools/make_communes.py

What it extracts, for Lạng Sơn (province code 20) after the 2025 merger: the 65
commune-level units with their official codes, names, type, centre and area, and the
pre-merger communes (3-level system) merged into each, from the package's 2025
conversion table.

Two corrections are applied to the package data, both printed when the script runs:

* a unit whose centre lies more than 10 km from the mean centre of its former communes
  (the geocoder confused Xã Hoàng Văn Thụ, ex-Văn Lãng, with the city ward of the same
  name) gets that mean centre instead;
* a unit with no area (Phường Kỳ Lừa) gets the province's official area (8,310.18 km²)
  minus the other 64 units' areas.

A pre-merger commune split between several new units is listed under each unit it went
to, except where the conversion table names a target more than 2.5 radii away (a name
clash: Xã Hồng Phong of Bình Gia is not part of Xã Đồng Đăng).
"""

from __future__ import annotations

import csv
import json
import math
import sqlite3
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

PROVINCE_CODE = "20"
PROVINCE_KEY = "tinhlangson"
PROVINCE_AREA_KM2 = 8310.18
CENTRE_MISMATCH_KM = 10.0
OUTPUT = Path(__file__).resolve().parents[1] / "communes_lang_son.csv"
COLUMNS = ("code", "name", "unit_type", "lat", "lon", "area_km2", "former_codes", "former_names")


@dataclass
class NewUnit:
    """One 2025 unit as extracted, before writing."""

    code: str
    key: str
    name: str
    unit_type: str
    lat: float
    lon: float
    area_km2: float
    former: list[str] = field(default_factory=list)  # legacy keys


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat1 - lat2) * 110.57
    dx = (lon1 - lon2) * 111.32 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def _capitalise(name: str) -> str:
    """'Xã Đồng ý' -> 'Xã Đồng Ý': every syllable after the unit type starts upper-case."""
    for prefix in ("Thị trấn ", "Phường ", "Xã "):
        if name.startswith(prefix):
            rest = " ".join(w[:1].upper() + w[1:] for w in name[len(prefix):].split())
            return prefix + rest
    return name


def _package_data() -> tuple[sqlite3.Connection, dict[str, Any]]:
    data_dir = resources.files("vietnamadminunits") / "data"
    conn = sqlite3.connect(str(data_dir / "dataset.db"))
    conn.row_factory = sqlite3.Row
    converter = json.loads((data_dir / "converter_2025.json").read_text(encoding="utf-8"))
    return conn, converter


def extract() -> list[dict[str, str]]:
    """Return the CSV rows, sorted by code."""
    conn, converter = _package_data()
    new_rows = conn.execute(
        "SELECT * FROM admin_units WHERE provinceCode = ? ORDER BY wardCode", (PROVINCE_CODE,)
    ).fetchall()
    legacy = {
        f"{PROVINCE_KEY}_{r['districtKey']}_{r['wardKey']}": r
        for r in conn.execute(
            "SELECT * FROM admin_units_legacy WHERE provinceCode = ?", (PROVINCE_CODE,)
        )
    }
    units = {
        r["wardKey"]: NewUnit(
            code=r["wardCode"],
            key=r["wardKey"],
            name=r["wardShort"],
            unit_type="phuong" if r["wardType"] == "Phường" else "xa",
            lat=float(r["wardLat"]),
            lon=float(r["wardLon"]),
            area_km2=float(r["wardAreaKm2"] or 0.0),
        )
        for r in new_rows
    }
    not_divided = converter["DICT_PROVINCE_WARD_NO_DIVIDED"][PROVINCE_KEY]
    for new_key, old_keys in not_divided.items():
        units[new_key].former.extend(old_keys)
    divided = converter["DICT_PROVINCE_WARD_DIVIDED"].get(PROVINCE_KEY, {})
    for old_key, targets in sorted(divided.items()):
        old = legacy[old_key]
        for target in targets:
            unit = units[target["newWardKey"]]
            radius = math.sqrt(float(target["newWardAreaKm2"]) / math.pi)
            far = _km(old["wardLat"], old["wardLon"], unit.lat, unit.lon) > 2.5 * radius
            if target["isDefaultNewWard"] or not far:
                unit.former.append(old_key)
            else:
                print(f"skip {old['ward']} ({old_key}) -> {unit.name}: {target}", file=sys.stderr)

    for unit in units.values():
        lat = sum(legacy[k]["wardLat"] for k in unit.former) / len(unit.former)
        lon = sum(legacy[k]["wardLon"] for k in unit.former) / len(unit.former)
        if _km(lat, lon, unit.lat, unit.lon) > CENTRE_MISMATCH_KM:
            print(f"centre of {unit.name}: ({unit.lat}, {unit.lon}) -> ({lat:.5f}, {lon:.5f})",
                  file=sys.stderr)
            unit.lat, unit.lon = round(lat, 5), round(lon, 5)
    missing = [u for u in units.values() if u.area_km2 <= 0]
    if len(missing) == 1:
        known = sum(u.area_km2 for u in units.values())
        missing[0].area_km2 = round(PROVINCE_AREA_KM2 - known, 2)
        print(f"area of {missing[0].name}: residual {missing[0].area_km2} km²", file=sys.stderr)
    elif missing:
        raise SystemExit(f"units without area: {[u.name for u in missing]}")

    rows = []
    for unit in sorted(units.values(), key=lambda u: u.code):
        former = sorted({legacy[k]["wardCode"]: legacy[k] for k in unit.former}.items())
        rows.append(
            {
                "code": unit.code,
                "name": unit.name,
                "unit_type": unit.unit_type,
                "lat": f"{unit.lat:.5f}",
                "lon": f"{unit.lon:.5f}",
                "area_km2": f"{unit.area_km2:g}",
                "former_codes": ";".join(code for code, _ in former),
                "former_names": ";".join(_capitalise(r["ward"]) for _, r in former),
            }
        )
    return rows


def main() -> None:
    """Write the CSV and check it has the 65 units with unique codes."""
    rows = extract()
    codes = [r["code"] for r in rows]
    if len(rows) != 65 or len(set(codes)) != 65:
        raise SystemExit(f"expected 65 unique units, got {len(rows)} ({len(set(codes))} codes)")
    with OUTPUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} units to {OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
