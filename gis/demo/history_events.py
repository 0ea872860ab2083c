"""Assemble the append-only event log of the demo case history.

Events are collected as column blocks (one block per kind of entry, covering many cases at
once), then sorted, numbered, given document numbers, signers and recording times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gis.demo.history_calendar import (
    COMMUNE_SIGNS_FROM,
    Days,
    day_number,
    next_working_day,
    to_dates,
)

# Who signs a document.
CHAIR = "chair"  # district chairman before 1 Jul 2025, commune chairman after
COMMUNE = "commune"  # always the commune chairman (the plan is posted at the commune)
CENTRE = "centre"  # the land fund centre (inventory, handover minutes)
ENFORCEMENT_BOARD = "enforce"
PAYEE = "payee"  # the land user who signs the payment receipt

_TZ = "Asia/Ho_Chi_Minh"
_DEPUTY_SHARE = 0.3  # "Phó Chủ tịch" signs on behalf of the chairman


@dataclass
class EventBlocks:
    """Columns of events gathered block by block."""

    columns: dict[str, list[NDArray[np.generic]]] = field(default_factory=dict)

    def add(
        self, rows: NDArray[np.intp], day: Days, kind: str, prio: int, *,
        step_from: str | None = None, step_to: str | None = None, doc: str | None = None,
        signer: str | None = None, note: NDArray[np.object_] | str | None = None,
    ) -> None:
        """Add one event of ``kind`` for each case row in ``rows`` on ``day`` (same length)."""
        n = len(rows)
        values: dict[str, NDArray[np.generic]] = {
            "row": np.asarray(rows, dtype=np.int64),
            "day": np.asarray(day, dtype=np.int64),
            "prio": np.full(n, prio, dtype=np.int64),
            "kind": np.full(n, kind, dtype=object),
            "step_from": np.full(n, None if step_from is None else str(step_from), dtype=object),
            "step_to": np.full(n, None if step_to is None else str(step_to), dtype=object),
            "doc": np.full(n, doc, dtype=object),
            "level": np.full(n, signer, dtype=object),
            "note": np.asarray(note, dtype=object) if isinstance(note, np.ndarray)
            else np.full(n, note, dtype=object),
        }
        for name, arr in values.items():
            self.columns.setdefault(name, []).append(arr)

    def frame(self) -> pd.DataFrame:
        """All blocks as one frame."""
        data = {k: np.concatenate(v) for k, v in self.columns.items()}
        # Keep None as None: without dtype=object pandas would infer strings and use NaN.
        return pd.DataFrame({k: pd.Series(v, dtype=object) if v.dtype == object else v
                             for k, v in data.items()})


def _signers(
    rng: np.random.Generator, day: Days, level: NDArray[np.object_],
    commune: NDArray[np.object_], district: NDArray[np.object_], payee: NDArray[np.object_],
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Signer text and issuing office of each event, from its authority level and date."""
    n = len(day)
    two_tier = day >= day_number(COMMUNE_SIGNS_FROM)
    title = np.where(rng.random(n) < _DEPUTY_SHARE, "Phó Chủ tịch UBND ", "Chủ tịch UBND ")
    by_commune = (level == COMMUNE) | ((level == CHAIR) & two_tier)
    by_district = (level == CHAIR) & ~two_tier
    signer = np.full(n, None, dtype=object)
    issuer = np.full(n, "", dtype=object)
    signer[by_commune] = title[by_commune].astype(object) + commune[by_commune]
    issuer[by_commune] = "UBND " + commune[by_commune]
    signer[by_district] = title[by_district].astype(object) + district[by_district]
    issuer[by_district] = "UBND " + district[by_district]
    signer[level == CENTRE] = "Giám đốc Trung tâm Phát triển quỹ đất"
    issuer[level == CENTRE] = "TTPTQĐ"
    signer[level == ENFORCEMENT_BOARD] = "Trưởng Ban thực hiện cưỡng chế thu hồi đất"
    issuer[level == ENFORCEMENT_BOARD] = "BCC"
    signer[level == PAYEE] = payee[level == PAYEE]
    issuer[level == PAYEE] = "TTPTQĐ"  # the centre numbers its receipts
    return signer, issuer


def _issuer_columns(issuer: NDArray[np.object_], level: NDArray[np.object_]
                    ) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """(issuer_level, issuer_unit) of the People's Committee decisions (revision 0009)."""
    n = len(issuer)
    out_level, out_unit = np.full(n, None, dtype=object), np.full(n, None, dtype=object)
    committee = ((level == CHAIR) | (level == COMMUNE)) & np.char.startswith(
        issuer.astype(str), "UBND ")
    unit = issuer[committee]
    out_unit[committee] = unit
    out_level[committee] = np.where(np.char.startswith(unit.astype(str), "UBND huyện"),
                                    "district", np.where(np.char.startswith(
                                        unit.astype(str), "UBND tỉnh"), "province", "commune"))
    return out_level, out_unit


