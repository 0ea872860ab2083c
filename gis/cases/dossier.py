"""The printable dossier of one parcel's clearance case (hồ sơ thửa đất): identification,
land users, the legal steps with their decisions, the household compensation records that
touch it (line items, payees, payments, deposits), resettlement, documents and history,
and who is responsible for it.

It is built once as plain rows of Vietnamese text, so the print page and the PDF
(``gis.reports.dossier_pdf``) show the same thing. Citizen ID and phone numbers are left
out whoever asks: the dossier is meant to be printed and handed around.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.access.scope import Scope
from gis.cases.queries import CaseDetail, case_detail
from gis.compensation.view import HouseholdView, case_household_views
from gis.core.domain import (
    DECISION_LABELS_VI,
    ITEM_LABELS_VI,
    PAYEE_LABELS_VI,
    STEP_LABELS_VI,
    EventKind,
    LandUserKind,
    LedgerKind,
)
from gis.core.text import fmt_date
from gis.maps.parcel_panel import PAYMENT_METHODS_VI
from gis.models import (
    CaseDocument,
    CaseEvent,
    Commune,
    EventDocument,
    LandUseType,
    Project,
    ResettlementArea,
    ResettlementPlot,
    User,
)
from gis.workflow.deadlines import DEADLINE_LABELS_VI
from gis.workflow.paperwork import DOC_LABELS_VI, DocKind
from gis.workflow.side_events import KIND_LABELS_VI

HOLDER_KINDS_VI = {LandUserKind.HOUSEHOLD: "Hộ gia đình", LandUserKind.INDIVIDUAL: "Cá nhân",
                   LandUserKind.ORGANISATION: "Tổ chức", LandUserKind.COMMUNITY: "Cộng đồng"}
LEDGER_KINDS_VI = {LedgerKind.PAYMENT: "Chi trả", LedgerKind.DEPOSIT: "Gửi tiền tạm giữ"}


@dataclass(frozen=True)
class Table:
    """One titled table of the dossier; ``numeric`` are the right-aligned columns."""

    title: str
    heads: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    widths: tuple[int, ...]
    """Relative column widths (the PDF's, in mm of a 190 mm line)."""
    numeric: frozenset[int] = frozenset()
    empty: str = "Không có."


@dataclass(frozen=True)
class Section:
    """A heading with facts (label, value) and tables."""

    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Dossier:
    """Everything printed about one case, in order."""

    case_id: int
    parcel_id: int
    project_code: str
    title: str
    subtitle: str
    sections: list[Section]
    printed_on: dt.date


def money(amount: int) -> str:
    """1.200.000.000 (VND, dots between thousands; the unit is in the heading)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".")


def _area(m2: object) -> str:
    return f"{float(str(m2)):,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _day(day: dt.date | None) -> str:
    return fmt_date(day) if day else "—"


def _what(e: CaseEvent) -> str:
    if e.kind == EventKind.STEP and e.step_to is not None:
        return STEP_LABELS_VI[e.step_to]
    return KIND_LABELS_VI.get(e.kind, e.kind.value).capitalize()


def _signed(e: CaseEvent) -> str:
    """The signer, with the issuing body when the signer text does not name it."""
    if e.issuer_unit and e.issuer_unit not in (e.signer or ""):
        return f"{e.signer} — {e.issuer_unit}" if e.signer else e.issuer_unit
    return e.signer or "—"


def build_dossier(session: Session, case_id: int, today: dt.date, *, scope: Scope) -> Dossier:
    """The dossier of case ``case_id`` (NotFound outside ``scope``, as for the case page)."""
    d = case_detail(session, case_id, today, scope=scope)
    c, p = d.case, d.parcel
    project = session.get(Project, c.project_id)
    commune = session.get(Commune, p.commune_code)
    land_use = session.get(LandUseType, p.land_use_code)
    assert project is not None
    commune_name = commune.name if commune else p.commune_code
    users = {uid: full or name for uid, full, name in session.execute(
        select(User.id, User.full_name, User.username))}
    households = case_household_views(session, case_id, today)
    sections = [
        _identification(d, project, commune_name, land_use.name_vi if land_use else ""),
        _steps(session, d),
        *(_household(h, case_id) for h in households),
        _resettlement(session, d),
        _documents(session, d, users),
        _history(d, users),
    ]
    if not households:
        sections.insert(2, Section("Bồi thường, hỗ trợ, tái định cư", [
            ("Hồ sơ bồi thường theo hộ", "chưa lập")]))
    title = f"HỒ SƠ THỬA ĐẤT SỐ {p.parcel_no}, TỜ BẢN ĐỒ SỐ {p.sheet_no}"
    subtitle = f"{commune_name} — dự án {project.name} ({project.code})"
    return Dossier(c.id, p.id, project.code, title, subtitle, sections, today)


def _identification(d: CaseDetail, project: Project, commune_name: str,
                    land_use_name: str) -> Section:
    c, p = d.case, d.parcel
    due = d.next_deadline
    facts = [
        ("Dự án", f"{project.name} ({project.code})"),
        ("Xã/phường", f"{commune_name} (mã {p.commune_code})"),
        ("Tờ bản đồ số / thửa đất số", f"{p.sheet_no} / {p.parcel_no}"),
        ("Địa chỉ thửa đất", p.address or "—"),
        ("Loại đất", f"{p.land_use_code} — {land_use_name}"),
        ("Diện tích pháp lý", f"{_area(p.legal_area_m2)} m²"),
        ("Diện tích thu hồi", f"{_area(c.recovered_area_m2)} m²"
         + (" (toàn bộ thửa)" if c.is_whole_parcel else " (một phần thửa)")),
        ("Bước hiện tại", STEP_LABELS_VI[c.step]),
        ("Ngày bàn giao mặt bằng", _day(c.handover_date)),
        ("Giá trị được duyệt / đã chi trả và gửi (đồng)",
         f"{money(c.approved_total_vnd)} / {money(c.paid_vnd)}"),
        ("Hạn tiếp theo", f"{DEADLINE_LABELS_VI[due.what]}: {fmt_date(due.due_date)}"
         + (" (quá hạn)" if due.is_overdue else "") if due else "—"),
        ("Cán bộ phụ trách", c.responsible_officer or "chưa giao"),
        ("Đơn vị phụ trách", c.responsible_unit or "chưa giao"),
    ]
    holders = Table("Người sử dụng đất", ("Họ và tên", "Loại", "Tỷ lệ (%)"),
                    [(u.full_name, HOLDER_KINDS_VI.get(u.kind, u.kind.value), f"{share}")
                     for u, share in d.holders], (110, 50, 30), frozenset({2}))
    return Section("I. Thông tin thửa đất", facts, [holders])


def _steps(session: Session, d: CaseDetail) -> Section:
    steps = [e for e in d.events if e.kind == EventKind.STEP]
    rows = [(fmt_date(e.occurred_on), _what(e), e.decision_no or "—", _day(e.decision_date),
             _signed(e)) for e in steps]
    table = Table("Các bước thủ tục đã thực hiện",
                  ("Ngày", "Bước", "Số văn bản", "Ngày ký", "Người ký, cơ quan ban hành"), rows,
                  (20, 42, 32, 20, 76))
    side = [e for e in d.events if e.kind not in (EventKind.STEP, EventKind.NOTE)]
    side_rows = [(fmt_date(e.occurred_on), _what(e), e.decision_no or "—", _signed(e),
                  e.note or "") for e in side]
    other = Table("Khiếu nại, cưỡng chế, lấy ý kiến và sự kiện khác",
                  ("Ngày", "Sự kiện", "Số văn bản", "Người ký", "Ghi chú"), side_rows,
                  (20, 52, 30, 44, 44))
    return Section("II. Trình tự thu hồi đất", tables=[table, other])


def _household(h: HouseholdView, case_id: int) -> Section:
    m = h.money
    facts = [
        ("Người sử dụng đất", f"{h.land_user.full_name} (hồ sơ bồi thường số {m.household.id})"),
        ("Thửa đất của hồ sơ", ", ".join(f"tờ {r.sheet_no} thửa {r.parcel_no}"
                                         for r in h.cases)),
        ("Tổng giá trị phương án đang có hiệu lực (đồng)", money(m.approved_vnd)),
        ("Đã chi trả / đã gửi tạm giữ / còn lại (đồng)",
         f"{money(m.paid_vnd)} / {money(m.deposited_vnd)} / {money(m.outstanding_vnd)}"),
        ("Trong đó thửa này: được duyệt / đã chi trả và gửi (đồng)",
         f"{money(m.approved_by_case.get(case_id, 0))} / "
         f"{money(m.settled_by_case.get(case_id, 0))}"),
        ("Tiền chậm chi trả (Điều 94 Luật Đất đai 2024, đồng)", money(m.interest_vnd)),
    ]
    decisions = Table(
        "Quyết định phê duyệt, điều chỉnh, bổ sung phương án",
        ("Loại", "Số, ngày", "Người ký", "Hiệu lực", "Tổng (đồng)"),
        [(DECISION_LABELS_VI[v.decision.kind],
          f"{v.decision.decision_no} ngày {fmt_date(v.decision.decision_date)}",
          v.decision.signer, "đang có hiệu lực" if v.in_force else "đã được thay thế",
          money(v.decision.total_vnd)) for v in h.decisions],
        (34, 42, 56, 30, 28), frozenset({4}))
    items = Table(
        "Các khoản bồi thường, hỗ trợ của thửa này (quyết định đang có hiệu lực)",
        ("Khoản", "Nội dung", "Khối lượng", "Đơn giá (đồng)", "Thành tiền (đồng)",
         "Căn cứ"),
        [(ITEM_LABELS_VI[i.kind], i.description, f"{_qty(i.quantity)} {i.unit}",
          money(i.unit_price_vnd), money(i.amount_vnd), i.legal_ground)
         for v in h.decisions if v.in_force for i in v.items if i.case_id == case_id],
        (32, 36, 24, 26, 28, 44), frozenset({3, 4}))
    payees = Table(
        "Người nhận tiền",
        ("Họ và tên", "Tư cách", "Giấy tờ", "Được nhận", "Đã nhận", "Đã gửi"),
        [(pm.payee.full_name or "—", PAYEE_LABELS_VI[pm.payee.kind], _payee_doc(pm.payee),
          money(pm.share_vnd), money(pm.paid_vnd), money(pm.deposited_vnd))
         for pm in h.payees], (44, 32, 38, 26, 25, 25), frozenset({3, 4, 5}))
    ledger = Table(
        "Sổ chi trả, gửi tiền",
        ("Ngày", "Loại", "Người nhận", "Số tiền (đồng)", "Hình thức, chứng từ"),
        [(fmt_date(e.entry.paid_on), LEDGER_KINDS_VI[e.entry.kind]
          + (" (đảo bút toán)" if e.entry.reverses_payment_id else ""), e.payee_name,
          money(e.entry.amount_vnd), _voucher(e.entry)) for e in h.entries],
        (20, 36, 46, 30, 58), frozenset({3}))
    return Section(f"III. Bồi thường, hỗ trợ — {h.land_user.full_name}", facts,
                   [decisions, items, payees, ledger])


def _qty(q: object) -> str:
    text = f"{q}".rstrip("0").rstrip(".") if "." in f"{q}" else f"{q}"
    return text.replace(".", ",")


def _payee_doc(payee: object) -> str:
    no = getattr(payee, "document_no", None)
    on = getattr(payee, "document_date", None)
    return f"{no} ngày {fmt_date(on)}" if no and on else (no or "—")


def _voucher(entry: object) -> str:
    method = getattr(entry, "method", None)
    parts = [PAYMENT_METHODS_VI.get(method, "") if method else "",
             getattr(entry, "voucher_no", None) or "", getattr(entry, "deposit_account", None)
             or ""]
    return "; ".join(p for p in parts if p) or "—"


def _resettlement(session: Session, d: CaseDetail) -> Section:
    rows = []
    for a in d.allocations:
        plot = session.get(ResettlementPlot, a.plot_id)
        area = session.get(ResettlementArea, plot.area_id) if plot else None
        rows.append((f"{plot.code if plot else a.plot_id}",
                     f"{area.name} ({area.code})" if area else "—",
                     f"{_area(plot.area_m2)} m²" if plot else "—",
                     a.decision_no or "—", fmt_date(a.allocated_on), _day(a.released_on)))
    facts = [("Cần bố trí tái định cư", "có" if d.case.resettlement_needed else "không")]
    table = Table("Lô đất tái định cư", ("Lô", "Khu tái định cư", "Diện tích",
                                         "Quyết định giao", "Ngày giao", "Ngày thu hồi lại"),
                  rows, (20, 56, 24, 34, 28, 28))
    return Section("IV. Tái định cư", facts, [table])


def _documents(session: Session, d: CaseDetail, users: dict[int, str]) -> Section:
    events = {e.id: e for e in d.events}
    papers = session.scalars(select(EventDocument).where(EventDocument.case_id == d.case.id)
                             .order_by(EventDocument.doc_date, EventDocument.id)).all()
    refs = Table("Văn bản, giấy tờ kèm theo các bước",
                 ("Loại văn bản", "Số", "Ngày", "Người ký", "Thuộc bước"),
                 [(_doc_kind(x.kind), x.doc_no, fmt_date(x.doc_date), x.signed_by or "—",
                   _what(events[x.event_id]) if x.event_id in events else "—")
                  for x in papers], (56, 30, 20, 40, 44))
    scans = session.scalars(select(CaseDocument).where(CaseDocument.case_id == d.case.id)
                            .order_by(CaseDocument.uploaded_at, CaseDocument.id)).all()
    files = Table("Tệp đã tải lên (bản chụp)", ("Tên tệp", "Kiểu", "Dung lượng", "Ngày tải",
                                                 "Người tải", "Thuộc bước"),
                  [(s.filename, s.media_type, f"{max(1, round(s.size_bytes / 1024))} KB",
                    fmt_date(s.uploaded_at.date()), users.get(s.uploaded_by) or "—",
                    _what(events[s.event_id]) if s.event_id in events else "—")
                   for s in scans], (50, 28, 22, 20, 30, 40), frozenset({2}))
    return Section("V. Tài liệu", tables=[refs, files])


def _doc_kind(kind: str) -> str:
    try:
        return DOC_LABELS_VI[DocKind(kind)].capitalize()
    except ValueError:
        return kind


def _history(d: CaseDetail, users: dict[int, str]) -> Section:
    rows: list[tuple[dt.date, int, tuple[str, ...]]] = []
    for e in d.events:
        rows.append((e.occurred_on, 0, (fmt_date(e.occurred_on), _what(e),
                                        " ".join(x for x in (e.decision_no, e.note) if x)
                                        or "—", users.get(e.recorded_by or 0) or "—")))
    for x in d.payments:
        what = "Chi trả" if x.kind == LedgerKind.PAYMENT else "Gửi tiền tạm giữ"
        rows.append((x.paid_on, 1, (fmt_date(x.paid_on), what, f"{money(x.amount_vnd)} đồng"
                                    + (f" — {x.note}" if x.note else ""),
                                    users.get(x.recorded_by or 0) or "—")))
    rows.sort(key=lambda r: (r[0], r[1]))
    table = Table("Lịch sử hồ sơ", ("Ngày", "Nội dung", "Chi tiết", "Người ghi"),
                  [r[2] for r in rows], (20, 52, 86, 32))
    return Section("VI. Lịch sử", tables=[table])
