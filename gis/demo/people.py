"""Deterministic demo land users (households, organisations, communities) for parcels.

Everything is vectorised: names, ID numbers and addresses are built by indexing small
pools with arrays of random integers, so a million parcels take a few seconds.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gis.core.domain import LandUserKind
from gis.demo.people_names import (
    FEMALE_GIVEN,
    FEMALE_MIDDLE,
    MALE_GIVEN,
    MALE_MIDDLE,
    MOBILE_PREFIXES,
    SURNAMES,
    village_names,
)

PARCEL_COLUMNS = ("parcel_key", "commune_code", "land_use_code", "centroid_x", "centroid_y")

# Organisation roles of public parcels: who holds the land-use rights.
_ROLE_NONE, _ROLE_UBND, _ROLE_SCHOOL, _ROLE_COMMUNITY, _ROLE_FOREST = 0, 1, 2, 3, 4
_ROLE_BY_CODE = {"DGT": _ROLE_UBND, "TSC": _ROLE_UBND, "DGD": _ROLE_SCHOOL,
                 "TIN": _ROLE_COMMUNITY, "NTD": _ROLE_UBND, "RPH": _ROLE_FOREST}

_VILLAGE_CELL_M = 1500.0  # a village covers roughly this square of land
_MORTON_CELL_M = 100.0  # households are formed along a Z-order curve of this cell size
_MAX_NEIGHBOUR_M = 800.0  # one household's parcels are never further apart in sort order
_HOLDINGS = np.array([1, 2, 3, 4])
_HOLDINGS_P = np.array([0.42, 0.30, 0.17, 0.11])
_COUPLE_SHARE = 0.10
_INDIVIDUAL_SHARE = 0.08
_NO_PHONE_SHARE = 0.20


def generate_land_users(
    parcels: pd.DataFrame,
    seed: int,
    commune_names: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build land users and their parcel holdings for ``parcels``, deterministically from ``seed``.

    ``commune_names`` maps a commune code to its display name with the unit type
    ("xã Đồng Đăng", "phường Tam Thanh"); without it organisation names use "xã <code>".
    Returns ``(land_users, parcel_land_users)``.
    """
    missing = [c for c in PARCEL_COLUMNS if c not in parcels.columns]
    if missing:
        raise ValueError(f"parcels is missing columns: {', '.join(missing)}")
    rng = np.random.Generator(np.random.PCG64(seed))
    n = len(parcels)
    parcel_key = parcels["parcel_key"].to_numpy(dtype=np.int64)
    commune_idx, commune_index = pd.factorize(parcels["commune_code"].astype(str), sort=True)
    communes = np.asarray(commune_index, dtype=object)
    x = parcels["centroid_x"].to_numpy(dtype=np.float64)
    y = parcels["centroid_y"].to_numpy(dtype=np.float64)
    codes = parcels["land_use_code"].astype(str).str.strip().str.upper()

    villages = _villages(rng, commune_idx, x, y)
    role: NDArray[np.int64] = np.array(codes.map(_ROLE_BY_CODE).fillna(_ROLE_NONE),
                                         dtype=np.int64)
    # Half the cemeteries belong to the village community, half to the commune.
    ntd = (codes == "NTD").to_numpy()
    role[ntd & (rng.random(n) < 0.5)] = _ROLE_COMMUNITY

    hh_rows = np.flatnonzero(role == _ROLE_NONE)
    household = _cluster_households(rng, commune_idx[hh_rows], x[hh_rows], y[hh_rows])
    hh_users, hh_links = _households(rng, household, hh_rows, parcel_key, commune_idx, villages)
    org_users, org_links = _organisations(
        rng, np.flatnonzero(role != _ROLE_NONE), role, parcel_key, commune_idx, villages,
        communes, commune_names or {}, first_key=len(hh_users) + 1,
    )
    users = pd.concat([hh_users, org_users], ignore_index=True)
    users["commune_code"] = communes[users.pop("commune_idx").to_numpy()].astype(str)
    links = pd.concat([hh_links, org_links], ignore_index=True)
    links = links.sort_values(["parcel_key", "user_key"], ignore_index=True)
    return users, links


