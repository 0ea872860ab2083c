"""Approved compensation amounts and payments for the demo case history.

Unit prices follow the shape of Lạng Sơn's 2024–2025 land price tables (VND/m²); each
commune gets its own position inside every range. All money is integer VND, rounded to
1,000 VND as it is on approved plans.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gis.core.domain import PaymentMethod
from gis.demo.history_calendar import Days, to_dates

Money = NDArray[np.int64]

# Land price ranges by 2024 land-use code, VND/m². State and public land is not compensated.
LAND_PRICE_VND_M2: dict[str, tuple[int, int]] = {
    "LUC": (60_000, 80_000), "LUK": (60_000, 80_000), "HNK": (50_000, 70_000),
    "CLN": (55_000, 75_000), "NTS": (50_000, 70_000), "NKH": (40_000, 60_000),
    "CNT": (45_000, 65_000), "RSX": (10_000, 20_000), "RPH": (8_000, 15_000),
    "RDD": (8_000, 15_000), "ONT": (1_000_000, 4_000_000), "ODT": (4_000_000, 15_000_000),
    "TMD": (1_500_000, 6_000_000), "SKC": (800_000, 3_000_000),
}

# Crops and trees on the land (rice, star anise and custard apple, acacia plantations…), VND/m².
CROP_VND_M2: dict[str, tuple[int, int]] = {
    "LUC": (4_000, 7_000), "LUK": (4_000, 7_000), "HNK": (3_000, 6_000),
    "CLN": (15_000, 40_000), "NTS": (5_000, 10_000), "NKH": (3_000, 6_000),
    "RSX": (8_000, 20_000), "RPH": (5_000, 10_000), "RDD": (5_000, 10_000),
    "BCS": (1_000, 3_000), "DCS": (1_000, 3_000), "NCS": (500, 1_500),
}

AGRICULTURAL_CODES = frozenset({"LUC", "LUK", "HNK", "CLN", "NTS", "NKH", "CNT", "RSX",
                                "RPH", "RDD", "LMU"})
RESIDENTIAL_CODES = frozenset({"ONT", "ODT"})
_JOB_SUPPORT_FACTORS = np.array([1.5, 2.0, 2.5, 3.0, 4.0, 5.0])
_RICE_VND_KG = 15_000


@dataclass(frozen=True)
class ApprovedAmounts:
    """The five parts of an approved compensation, support and resettlement plan."""

    land: Money
    structures: Money
    crops: Money
    support: Money
    resettlement: Money

    @property
    def total(self) -> Money:
        """Sum of the five parts."""
        return self.land + self.structures + self.crops + self.support + self.resettlement


def round_thousand(vnd: NDArray[np.float64]) -> Money:
    """Round to the nearest 1,000 VND, never below zero."""
    return (np.round(np.maximum(vnd, 0.0) / 1000.0) * 1000).astype(np.int64)


def _range(codes: NDArray[np.object_], table: dict[str, tuple[int, int]],
           position: NDArray[np.float64]) -> NDArray[np.float64]:
    """Value at ``position`` (0..1) inside each code's range; 0 for codes not in the table."""
    lo = np.array([table.get(c, (0, 0))[0] for c in codes], dtype=np.float64)
    hi = np.array([table.get(c, (0, 0))[1] for c in codes], dtype=np.float64)
    return lo + (hi - lo) * position


