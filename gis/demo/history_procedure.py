"""The procedure records of the demo history that revision 0009 asks for: the consultation
after each posting, the supporting documents of each act (notice delivery, e-portal
posting from 2026, posting end minutes, persuasion and enforcement records) and the
complaint register (one complaint received late, flagged)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from gis.core.domain import EventKind
from gis.demo.history_calendar import next_working_day, posting_days
from gis.demo.history_events import COMMUNE, EventBlocks
from gis.demo.history_plan import APPROVED, POSTED, CaseDates, CasePlan
from gis.workflow.paperwork import ONLINE_POSTING_FROM, DocKind

DOCUMENT_COLUMNS = ("case_key", "seq", "kind", "doc_no", "doc_date")
COMPLAINT_COLUMNS = ("case_key", "seq", "received_on", "against", "decision_received_on",
                     "round", "due_on", "late_days", "rule_version", "outcome", "outcome_on",
                     "resolved_seq")
COMPLAINT_DAYS = 90
RES254_FROM = date(2026, 1, 1)


def add_consultations(rng: np.random.Generator, blocks: EventBlocks, plan: CasePlan,
                      d: CaseDates, today: int) -> None:
    """The consultation a few working days after each posting period ends, before the
    approval (on its day at the latest); within the 30 days Resolution 254 sets."""
    f = plan.final
    rows = np.flatnonzero(f >= POSTED)
    end = d.posted[rows] + posting_days(d.posted[rows])
    held = next_working_day(end + rng.integers(0, 5, len(rows)))
    held = np.where(f[rows] >= APPROVED, np.minimum(held, d.approved[rows]), held)
    keep = held <= today
    blocks.add(rows[keep], held[keep], EventKind.CONSULTATION.value, 35, doc="BB-HLYK",
               signer=COMMUNE, note="Họp lấy ý kiến, đối thoại về phương án bồi thường, hỗ "
               "trợ, tái định cư")


def _docs(rows: pd.DataFrame, kind: DocKind, symbol: str, day: pd.Series) -> pd.DataFrame:
    number = (np.arange(len(rows)) % 899 + 1).astype(str)
    return pd.DataFrame({"case_key": rows["case_key"].to_numpy(), "seq": rows["seq"].to_numpy(),
                         "kind": kind.value, "doc_no": pd.Series(number, dtype=object)
                         .add(f"/{symbol}").to_numpy(), "doc_date": day.to_numpy()})


def supporting_documents(events: pd.DataFrame) -> pd.DataFrame:
    """The supporting documents of the events, keyed by (case_key, seq)."""
    ev = events
    step_to = ev["step_to"]
    posted_on = ev[step_to == "plan_posted"].set_index("case_key")["occurred_on"]
    decided_on = ev[ev["kind"] == EventKind.ENFORCEMENT_DECIDED.value].set_index(
        "case_key")["occurred_on"]
    parts = [_docs(ev[step_to == "notified"], DocKind.NOTICE_DELIVERY, "BB-GTB",
                   ev.loc[step_to == "notified", "occurred_on"])]
    online = ev[(step_to == "plan_posted") & (ev["occurred_on"] >= ONLINE_POSTING_FROM)]
    parts.append(_docs(online, DocKind.EPORTAL_POSTING, "TB-CTTĐT", online["occurred_on"]))
    held = ev[ev["kind"] == EventKind.CONSULTATION.value]
    start = held["case_key"].map(posted_on)
    ended = pd.Series([s + timedelta(days=10 if s >= ONLINE_POSTING_FROM else 30)
                       for s in start], index=held.index, dtype=object)
    parts.append(_docs(held, DocKind.POSTING_END, "BB-KTNY", ended))
    compulsory = ev[ev["kind"] == EventKind.COMPULSORY_INVENTORY.value]
    persuaded = compulsory["occurred_on"].map(lambda day: day - timedelta(days=12))
    parts.append(_docs(compulsory, DocKind.PERSUASION_MINUTES, "BB-VĐ", persuaded))
    executed = ev[ev["kind"] == EventKind.ENFORCEMENT_EXECUTED.value]
    decided = executed["case_key"].map(decided_on)
    for i, (kind, symbol) in enumerate(((DocKind.PERSUASION_MINUTES, "BB-VĐ"),
                                        (DocKind.ENFORCEMENT_POSTING, "BB-NYCC"),
                                        (DocKind.ENFORCEMENT_DELIVERY, "BB-GQĐ")), start=1):
        day = pd.Series([min(a + timedelta(days=i), b) for a, b in
                         zip(decided, executed["occurred_on"], strict=True)],
                        index=executed.index, dtype=object)
        parts.append(_docs(executed, kind, symbol, day))
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"seq": "int64", "case_key": "int64"})[list(DOCUMENT_COLUMNS)]


def complaint_register(events: pd.DataFrame) -> pd.DataFrame:
    """One register row per complaint received, counted from the recovery decision (the
    day the household received it), late ones flagged; the outcome when resolved."""
    ev = events
    decisions = ev[(ev["step_to"] == "decided") | ((ev["step_from"] == "paid")
                                                   & (ev["step_to"] == "decided_paid"))]
    decision = decisions.set_index("case_key")[["occurred_on", "decision_no"]]
    filed = ev[ev["kind"] == EventKind.COMPLAINT_FILED.value]
    resolved = ev[ev["kind"] == EventKind.COMPLAINT_RESOLVED.value].set_index("case_key")
    rows = []
    for key, seq, received in zip(filed["case_key"], filed["seq"], filed["occurred_on"],
                                  strict=True):
        decided_on, number = decision.loc[key, "occurred_on"], decision.loc[key, "decision_no"]
        due = decided_on + timedelta(days=COMPLAINT_DAYS)
        done = resolved.loc[[key]] if key in resolved.index else None
        rows.append({
            "case_key": key, "seq": seq, "received_on": received,
            "against": f"Quyết định thu hồi đất số {number} ngày {decided_on:%d/%m/%Y}",
            "decision_received_on": decided_on, "round": 1, "due_on": due,
            "late_days": max(0, (received - due).days),
            "rule_version": "NQ254-2026" if received >= RES254_FROM else "LD2024",
            "outcome": None if done is None else (
                "not_accepted" if received > due else "rejected"),
            "outcome_on": None if done is None else done["occurred_on"].iloc[0],
            "resolved_seq": None if done is None else int(done["seq"].iloc[0]),
        })
    return pd.DataFrame(rows, columns=list(COMPLAINT_COLUMNS))