def _villages(
    rng: np.random.Generator, commune_idx: NDArray[np.intp], x: NDArray[np.float64],
    y: NDArray[np.float64],
) -> NDArray[np.object_]:
    """The village name of each parcel: one name per commune × 1.5 km cell."""
    names = np.array(village_names(), dtype=object)
    cx = np.floor(x / _VILLAGE_CELL_M).astype(np.int64)
    cy = np.floor(y / _VILLAGE_CELL_M).astype(np.int64)
    cell = (commune_idx.astype(np.int64) << 40) ^ ((cx & 0xFFFFF) << 20) ^ (cy & 0xFFFFF)
    cell_idx, uniques = pd.factorize(cell, sort=True)
    pick = rng.integers(0, len(names), size=len(uniques))
    return names[pick[cell_idx]]


def _spread_bits(v: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Insert a zero bit between each of the low 21 bits (for a Morton code)."""
    v = v & np.uint64(0x1FFFFF)
    for shift, mask in ((32, 0x1F00000000FFFF), (16, 0x1F0000FF0000FF), (8, 0x100F00F00F00F00F),
                        (4, 0x10C30C30C30C30C3), (2, 0x1249249249249249)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def _cluster_households(
    rng: np.random.Generator, commune_idx: NDArray[np.intp], x: NDArray[np.float64],
    y: NDArray[np.float64],
) -> NDArray[np.int64]:
    """Group parcels into households of 1–4 neighbouring parcels; returns a household index
    per parcel, numbered 0.. in sort order."""
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    gx = np.clip((x - x.min()) / _MORTON_CELL_M, 0, 0x1FFFFF).astype(np.uint64)
    gy = np.clip((y - y.min()) / _MORTON_CELL_M, 0, 0x1FFFFF).astype(np.uint64)
    morton = _spread_bits(gx) | (_spread_bits(gy) << np.uint64(1))
    order = np.lexsort((morton, commune_idx))
    sx, sy, sc = x[order], y[order], commune_idx[order]
    far = np.hypot(np.diff(sx), np.diff(sy)) > _MAX_NEIGHBOUR_M
    brk = np.concatenate(([True], far | (np.diff(sc) != 0)))
    lengths = rng.choice(_HOLDINGS, size=n, p=_HOLDINGS_P)
    starts = np.cumsum(lengths)
    run_start = np.zeros(n, dtype=bool)
    run_start[0] = True
    run_start[starts[starts < n]] = True
    hh_sorted = np.cumsum(brk | run_start) - 1
    household = np.empty(n, dtype=np.int64)
    household[order] = hh_sorted
    return household


def _person_names(
    rng: np.random.Generator, male: NDArray[np.bool_],
) -> pd.Series:
    """Full names (surname, middle, given) for people of the given sex."""
    n = len(male)
    sur = np.array([s for s, _ in SURNAMES], dtype=object)
    sur_p = np.array([w for _, w in SURNAMES])
    surname = sur[rng.choice(len(sur), size=n, p=sur_p / sur_p.sum())]
    middle = np.empty(n, dtype=object)
    given = np.empty(n, dtype=object)
    for is_male, mids, givens in ((True, MALE_MIDDLE, MALE_GIVEN),
                                  (False, FEMALE_MIDDLE, FEMALE_GIVEN)):
        rows = np.flatnonzero(male == is_male)
        mid_names = np.array([m for m, _ in mids], dtype=object)
        mid_p = np.array([w for _, w in mids])
        middle[rows] = mid_names[rng.choice(len(mids), size=len(rows), p=mid_p / mid_p.sum())]
        given[rows] = np.array(givens, dtype=object)[rng.integers(0, len(givens), len(rows))]
    # "Hoàng Văn" is itself surname + middle name: keep the two-word form, drop a second middle.
    double = surname == "Hoàng Văn"
    middle[double & male] = ""
    middle[double & ~male] = "Thị"
    surname[double & ~male] = "Hoàng"
    middle = np.where(middle == "", "", middle + " ").astype(object)
    return pd.Series(surname + " " + middle + given, dtype=object)


def _citizen_ids(rng: np.random.Generator, male: NDArray[np.bool_],
                 birth_year: NDArray[np.int64]) -> pd.Series:
    """12-digit CCCD numbers: 020 (Lạng Sơn), sex/century digit, birth year, 6 digits."""
    century = (birth_year >= 2000).astype(np.int64) * 2 + (~male).astype(np.int64)
    prefix = century * 100 + birth_year % 100
    # Serials must be unique per prefix (the column is UNIQUE): rank the people of each
    # prefix in a random order and spread the ranks with a stride coprime to 10**6.
    shuffled = rng.permutation(len(male))
    rank = np.empty(len(male), dtype=np.int64)
    rank[shuffled] = pd.Series(prefix[shuffled]).groupby(prefix[shuffled]).cumcount().to_numpy()
    offset = rng.integers(0, 10**6, 400)[prefix]
    serial = (offset + rank * 7919) % 10**6
    return "020" + pd.Series(prefix * 10**6 + serial).astype(str).str.zfill(9)


def _mobiles(rng: np.random.Generator, n: int) -> pd.Series:
    """Vietnamese mobile numbers, about a fifth of them missing (None)."""
    prefixes = np.array(MOBILE_PREFIXES, dtype=object)[rng.integers(0, len(MOBILE_PREFIXES), n)]
    digits = pd.Series(rng.integers(0, 10**7, n)).astype(str).str.zfill(7)
    phone = np.array(pd.Series(prefixes) + digits, dtype=object)
    phone[rng.random(n) < _NO_PHONE_SHARE] = None
    return pd.Series(phone, dtype=object)


def _households(
    rng: np.random.Generator, household: NDArray[np.int64], rows: NDArray[np.intp],
    parcel_key: NDArray[np.int64], commune_idx: NDArray[np.intp], villages: NDArray[np.object_],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Users (a head and sometimes a spouse) and holdings for the household parcels."""
    n_hh = int(household.max()) + 1 if len(household) else 0
    first_row = np.full(n_hh, len(rows), dtype=np.int64)
    np.minimum.at(first_row, household, np.arange(len(rows)))
    home = rows[first_row]  # the household lives where its first parcel is
    couple = rng.random(n_hh) < _COUPLE_SHARE
    head_key = np.arange(n_hh) + np.cumsum(couple) - couple + 1
    spouse_key = head_key[couple] + 1

    head_male = rng.random(n_hh) < 0.7
    head_year = rng.integers(1945, 2001, n_hh)
    spouse_male = ~head_male[couple]
    spouse_year = np.clip(head_year[couple] + np.where(spouse_male, -1, 1)
                          * rng.integers(0, 8, couple.sum()), 1940, 2005)
    male = np.concatenate([head_male, spouse_male])
    year = np.concatenate([head_year, spouse_year])
    kind = np.full(len(male), LandUserKind.HOUSEHOLD.value, dtype=object)
    kind[:n_hh][~couple & (rng.random(n_hh) < _INDIVIDUAL_SHARE)] = LandUserKind.INDIVIDUAL.value
    home_all = np.concatenate([home, home[couple]])
    users = pd.DataFrame({
        "user_key": np.concatenate([head_key, spouse_key]).astype(np.int64),
        "full_name": _person_names(rng, male).to_numpy(),
        "kind": kind,
        "citizen_id": pd.Series(_citizen_ids(rng, male, year).to_numpy(), dtype=object),
        "phone": pd.Series(_mobiles(rng, len(male)).to_numpy(), dtype=object),
        "address": ("Thôn " + pd.Series(villages[home_all])).to_numpy(),
        "commune_idx": commune_idx[home_all],
    }).sort_values("user_key", ignore_index=True)

    share = np.where(couple[household], 50, 100)
    co = couple[household]
    spouse_of = np.zeros(n_hh, dtype=np.int64)
    spouse_of[couple] = spouse_key
    links = pd.DataFrame({
        "parcel_key": np.concatenate([parcel_key[rows], parcel_key[rows][co]]),
        "user_key": np.concatenate([head_key[household], spouse_of[household][co]]),
        "share_pct": np.concatenate([share, share[co]]).astype(np.int64),
    })
    return users, links


def _organisations(
    rng: np.random.Generator, rows: NDArray[np.intp], role: NDArray[np.int64],
    parcel_key: NDArray[np.int64], commune_idx: NDArray[np.intp], villages: NDArray[np.object_],
    communes: NDArray[np.object_], commune_names: Mapping[str, str], first_key: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One user per commune authority, school, forest board or village community."""
    r, c, v = role[rows], commune_idx[rows], villages[rows]
    # A community is one per village; the others one per commune.
    group = pd.DataFrame({"c": c, "r": r, "v": np.where(r == _ROLE_COMMUNITY, v, "")})
    org_idx, uniq = pd.factorize(pd.MultiIndex.from_frame(group), sort=True)
    n_org = len(uniq)
    u_c = np.asarray(uniq.get_level_values(0), dtype=np.int64)
    u_r = np.asarray(uniq.get_level_values(1), dtype=np.int64)
    u_v = np.asarray(uniq.get_level_values(2), dtype=object)
    display = np.array([commune_names.get(str(code), f"xã {code}") for code in communes],
                       dtype=object)
    bare = np.array([_strip_unit(d) for d in display], dtype=object)
    names = np.empty(n_org, dtype=object)
    names[u_r == _ROLE_UBND] = "UBND " + display[u_c[u_r == _ROLE_UBND]]
    names[u_r == _ROLE_SCHOOL] = "Trường Tiểu học " + bare[u_c[u_r == _ROLE_SCHOOL]]
    names[u_r == _ROLE_FOREST] = "Ban quản lý rừng phòng hộ " + bare[u_c[u_r == _ROLE_FOREST]]
    names[u_r == _ROLE_COMMUNITY] = "Cộng đồng dân cư thôn " + u_v[u_r == _ROLE_COMMUNITY]
    # The office sits in some village of the commune; communities in their own.
    first_row = np.full(n_org, len(rows), dtype=np.int64)
    np.minimum.at(first_row, org_idx, np.arange(len(rows)))
    landline = "0205" + pd.Series(rng.integers(3_000_000, 3_999_999, n_org)).astype(str)
    phone = np.array(landline, dtype=object)
    phone[rng.random(n_org) < 0.3] = None
    kind = np.where(u_r == _ROLE_COMMUNITY, LandUserKind.COMMUNITY.value,
                    LandUserKind.ORGANISATION.value).astype(object)
    keys = np.arange(n_org, dtype=np.int64) + first_key
    users = pd.DataFrame({
        "user_key": keys,
        "full_name": names,
        "kind": kind,
        "citizen_id": pd.Series(np.full(n_org, None), dtype=object),
        "phone": pd.Series(phone, dtype=object),
        "address": ("Thôn " + pd.Series(v[first_row], dtype=object)).to_numpy(),
        "commune_idx": u_c,
    })
    links = pd.DataFrame({
        "parcel_key": parcel_key[rows],
        "user_key": keys[org_idx],
        "share_pct": np.full(len(rows), 100, dtype=np.int64),
    })
    return users, links


def _strip_unit(display: str) -> str:
    """'xã Đồng Đăng' -> 'Đồng Đăng'; leaves a bare code or name alone."""
    for unit in ("xã ", "phường ", "thị trấn ", "Xã ", "Phường "):
        if display.startswith(unit) and not display[len(unit):].isdigit():
            return display[len(unit):]
    return display
