"""The printable dossier of one parcel's clearance case (hồ sơ thửa đất): identification,
land users, the legal steps with their decisions, the household compensation records that
touch it (line items, payees, payments, deposits), resettlement, documents and history,
and who is responsible for it.

It is built once as plain rows of text, so the print page and the PDF
(``gis.reports.dossier_pdf``) show the same thing: Vietnamese, or English when given an
English ``Wording`` (the PDF follows the reader's language). Citizen ID and phone numbers
are left out whoever asks: the dossier is meant to be printed and handed around.
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
from gis.core.formats import fmt_dec, fmt_int
from gis.core.text import fmt_date
from gis.core.wording import VIETNAMESE, Wording
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


def money(amount: int, lang: str = "vi") -> str:
    """1.200.000.000 (VND, dots between thousands in Vietnamese, commas in English; the
    unit is in the heading)."""
    return fmt_int(amount, lang)


def _area(m2: object, lang: str = "vi") -> str:
    return fmt_dec(float(str(m2)), 1, lang)


def _day(day: dt.date | None) -> str:
    return fmt_date(day) if day else "—"


def _what(e: CaseEvent, w: Wording = VIETNAMESE) -> str:
    if e.kind == EventKind.STEP and e.step_to is not None:
        return w(STEP_LABELS_VI[e.step_to])
    return w(KIND_LABELS_VI.get(e.kind, e.kind.value).capitalize())


def _signed(e: CaseEvent) -> str:
    """The signer, with the issuing body when the signer text does not name it."""
    if e.issuer_unit and e.issuer_unit not in (e.signer or ""):
        return f"{e.signer} — {e.issuer_unit}" if e.signer else e.issuer_unit
    return e.signer or "—"


def build_dossier(session: Session, case_id: int, today: dt.date, *, scope: Scope,
                  w: Wording = VIETNAMESE) -> Dossier:
    """The dossier of case ``case_id`` (NotFound outside ``scope``, as for the case page),
    in the language of ``w`` (names, numbers of documents and what people typed stay as
    recorded)."""
    d = case_detail(session, case_id, today, scope=scope)
    c, p = d.case, d.parcel
    project = session.get(Project, c.project_id)
    commune = session.get(Commune, p.commune_code)
    land_use = session.get(LandUseType, p.land_use_code)
    assert project is not None
    commune_name = w.place(commune.name) if commune else p.commune_code
    users = {uid: full or name for uid, full, name in session.execute(
        select(User.id, User.full_name, User.username))}
    households = case_household_views(session, case_id, today)
    sections = [
        _identification(d, project, commune_name, w(land_use.name_vi) if land_use else "", w),
        _steps(session, d, w),
        *(_household(h, case_id, w) for h in households),
        _resettlement(session, d, w),
        _documents(session, d, users, w),
        _history(d, users, w),
    ]
    if not households:
        sections.insert(2, Section(w("Bồi thường, hỗ trợ, tái định cư"), [
            (w("Hồ sơ bồi thường theo hộ"), w("chưa lập"))]))
    title = w("HỒ SƠ THỬA ĐẤT SỐ {parcel}, TỜ BẢN ĐỒ SỐ {sheet}", parcel=p.parcel_no,
              sheet=p.sheet_no)
    subtitle = w("{commune} — dự án {project} ({code})", commune=commune_name,
                 project=project.name, code=project.code)
    return Dossier(c.id, p.id, project.code, title, subtitle, sections, today)


def _table(w: Wording, title: str, heads: tuple[str, ...], rows: Sequence[tuple[str, ...]],
           widths: tuple[int, ...], numeric: frozenset[int] = frozenset()) -> Table:
    return Table(w(title), tuple(w(h) for h in heads), rows, widths, numeric, w("Không có."))


def _identification(d: CaseDetail, project: Project, commune_name: str,
                    land_use_name: str, w: Wording) -> Section:
    c, p = d.case, d.parcel
    due = d.next_deadline
    whole = " " + w("(toàn bộ thửa)" if c.is_whole_parcel else "(một phần thửa)")
    facts = [
        ("Dự án", f"{project.name} ({project.code})"),
        ("Xã/phường", w("{commune} (mã {code})", commune=commune_name, code=p.commune_code)),
        ("Tờ bản đồ số / thửa đất số", f"{p.sheet_no} / {p.parcel_no}"),
        ("Địa chỉ thửa đất", p.address or "—"),
        ("Loại đất", f"{p.land_use_code} — {land_use_name}"),
        ("Diện tích pháp lý", f"{_area(p.legal_area_m2, w.lang)} m²"),
        ("Diện tích thu hồi", f"{_area(c.recovered_area_m2, w.lang)} m²" + whole),
        ("Bước hiện tại", w(STEP_LABELS_VI[c.step])),
        ("Ngày bàn giao mặt bằng", _day(c.handover_date)),
        ("Giá trị được duyệt / đã chi trả và gửi (đồng)",
         f"{money(c.approved_total_vnd, w.lang)} / {money(c.paid_vnd, w.lang)}"),
        ("Hạn tiếp theo", f"{w(DEADLINE_LABELS_VI[due.what])}: {fmt_date(due.due_date)}"
         + (" " + w("(quá hạn)") if due.is_overdue else "") if due else "—"),
        ("Cán bộ phụ trách", c.responsible_officer or w("chưa giao")),
        ("Đơn vị phụ trách", c.responsible_unit or w("chưa giao")),
    ]
    holders = _table(w, "Người sử dụng đất", ("Họ và tên", "Loại", "Tỷ lệ (%)"),
                     [(u.full_name, w(HOLDER_KINDS_VI.get(u.kind, u.kind.value)),
                       f"{share}") for u, share in d.holders],
                     (110, 50, 30), frozenset({2}))
    return Section(w("I. Thông tin thửa đất"), [(w(k), v) for k, v in facts], [holders])


def _steps(session: Session, d: CaseDetail, w: Wording) -> Section:
    steps = [e for e in d.events if e.kind == EventKind.STEP]
    rows = [(fmt_date(e.occurred_on), _what(e, w), e.decision_no or "—", _day(e.decision_date),
             _signed(e)) for e in steps]
    table = _table(w, "Các bước thủ tục đã thực hiện",
                   ("Ngày", "Bước", "Số văn bản", "Ngày ký", "Người ký, cơ quan ban hành"),
                   rows, (20, 42, 32, 20, 76))
    side = [e for e in d.events if e.kind not in (EventKind.STEP, EventKind.NOTE)]
    side_rows = [(fmt_date(e.occurred_on), _what(e, w), e.decision_no or "—", _signed(e),
                  e.note or "") for e in side]
    other = _table(w, "Khiếu nại, cưỡng chế, lấy ý kiến và sự kiện khác",
                   ("Ngày", "Sự kiện", "Số văn bản", "Người ký", "Ghi chú"), side_rows,
                   (20, 52, 30, 44, 44))
    return Section(w("II. Trình tự thu hồi đất"), tables=[table, other])


def _household(h: HouseholdView, case_id: int, w: Wording) -> Section:
    m, lang = h.money, w.lang

    def vnd(amount: int) -> str:
        return money(amount, lang)

    facts = [
        ("Người sử dụng đất", w("{name} (hồ sơ bồi thường số {no})",
                                name=h.land_user.full_name, no=str(m.household.id))),
        ("Thửa đất của hồ sơ", ", ".join(w("tờ {sheet} thửa {parcel}", sheet=r.sheet_no,
                                           parcel=r.parcel_no) for r in h.cases)),
        ("Tổng giá trị phương án đang có hiệu lực (đồng)", vnd(m.approved_vnd)),
        ("Đã chi trả / đã gửi tạm giữ / còn lại (đồng)",
         f"{vnd(m.paid_vnd)} / {vnd(m.deposited_vnd)} / {vnd(m.outstanding_vnd)}"),
        ("Trong đó thửa này: được duyệt / đã chi trả và gửi (đồng)",
         f"{vnd(m.approved_by_case.get(case_id, 0))} / "
         f"{vnd(m.settled_by_case.get(case_id, 0))}"),
        ("Tiền chậm chi trả (Điều 94 Luật Đất đai 2024, đồng)", vnd(m.interest_vnd)),
    ]
    decisions = _table(
        w, "Quyết định phê duyệt, điều chỉnh, bổ sung phương án",
        ("Loại", "Số, ngày", "Người ký", "Hiệu lực", "Tổng (đồng)"),
        [(w(DECISION_LABELS_VI[v.decision.kind]),
          w("{no} ngày {day}", no=v.decision.decision_no,
            day=fmt_date(v.decision.decision_date)),
          v.decision.signer, w("đang có hiệu lực") if v.in_force else w("đã được thay thế"),
          vnd(v.decision.total_vnd)) for v in h.decisions],
        (34, 42, 56, 30, 28), frozenset({4}))
    items = _table(
        w, "Các khoản bồi thường, hỗ trợ của thửa này (quyết định đang có hiệu lực)",
        ("Khoản", "Nội dung", "Khối lượng", "Đơn giá (đồng)", "Thành tiền (đồng)",
         "Căn cứ"),
        [(w(ITEM_LABELS_VI[i.kind]), i.description, f"{_qty(i.quantity, lang)} {i.unit}",
          vnd(i.unit_price_vnd), vnd(i.amount_vnd), i.legal_ground)
         for v in h.decisions if v.in_force for i in v.items if i.case_id == case_id],
        (32, 36, 24, 26, 28, 44), frozenset({3, 4}))
    payees = _table(
        w, "Người nhận tiền",
        ("Họ và tên", "Tư cách", "Giấy tờ", "Được nhận", "Đã nhận", "Đã gửi"),
        [(pm.payee.full_name or "—", w(PAYEE_LABELS_VI[pm.payee.kind]),
          _payee_doc(pm.payee, w), vnd(pm.share_vnd), vnd(pm.paid_vnd),
          vnd(pm.deposited_vnd)) for pm in h.payees],
        (44, 32, 38, 26, 25, 25), frozenset({3, 4, 5}))
    ledger = _table(
        w, "Sổ chi trả, gửi tiền",
        ("Ngày", "Loại", "Người nhận", "Số tiền (đồng)", "Hình thức, chứng từ"),
        [(fmt_date(e.entry.paid_on), w(LEDGER_KINDS_VI[e.entry.kind])
          + (" " + w("(đảo bút toán)") if e.entry.reverses_payment_id else ""), e.payee_name,
          vnd(e.entry.amount_vnd), _voucher(e.entry, w)) for e in h.entries],
        (20, 36, 46, 30, 58), frozenset({3}))
    return Section(w("III. Bồi thường, hỗ trợ — {name}", name=h.land_user.full_name),
                   [(w(k), v) for k, v in facts], [decisions, items, payees, ledger])


def _qty(q: object, lang: str = "vi") -> str:
    text = f"{q}".rstrip("0").rstrip(".") if "." in f"{q}" else f"{q}"
    return text if lang == "en" else text.replace(".", ",")


def _payee_doc(payee: object, w: Wording) -> str:
    no = getattr(payee, "document_no", None)
    on = getattr(payee, "document_date", None)
    return w("{no} ngày {day}", no=no, day=fmt_date(on)) if no and on else (no or "—")


def _voucher(entry: object, w: Wording) -> str:
    method = getattr(entry, "method", None)
    parts = [w(PAYMENT_METHODS_VI.get(method, "")) if method else "",
             getattr(entry, "voucher_no", None) or "", getattr(entry, "deposit_account", None)
             or ""]
    return "; ".join(p for p in parts if p) or "—"


def _resettlement(session: Session, d: CaseDetail, w: Wording) -> Section:
    rows = []
    for a in d.allocations:
        plot = session.get(ResettlementPlot, a.plot_id)
        area = session.get(ResettlementArea, plot.area_id) if plot else None
        rows.append((f"{plot.code if plot else a.plot_id}",
                     f"{area.name} ({area.code})" if area else "—",
                     f"{_area(plot.area_m2, w.lang)} m²" if plot else "—",
                     a.decision_no or "—", fmt_date(a.allocated_on), _day(a.released_on)))
    facts = [(w("Cần bố trí tái định cư"), w("có") if d.case.resettlement_needed
              else w("không"))]
    table = _table(w, "Lô đất tái định cư", ("Lô", "Khu tái định cư", "Diện tích",
                                             "Quyết định giao", "Ngày giao",
                                             "Ngày thu hồi lại"),
                   rows, (20, 56, 24, 34, 28, 28))
    return Section(w("IV. Tái định cư"), facts, [table])


def _documents(session: Session, d: CaseDetail, users: dict[int, str], w: Wording
               ) -> Section:
    events = {e.id: e for e in d.events}
    papers = session.scalars(select(EventDocument).where(EventDocument.case_id == d.case.id)
                             .order_by(EventDocument.doc_date, EventDocument.id)).all()
    refs = _table(w, "Văn bản, giấy tờ kèm theo các bước",
                  ("Loại văn bản", "Số", "Ngày", "Người ký", "Thuộc bước"),
                  [(_doc_kind(x.kind, w), x.doc_no, fmt_date(x.doc_date), x.signed_by or "—",
                    _what(events[x.event_id], w) if x.event_id in events else "—")
                   for x in papers], (56, 30, 20, 40, 44))
    scans = session.scalars(select(CaseDocument).where(CaseDocument.case_id == d.case.id)
                            .order_by(CaseDocument.uploaded_at, CaseDocument.id)).all()
    files = _table(w, "Tệp đã tải lên (bản chụp)", ("Tên tệp", "Kiểu", "Dung lượng",
                                                     "Ngày tải", "Người tải", "Thuộc bước"),
                   [(s.filename, s.media_type,
                     f"{max(1, round(s.size_bytes / 1024))} KB",
                     fmt_date(s.uploaded_at.date()), users.get(s.uploaded_by) or "—",
                     _what(events[s.event_id], w) if s.event_id in events else "—")
                    for s in scans], (50, 28, 22, 20, 30, 40), frozenset({2}))
    return Section(w("V. Tài liệu"), tables=[refs, files])


def _doc_kind(kind: str, w: Wording = VIETNAMESE) -> str:
    try:
        return w(DOC_LABELS_VI[DocKind(kind)].capitalize())
    except ValueError:
        return kind


def _history(d: CaseDetail, users: dict[int, str], w: Wording) -> Section:
    rows: list[tuple[dt.date, int, tuple[str, ...]]] = []
    for e in d.events:
        rows.append((e.occurred_on, 0, (fmt_date(e.occurred_on), _what(e, w),
                                        " ".join(x for x in (e.decision_no, e.note) if x)
                                        or "—", users.get(e.recorded_by or 0) or "—")))
    for x in d.payments:
        what = w("Chi trả") if x.kind == LedgerKind.PAYMENT else w("Gửi tiền tạm giữ")
        rows.append((x.paid_on, 1, (fmt_date(x.paid_on), what,
                                    w("{n} đồng", n=money(x.amount_vnd, w.lang))
                                    + (f" — {x.note}" if x.note else ""),
                                    users.get(x.recorded_by or 0) or "—")))
    rows.sort(key=lambda r: (r[0], r[1]))
    table = _table(w, "Lịch sử hồ sơ", ("Ngày", "Nội dung", "Chi tiết", "Người ghi"),
                   [r[2] for r in rows], (20, 52, 86, 32))
    return Section(w("VI. Lịch sử"), tables=[table])