def approved_amounts(
    rng: np.random.Generator, codes: NDArray[np.object_], area_m2: NDArray[np.float64],
    legal_area_m2: NDArray[np.float64], is_whole: NDArray[np.bool_],
    has_residence: NDArray[np.bool_], resettlement: NDArray[np.bool_],
    region: NDArray[np.intp],
) -> ApprovedAmounts:
    """Compensation by land use, area and region (commune) for every case."""
    n = len(codes)
    uniq, inverse = np.unique(codes.astype(str), return_inverse=True)
    uniq_obj = uniq.astype(object)
    n_regions = int(region.max()) + 1 if n else 0
    region_pos = rng.random(n_regions)
    job_factor = _JOB_SUPPORT_FACTORS[rng.integers(0, len(_JOB_SUPPORT_FACTORS), n_regions)]
    position = np.clip(0.7 * region_pos[region] + 0.3 * rng.random(n), 0.0, 1.0)
    zeros, ones = np.zeros(len(uniq)), np.ones(len(uniq))
    price_lo = _range(uniq_obj, LAND_PRICE_VND_M2, zeros)[inverse]
    price_hi = _range(uniq_obj, LAND_PRICE_VND_M2, ones)[inverse]
    price = np.round(price_lo + (price_hi - price_lo) * position, -3)  # tables list round prices
    land = price * area_m2
    crop_lo = _range(uniq_obj, CROP_VND_M2, zeros)[inverse]
    crop_hi = _range(uniq_obj, CROP_VND_M2, ones)[inverse]
    crops = (crop_lo + (crop_hi - crop_lo) * rng.random(n)) * area_m2

    agri = np.isin(codes, list(AGRICULTURAL_CODES))
    residential = has_residence | np.isin(codes, list(RESIDENTIAL_CODES))
    public = (price == 0) & (crop_hi == 0)
    structures = np.zeros(n)
    house = rng.uniform(100e6, 900e6, n)
    structures[residential] = np.where(is_whole, house, house * rng.uniform(0.1, 0.5, n))[
        residential]
    crops[residential] += rng.uniform(2e6, 20e6, n)[residential]  # garden trees
    sheds = agri & (rng.random(n) < 0.15)  # huts, wells, fences on farm land
    structures[sheds] = rng.uniform(5e6, 60e6, n)[sheds]
    graves = codes == "NTD"
    structures[graves] = (rng.integers(1, 21, n) * rng.uniform(12e6, 20e6, n))[graves]
    other = public & ~graves & ~residential
    structures[other] = rng.uniform(20e6, 500e6, n)[other]  # roads, culverts, offices

    # Job conversion support on farm land; rice for life stabilisation when much is taken.
    support = np.zeros(n)
    support[agri] = (job_factor[region] * price * area_m2)[agri]
    large = agri & (is_whole | (area_m2 >= 0.3 * np.maximum(legal_area_m2, 1.0)))
    persons = rng.integers(2, 7, n)
    months = np.where(is_whole, 12, 6)
    support[large] += (persons * months * 30 * _RICE_VND_KG)[large]
    moving = residential & is_whole
    support[moving] += rng.uniform(5e6, 10e6, n)[moving]
    support[resettlement] += (6 * rng.uniform(2e6, 4e6, n))[resettlement]  # rent, 6 months
    resettle_vnd = np.where(resettlement, rng.uniform(100e6, 400e6, n), 0.0)
    return ApprovedAmounts(
        land=round_thousand(land), structures=round_thousand(structures),
        crops=round_thousand(crops), support=round_thousand(support),
        resettlement=round_thousand(resettle_vnd),
    )


def build_payments(
    rng: np.random.Generator, case_key: NDArray[np.int64], total: Money, first_day: Days,
    last_day: Days, deposited: NDArray[np.bool_],
) -> pd.DataFrame:
    """Payment rows for paid cases: one payment, or two instalments when
    ``first_day < last_day``; money of refusing households goes to the treasury."""
    n = len(case_key)
    split = (first_day < last_day) & (total >= 2_000) & ~deposited
    first_amount = np.where(split, round_thousand(total * rng.uniform(0.5, 0.8, n)), total)
    first_amount = np.minimum(first_amount, total - np.where(split, 1_000, 0))
    cash = rng.random(n) < 0.2
    method = np.where(deposited, PaymentMethod.TREASURY_DEPOSIT.value,
                      np.where(cash, PaymentMethod.CASH.value, PaymentMethod.TRANSFER.value))
    rows = pd.DataFrame({
        "case_key": np.concatenate([case_key, case_key[split]]),
        "amount_vnd": np.concatenate([first_amount, (total - first_amount)[split]]),
        "day": np.concatenate([np.where(split, first_day, last_day), last_day[split]]),
        "method": np.concatenate([method, method[split]]).astype(object),
    })
    rows = rows[rows["amount_vnd"] > 0].sort_values(["day", "case_key"], ignore_index=True)
    year = rows["day"].to_numpy().astype("datetime64[D]").astype("datetime64[Y]").astype(
        np.int64) + 1970
    number = rows.groupby([year, rows["method"]]).cumcount().to_numpy() + 1
    prefix = rows["method"].map({PaymentMethod.CASH.value: "PC",
                                 PaymentMethod.TRANSFER.value: "UNC",
                                 PaymentMethod.TREASURY_DEPOSIT.value: "GNT"})
    voucher = (prefix + pd.Series(year % 100).astype(str).str.zfill(2) + "-"
               + pd.Series(number).astype(str).str.zfill(6))
    out = pd.DataFrame({
        "case_key": rows["case_key"].astype(np.int64),
        "amount_vnd": rows["amount_vnd"].astype(np.int64),
        "paid_on": pd.Series(to_dates(rows["day"].to_numpy()), dtype=object),
        "method": rows["method"].astype(str),
        "voucher_no": voucher.astype(str),
    })
    return out.sort_values(["case_key", "paid_on"], ignore_index=True, kind="stable")