def _document_numbers(
    rng: np.random.Generator, day: Days, doc: NDArray[np.object_], issuer: NDArray[np.object_],
) -> NDArray[np.object_]:
    """'123/QĐ-UBND'-style numbers, counted per issuer, symbol and year in date order."""
    has_doc = np.flatnonzero(pd.notna(doc))
    out = np.full(len(day), None, dtype=object)
    if len(has_doc) == 0:
        return out
    year = day[has_doc].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    frame = pd.DataFrame({"issuer": issuer[has_doc], "doc": doc[has_doc], "year": year,
                          "day": day[has_doc]})
    frame = frame.sort_values(["issuer", "doc", "year", "day"], kind="stable")
    group = frame.groupby(["issuer", "doc", "year"], sort=True)
    # Each office has issued other papers before the first one of this project this year.
    base = rng.integers(1, 300, group.ngroups)[group.ngroup().to_numpy()]
    number = base + group.cumcount().to_numpy()
    text = pd.Series(number).astype(str).to_numpy(dtype=object) + "/" + frame["doc"].to_numpy()
    out[has_doc[frame.index.to_numpy()]] = text
    return out


def _recorded_at(rng: np.random.Generator, case_key: NDArray[np.int64], day: Days,
                 today: int) -> pd.Series:
    """Recording time in office hours, same day or a few working days later, never before
    the previous entry of the same case (the log is append-only)."""
    n = len(day)
    lag = np.where(rng.random(n) < 0.55, 0, rng.integers(1, 6, n))
    rec_day = next_working_day(day + lag)
    rec_day = np.where(rec_day > today, day, rec_day)
    morning = rng.random(n) < 0.5
    minute = np.where(morning, rng.integers(7 * 60 + 30, 11 * 60 + 15, n),
                      rng.integers(13 * 60 + 30, 16 * 60 + 30, n))
    seconds = rec_day * 86_400 + minute * 60 + rng.integers(0, 60, n)
    # Strictly increasing within a case, two minutes apart at least.
    step = np.arange(n, dtype=np.int64) * 120
    seconds = pd.Series(seconds - step).groupby(case_key).cummax().to_numpy() + step
    local = pd.to_datetime(seconds, unit="s")
    return pd.Series(local).dt.tz_localize(_TZ)


def finish_events(
    rng: np.random.Generator, blocks: EventBlocks, case_key: NDArray[np.int64],
    office: NDArray[np.object_], commune: NDArray[np.object_], district: NDArray[np.object_],
    today: int, payee: NDArray[np.object_] | None = None,
) -> pd.DataFrame:
    """Sort the blocks into a numbered event log with documents, signers and record times.

    ``office`` tells apart offices that number their documents separately when the names
    in ``commune`` and ``district`` are generic (commune code, else project code).
    """
    ev = blocks.frame()
    ev = ev[ev["day"] <= today]
    ev["case_key"] = case_key[ev["row"].to_numpy()]
    ev = ev.sort_values(["case_key", "day", "prio"], kind="stable", ignore_index=True)
    rows = ev["row"].to_numpy()
    day = ev["day"].to_numpy()
    level = ev["level"].to_numpy(dtype=object)
    payees = (payee if payee is not None else np.full(len(commune), "Đại diện hộ gia đình",
                                                      dtype=object))[rows]
    signer, issuer = _signers(rng, day, level, commune[rows], district[rows], payees)
    issuer_level, issuer_unit = _issuer_columns(issuer, level)
    issuer = issuer + "|" + office[rows].astype(object)
    decision_no = _document_numbers(rng, day, ev["doc"].to_numpy(dtype=object), issuer)
    keys = ev["case_key"].to_numpy(dtype=np.int64)
    dates = to_dates(day)
    decision_date = dates.copy()
    decision_date[pd.isna(decision_no)] = None
    return pd.DataFrame({
        "case_key": keys,
        "seq": ev.groupby("case_key").cumcount().to_numpy(dtype=np.int64) + 1,
        "kind": ev["kind"].astype(str),
        "step_from": pd.Series(ev["step_from"].to_numpy(), dtype=object),
        "step_to": pd.Series(ev["step_to"].to_numpy(), dtype=object),
        "occurred_on": pd.Series(dates, dtype=object),
        "decision_no": pd.Series(decision_no, dtype=object),
        "decision_date": pd.Series(decision_date, dtype=object),
        "signer": pd.Series(signer, dtype=object),
        "issuer_level": pd.Series(issuer_level, dtype=object),
        "issuer_unit": pd.Series(issuer_unit, dtype=object),
        "note": pd.Series(ev["note"].to_numpy(), dtype=object),
        "recorded_at": _recorded_at(rng, keys, day, today),
    })
