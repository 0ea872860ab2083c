"""Pure tests of the demo people and case-history generators (no database)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis.core.domain import CaseStep, EventKind, LandUserKind, PaymentMethod
from gis.core.landuse import LandGroup, land_use_type, normalise_land_use_code
from gis.demo.history import CaseHistory, generate_case_history
from gis.demo.history_calendar import PUBLIC_HOLIDAYS
from gis.demo.people import generate_land_users

TODAY = date(2026, 11, 21)
TET = (date(2024, 2, 10), date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6))
NEXT = {
    CaseStep.NOT_STARTED: {CaseStep.NOTIFIED},
    CaseStep.NOTIFIED: {CaseStep.INVENTORIED},
    CaseStep.INVENTORIED: {CaseStep.PLAN_POSTED},
    CaseStep.PLAN_POSTED: {CaseStep.PLAN_APPROVED},
    CaseStep.PLAN_APPROVED: {CaseStep.DECIDED, CaseStep.PAID},
    CaseStep.DECIDED: {CaseStep.DECIDED_PAID},
    CaseStep.PAID: {CaseStep.DECIDED_PAID},
    CaseStep.DECIDED_PAID: {CaseStep.HANDED_OVER},
}
AMOUNT_COLUMNS = ["approved_land_vnd", "approved_structures_vnd", "approved_crops_vnd",
                  "approved_support_vnd", "approved_resettlement_vnd"]
PAID_STEPS = {"paid", "decided_paid", "handed_over"}
APPROVED_STEPS = PAID_STEPS | {"plan_approved", "decided"}


def synthetic_cases(n: int, seed: int = 3, expressway_share: float = 0.9,
                    with_communes: bool = True) -> pd.DataFrame:
    """Cases shaped like the overlay output: mostly farm and forest land, some houses."""
    rng = np.random.default_rng(seed)
    codes = rng.choice(["LUC", "LUK", "HNK", "CLN", "RSX", "ONT", "ODT", "DGT", "NTD", "BHK"],
                       n, p=[0.15, 0.1, 0.1, 0.15, 0.25, 0.12, 0.03, 0.05, 0.02, 0.03])
    legal = rng.uniform(80, 5000, n)
    whole = rng.random(n) < 0.4
    frame = pd.DataFrame({
        "case_key": np.arange(1, n + 1),
        "project_code": np.where(rng.random(n) < expressway_share, "CT-HNCL", "CA-LSN"),
        "parcel_key": rng.permutation(n) + 1,
        "land_use_code": codes,
        "recovered_area_m2": np.where(whole, legal, legal * rng.uniform(0.05, 0.9, n)),
        "legal_area_m2": legal,
        "is_whole": whole,
        "has_residence": np.isin(codes, ["ONT", "ODT"]),
    })
    if with_communes:
        frame["commune_code"] = rng.choice(["06253", "06256", "06260", "06280", "06290"], n)
    return frame


@pytest.fixture(scope="module")
def cases() -> pd.DataFrame:
    return synthetic_cases(2000)


@pytest.fixture(scope="module")
def history(cases: pd.DataFrame) -> CaseHistory:
    return generate_case_history(cases, seed=11)


def _agricultural(code: str) -> bool:
    norm = normalise_land_use_code(code)
    return norm is not None and land_use_type(norm).group == LandGroup.AGRICULTURAL


def _minimum_days(notice: date, agricultural: bool) -> int:
    if notice >= date(2026, 1, 1):
        return 60 if agricultural else 120
    return 90 if agricultural else 180


def _on_day(events: pd.DataFrame, step_from: str | None, step_to: str) -> pd.Series:
    rows = events[events["step_to"] == step_to]
    if step_from is not None:
        rows = rows[rows["step_from"] == step_from]
    return rows.set_index("case_key")["occurred_on"]


def check_history(cases: pd.DataFrame, h: CaseHistory, today: date = TODAY) -> None:
    """Invariants every generated history must satisfy."""
    ev = h.events
    assert list(h.cases["case_key"]) == list(cases["case_key"])
    assert (ev.groupby("case_key")["seq"].agg(lambda s: list(s) == list(range(1, len(s) + 1)))
            .all())
    # Dates are non-decreasing along each case's log, within 2024..today.
    days = pd.to_datetime(ev["occurred_on"])
    assert (days.groupby(ev["case_key"]).diff().dropna() >= pd.Timedelta(0)).all()
    assert ev["occurred_on"].min() >= date(2024, 1, 1)
    assert ev["occurred_on"].max() <= today
    # Step events chain from not_started to the final step, nothing skipped.
    steps = ev[ev["kind"] == EventKind.STEP.value]
    final = dict(zip(h.cases["case_key"], h.cases["step"], strict=True))
    for key, chain in steps.groupby("case_key"):
        current = CaseStep.NOT_STARTED
        for step_from, step_to in zip(chain["step_from"], chain["step_to"], strict=True):
            assert step_from == current, (key, list(chain["step_to"]))
            assert CaseStep(step_to) in NEXT[current], (key, step_from, step_to)
            current = CaseStep(step_to)
        assert current == final[key]
    assert set(steps["case_key"]) == set(cases["case_key"])
    assert ev.loc[ev["kind"] != EventKind.STEP.value, "step_to"].isna().all()
    # Legal minimum between notice and recovery decision.
    notice = _on_day(ev, None, "notified")
    decision = pd.concat([_on_day(ev, None, "decided"), _on_day(ev, "paid", "decided_paid")])
    code = cases.set_index("case_key")["land_use_code"]
    for key, decided_on in decision.items():
        minimum = _minimum_days(notice[key], _agricultural(code[key]))
        assert (decided_on - notice[key]).days >= minimum, key
    # Money: whole thousands, non-negative, paid as approved.
    for col in [*AMOUNT_COLUMNS, "paid_vnd"]:
        assert h.cases[col].dtype == np.int64
        assert (h.cases[col] >= 0).all() and (h.cases[col] % 1000 == 0).all()
    before_approval = ~h.cases["step"].isin(APPROVED_STEPS)
    assert (h.cases.loc[before_approval, AMOUNT_COLUMNS] == 0).all().all()
    paid_sum = h.payments.groupby("case_key")["amount_vnd"].sum()
    assert (h.cases.set_index("case_key")["paid_vnd"]
            == paid_sum.reindex(h.cases["case_key"], fill_value=0)).all()
    total = h.cases[AMOUNT_COLUMNS].sum(axis=1)
    is_paid = h.cases["step"].isin(PAID_STEPS)
    assert (h.cases.loc[is_paid, "paid_vnd"] == total[is_paid]).all()
    assert (h.cases.loc[~is_paid, "paid_vnd"] == 0).all()
    assert (h.payments["amount_vnd"] > 0).all() and (h.payments["paid_on"] <= today).all()


def test_determinism(cases: pd.DataFrame, history: CaseHistory) -> None:
    again = generate_case_history(cases, seed=11)
    for name in ("cases", "events", "payments"):
        pd.testing.assert_frame_equal(getattr(history, name), getattr(again, name))
    other = generate_case_history(cases, seed=12)
    assert not other.events["occurred_on"].equals(history.events["occurred_on"])


def test_invariants(cases: pd.DataFrame, history: CaseHistory) -> None:
    check_history(cases, history)


def test_columns_and_types(history: CaseHistory) -> None:
    assert list(history.cases.columns) == ["case_key", "step", *AMOUNT_COLUMNS, "paid_vnd",
                                           "resettlement_needed", "complaint_open",
                                           "enforcement_stage"]
    assert list(history.events.columns) == ["case_key", "seq", "kind", "step_from", "step_to",
                                            "occurred_on", "decision_no", "decision_date",
                                            "signer", "issuer_level", "issuer_unit", "note",
                                            "recorded_at"]
    assert list(history.payments.columns) == ["case_key", "amount_vnd", "paid_on", "method",
                                              "voucher_no"]
    assert set(history.events["kind"]) <= {k.value for k in EventKind}
    assert set(history.payments["method"]) <= {m.value for m in PaymentMethod}
    assert all(type(d) is date for d in history.events["occurred_on"])
    stages = history.cases["enforcement_stage"]
    assert stages.map(lambda v: v in (None, "decided", "executed")).all()


def test_plan_posting_and_approval_timing(history: CaseHistory) -> None:
    ev = history.events
    posted = _on_day(ev, None, "plan_posted")
    approved = _on_day(ev, None, "plan_approved")
    for key, approved_on in approved.items():
        posting = 10 if posted[key] >= date(2026, 1, 1) else 30
        assert (approved_on - posted[key]).days >= posting


def test_documents_signers_and_recording(history: CaseHistory) -> None:
    ev = history.events
    docs = ev[ev["decision_no"].notna()]
    assert docs["decision_no"].str.fullmatch(
        r"\d+/(QĐ-UBND|TB-UBND|BB-KĐ|BB-BGMB|BB-CC|BB-HLYK|PC-TTPTQĐ)").all()
    assert (docs["decision_date"] == docs["occurred_on"]).all()
    assert docs["occurred_on"].map(lambda d: d.weekday() < 5).all()
    assert ev.loc[ev["decision_no"].isna(), "decision_date"].isna().all()
    district = docs["signer"].str.contains("UBND huyện", regex=False)
    assert (docs.loc[district, "occurred_on"] < date(2025, 7, 1)).all()
    approvals = docs[docs["step_to"] == "plan_approved"]
    late = approvals["occurred_on"] >= date(2025, 7, 1)
    assert approvals.loc[late, "signer"].str.contains("UBND xã", regex=False).all()
    assert approvals.loc[~late, "signer"].str.contains("UBND huyện", regex=False).all()
    rec = ev["recorded_at"]
    assert str(rec.dt.tz) == "Asia/Ho_Chi_Minh"
    assert (rec.dt.date >= ev["occurred_on"]).all()
    assert (rec.dt.date - ev["occurred_on"]).max() <= timedelta(days=14)
    minutes = rec.dt.hour * 60 + rec.dt.minute
    assert minutes.between(7 * 60 + 30, 17 * 60 + 30).all()
    assert (rec.groupby(ev["case_key"]).diff().dropna() > pd.Timedelta(0)).all()


def test_enforcement(history: CaseHistory) -> None:
    ev, cs = history.events, history.cases
    holidays = {first + timedelta(days=i) for first, last in PUBLIC_HOLIDAYS
                for i in range((last - first).days + 1)}
    kinds = {EventKind.ENFORCEMENT_DECIDED.value, EventKind.ENFORCEMENT_EXECUTED.value}
    for day in ev.loc[ev["kind"].isin(kinds), "occurred_on"]:
        assert day.weekday() < 5 and day not in holidays
        assert all(abs((day - tet).days) > 15 for tet in TET)
    executed = cs[cs["enforcement_stage"] == "executed"]
    assert (executed["step"] == "handed_over").all()
    decided = cs[cs["enforcement_stage"] == "decided"]
    assert decided["step"].isin(["decided", "decided_paid"]).all()
    executions = ev.loc[ev["kind"] == "enforcement_executed", "case_key"]
    assert set(executions) == set(executed["case_key"])
    enforced = cs.loc[cs["enforcement_stage"].notna(), "case_key"]
    deposits = history.payments[history.payments["case_key"].isin(enforced)]
    assert (deposits["method"] == PaymentMethod.TREASURY_DEPOSIT.value).all()


def test_complaints(cases: pd.DataFrame, history: CaseHistory) -> None:
    ev = history.events
    decision = pd.concat([_on_day(ev, None, "decided"), _on_day(ev, "paid", "decided_paid")])
    filed = ev[ev["kind"] == "complaint_filed"].set_index("case_key")["occurred_on"]
    resolved = ev[ev["kind"] == "complaint_resolved"].set_index("case_key")["occurred_on"]
    assert 0.015 <= len(filed) / len(cases) <= 0.035
    register = history.complaints.set_index("case_key")
    assert set(register.index) == set(filed.index)
    for key, day in filed.items():
        late = (day - decision[key]).days - 90
        assert (day - decision[key]).days > 0 and register.loc[key, "late_days"] == max(0, late)
    assert (register["late_days"] > 0).sum() == 1  # one complaint received late, flagged
    assert set(register.loc[register["late_days"] > 0, "outcome"]) <= {"not_accepted", None}
    for key, day in resolved.items():
        assert 0 < (day - filed[key]).days <= 45
    open_keys = set(history.cases.loc[history.cases["complaint_open"], "case_key"])
    assert open_keys == set(filed.index) - set(resolved.index)
    assert 0 < len(open_keys) < len(filed) / 2


def test_distribution_like_the_progress_reports(cases: pd.DataFrame,
                                                history: CaseHistory) -> None:
    cs = history.cases.set_index("case_key")
    expressway = cs.loc[cases.loc[cases["project_code"] == "CT-HNCL", "case_key"]]
    share = expressway["step"].value_counts(normalize=True)
    assert 0.80 <= share["handed_over"] <= 0.95
    assert 0.03 <= share[["plan_approved", "decided"]].sum() <= 0.06
    assert 0.02 <= share[["paid", "decided_paid"]].sum() <= 0.04
    assert 0.01 <= share[["notified", "inventoried", "plan_posted"]].sum() <= 0.025
    assert 0.004 <= expressway["enforcement_stage"].notna().mean() <= 0.012
    compulsory = history.events.loc[history.events["kind"] == "compulsory_inventory", "case_key"]
    assert 0.005 <= compulsory.nunique() / len(cs) <= 0.015
    police = cs.loc[cases.loc[cases["project_code"] == "CA-LSN", "case_key"]]
    assert (police["step"] == "handed_over").mean() < share["handed_over"] - 0.3
    ev = history.events
    approved = ev[(ev["step_to"] == "plan_approved") & ev["case_key"].isin(police.index)]
    assert approved["occurred_on"].map(lambda d: d.year).value_counts().idxmax() == 2025
    first = ev[ev["step_to"] == "notified"].set_index("case_key")["occurred_on"]
    normal = expressway.index[expressway["step"] == "handed_over"]
    assert first[normal].map(lambda d: d.year == 2024).mean() > 0.9


def test_amounts_are_plausible(cases: pd.DataFrame, history: CaseHistory) -> None:
    cs = history.cases.set_index("case_key")
    src = cases.set_index("case_key")
    done = cs["step"].isin(APPROVED_STEPS)
    unit = cs.loc[done, "approved_land_vnd"] / src.loc[done, "recovered_area_m2"]
    code = src.loc[done, "land_use_code"]
    assert unit[code == "LUC"].between(59_000, 81_000).all()
    assert unit[code == "RSX"].between(9_000, 21_000).all()
    assert unit[code == "ODT"].between(3_900_000, 15_100_000).all()
    assert (cs["resettlement_needed"] == (src["is_whole"] & src["has_residence"])).all()
    assert (cs.loc[~cs["resettlement_needed"], "approved_resettlement_vnd"] == 0).all()
    houses = done & src["has_residence"] & src["is_whole"]
    assert cs.loc[houses, "approved_structures_vnd"].between(100e6, 900e6).all()
    instalments = history.payments.groupby("case_key").size()
    assert (instalments <= 2).all() and (instalments == 2).any()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300),
       share=st.sampled_from([0.0, 0.5, 1.0]), communes=st.booleans(),
       today=st.dates(date(2026, 3, 1), date(2027, 12, 31)))
def test_any_seed_gives_a_valid_history(seed: int, n: int, share: float, communes: bool,
                                        today: date) -> None:
    frame = synthetic_cases(n, seed=seed % 1000, expressway_share=share,
                            with_communes=communes)
    check_history(frame, generate_case_history(frame, seed=seed, today=today), today)


# --- land users -------------------------------------------------------------------------


def synthetic_parcels(n: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    commune = rng.integers(0, 6, n)
    return pd.DataFrame({
        "parcel_key": np.arange(1, n + 1),
        "commune_code": pd.Series(commune + 6253).astype(str).str.zfill(5),
        "land_use_code": rng.choice(["LUC", "HNK", "CLN", "RSX", "ONT", "DGT", "TSC", "DGD",
                                     "TIN", "NTD", "RPH"], n,
                                    p=[0.2, 0.15, 0.2, 0.2, 0.13, 0.04, 0.01, 0.01, 0.02,
                                       0.02, 0.02]),
        "centroid_x": 440_000 + commune * 5_000 + rng.random(n) * 5_000,
        "centroid_y": 2_410_000 + rng.random(n) * 5_000,
    })


def test_land_users() -> None:
    parcels = synthetic_parcels(3000)
    users, links = generate_land_users(parcels, seed=4, commune_names={"06253": "xã Đồng Đăng"})
    again = generate_land_users(parcels, seed=4, commune_names={"06253": "xã Đồng Đăng"})
    pd.testing.assert_frame_equal(users, again[0])
    pd.testing.assert_frame_equal(links, again[1])
    assert list(users.columns) == ["user_key", "full_name", "kind", "citizen_id", "phone",
                                   "address", "commune_code"]
    assert list(links.columns) == ["parcel_key", "user_key", "share_pct"]
    assert list(users["user_key"]) == list(range(1, len(users) + 1))
    assert set(users["kind"]) <= {k.value for k in LandUserKind}
    people = users[users["kind"].isin(["household", "individual"])]
    orgs = users[~users.index.isin(people.index)]
    assert people["full_name"].map(lambda s: any(ord(c) > 127 for c in s)).mean() > 0.9
    assert people["full_name"].str.fullmatch(r"\w+( \w+){1,3}").all()
    assert people["citizen_id"].str.fullmatch(r"020[0-3]\d{8}").all()
    assert orgs["citizen_id"].isna().all()
    assert "UBND xã Đồng Đăng" in set(orgs["full_name"])
    assert orgs["full_name"].str.contains("Cộng đồng dân cư thôn").any()
    phones = people["phone"].dropna()
    assert phones.str.fullmatch(r"0[35789]\d{8}").all()
    assert 0.1 < people["phone"].isna().mean() < 0.3
    assert users["address"].str.startswith("Thôn ").all()
    # Every parcel held in full; a tenth or so by a couple; households hold 1-4 parcels.
    assert set(links["parcel_key"]) == set(parcels["parcel_key"])
    assert (links.groupby("parcel_key")["share_pct"].sum() == 100).all()
    holders = links.groupby("parcel_key").size()
    assert 0.04 < (holders == 2).mean() < 0.15
    held = links[links["user_key"].isin(people["user_key"])].groupby("user_key").size()
    assert held.max() <= 4 and held.mean() > 1.3
    public = parcels.loc[parcels["land_use_code"].isin(["DGT", "TSC", "DGD", "TIN", "NTD",
                                                        "RPH"]), "parcel_key"]
    public_links = links[links["parcel_key"].isin(public)]
    assert public_links["user_key"].isin(orgs["user_key"]).all()
    assert (public_links["share_pct"] == 100).all()
    # Parcels of one household lie close together.
    spread = (links[links["user_key"].isin(people["user_key"])]
              .merge(parcels, on="parcel_key").groupby("user_key")[["centroid_x", "centroid_y"]]
              .agg(lambda s: s.max() - s.min()))
    assert (spread.max(axis=1) < 2_000).all()
    assert (links.merge(parcels, on="parcel_key")
            .merge(users, on="user_key", suffixes=("", "_user"))
            .pipe(lambda m: (m["commune_code"] == m["commune_code_user"]).mean())) > 0.99
    assert re.fullmatch(r"\d{5}", users["commune_code"].iloc[0])


def test_small_and_empty_inputs() -> None:
    for code in ("DGT", "NTD", "LUC"):
        parcels = pd.DataFrame({"parcel_key": [1, 2, 3], "commune_code": ["06253"] * 3,
                                "land_use_code": [code] * 3, "centroid_x": [0.0, 5.0, 3e3],
                                "centroid_y": [0.0, 0.0, 0.0]})
        _users, links = generate_land_users(parcels, seed=1)
        assert (links.groupby("parcel_key")["share_pct"].sum() == 100).all()
    empty = generate_case_history(synthetic_cases(5).iloc[:0], seed=1)
    assert empty.cases.empty and empty.events.empty and empty.payments.empty
    with pytest.raises(ValueError, match="legal_area_m2"):
        generate_case_history(synthetic_cases(5).drop(columns="legal_area_m2"), seed=1)
