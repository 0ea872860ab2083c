"""Each step's documents: what an act of the procedure must rest on, as pure checks.

Every step and side event has a *main* document — the notice, the inventory minutes, the
posting minutes, the decision, the payee-signed receipt, the handover minutes — whose
number and date go in the event's ``decision_no`` / ``decision_date``; some also need
supporting documents (``DocumentRef``), stored in ``event_documents``: the notice's
delivery proof, the e-portal posting (from 2026-01-01), the posting end minutes, and the
persuasion, posting and delivery records of an enforcement. An act without its dated,
numbered documents is refused, so the file an inspection opens is complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from gis.core.errors import InvalidInput, InvalidTransition
from gis.core.formats import Term
from gis.core.text import clean_decision_no, clean_text

ONLINE_POSTING_FROM = dt.date(2026, 1, 1)
"""Resolution 254/2025/QH15: from this day the draft plan is also posted on the commune's
electronic portal."""


class DocKind(StrEnum):
    """Kinds of documents the procedure produces."""

    NOTICE = "notice"  # thông báo thu hồi đất
    NOTICE_DELIVERY = "notice_delivery"  # biên bản giao thông báo / xác nhận đã nhận
    INVENTORY_MINUTES = "inventory_minutes"  # biên bản điều tra, kiểm đếm
    POSTING_START = "posting_start_minutes"  # biên bản niêm yết phương án
    EPORTAL_POSTING = "eportal_posting"  # đăng trên cổng thông tin điện tử của xã
    POSTING_END = "posting_end_minutes"  # biên bản kết thúc niêm yết
    CONSULTATION_MINUTES = "consultation_minutes"  # biên bản họp lấy ý kiến / đối thoại
    APPROVAL_DECISION = "approval_decision"  # quyết định phê duyệt phương án
    RECOVERY_DECISION = "recovery_decision"  # quyết định thu hồi đất
    PAYMENT_RECEIPT = "payment_receipt"  # phiếu chi / biên nhận có chữ ký người nhận
    HANDOVER_MINUTES = "handover_minutes"  # biên bản bàn giao mặt bằng
    PERSUASION_MINUTES = "persuasion_minutes"  # biên bản vận động, thuyết phục
    COMPULSORY_INVENTORY_DECISION = "compulsory_inventory_decision"
    ENFORCEMENT_DECISION = "enforcement_decision"  # quyết định cưỡng chế
    ENFORCEMENT_POSTING = "enforcement_posting_minutes"  # niêm yết quyết định cưỡng chế
    ENFORCEMENT_DELIVERY = "enforcement_delivery_minutes"  # giao quyết định cưỡng chế
    ENFORCEMENT_MINUTES = "enforcement_minutes"  # biên bản cưỡng chế
    COMPLIANCE_MINUTES = "compliance_minutes"  # biên bản ghi nhận chấp hành
    EXCEPTION_PROOF = "exception_proof"  # văn bản đồng ý / căn cứ ngoại lệ
    COMPLAINT = "complaint"  # đơn khiếu nại
    COMPLAINT_RESOLUTION = "complaint_resolution"  # quyết định giải quyết khiếu nại


DOC_LABELS_VI: dict[DocKind, str] = {
    DocKind.NOTICE: "thông báo thu hồi đất",
    DocKind.NOTICE_DELIVERY: "biên bản giao thông báo thu hồi đất",
    DocKind.INVENTORY_MINUTES: "biên bản kiểm đếm",
    DocKind.POSTING_START: "biên bản niêm yết phương án",
    DocKind.EPORTAL_POSTING: "văn bản đăng phương án trên cổng thông tin điện tử của xã",
    DocKind.POSTING_END: "biên bản kết thúc niêm yết phương án",
    DocKind.CONSULTATION_MINUTES: "biên bản họp lấy ý kiến, đối thoại",
    DocKind.APPROVAL_DECISION: "quyết định phê duyệt phương án",
    DocKind.RECOVERY_DECISION: "quyết định thu hồi đất",
    DocKind.PAYMENT_RECEIPT: "phiếu chi có chữ ký của người nhận tiền",
    DocKind.HANDOVER_MINUTES: "biên bản bàn giao mặt bằng",
    DocKind.PERSUASION_MINUTES: "biên bản vận động, thuyết phục",
    DocKind.COMPULSORY_INVENTORY_DECISION: "quyết định kiểm đếm bắt buộc",
    DocKind.ENFORCEMENT_DECISION: "quyết định cưỡng chế thu hồi đất",
    DocKind.ENFORCEMENT_POSTING: "biên bản niêm yết quyết định cưỡng chế",
    DocKind.ENFORCEMENT_DELIVERY: "biên bản giao quyết định cưỡng chế",
    DocKind.ENFORCEMENT_MINUTES: "biên bản cưỡng chế",
    DocKind.COMPLIANCE_MINUTES: "biên bản ghi nhận chấp hành quyết định",
    DocKind.EXCEPTION_PROOF: "văn bản làm căn cứ (đồng ý của người sử dụng đất, danh mục dự án)",
    DocKind.COMPLAINT: "đơn khiếu nại",
    DocKind.COMPLAINT_RESOLUTION: "quyết định giải quyết khiếu nại",
}


@dataclass(frozen=True)
class DocumentRef:
    """A supporting document as entered: kind, number, date and (receipts) who signed."""

    kind: DocKind
    doc_no: str
    doc_date: dt.date
    signed_by: str | None = None

    def cleaned(self) -> DocumentRef:
        """The same document with its kind, number and signer checked."""
        try:
            kind = DocKind(self.kind)
        except ValueError:
            raise InvalidInput(f"unknown document kind {self.kind!r}", message_vi="Loại văn "
                               "bản '{kind}' không có trong danh mục.",
                               params={"kind": str(self.kind)},
                               reason="unknown_document_kind", field="documents") from None
        number = clean_decision_no(self.doc_no)
        if number is None or not isinstance(self.doc_date, dt.date):
            raise InvalidTransition(f"{kind} needs a number and a date", message_vi="Thiếu số "
                                    "hoặc ngày của {document}.",
                                    params={"document": Term(DOC_LABELS_VI[kind])},
                                    reason="document_incomplete", field="documents",
                                    document_kind=kind.value)
        return DocumentRef(kind, number, self.doc_date, clean_text(
            self.signed_by, field="signed_by", label_vi="Người ký nhận"))


@dataclass(frozen=True)
class Requirement:
    """The documents of one kind of act: the main one, the supporting ones (some only
    from a date), and those that must name who signed them."""

    main: DocKind
    extra: tuple[DocKind, ...] = ()
    extra_from: tuple[tuple[DocKind, dt.date], ...] = ()
    signed: frozenset[DocKind] = frozenset()

    def needed(self, day: dt.date) -> tuple[DocKind, ...]:
        """The supporting documents an act on ``day`` needs."""
        return self.extra + tuple(k for k, since in self.extra_from if day >= since)

    def allowed(self) -> frozenset[DocKind]:
        """Every supporting document this act may carry."""
        return frozenset(self.extra) | {k for k, _ in self.extra_from}


def _refuse(detail: str, message_vi: str, reason: str, params: Mapping[str, object],
            **extra: object) -> InvalidTransition:
    return InvalidTransition(detail, message_vi=message_vi, reason=reason, params=params,
                             **extra)


def check_paperwork(what: str, need: Requirement, *, occurred_on: dt.date, today: dt.date,
                    main_no: str | None, main_date: dt.date | None, main_signed: str | None,
                    documents: Iterable[DocumentRef]) -> tuple[DocumentRef, ...]:
    """Refuse ``what`` without its main document (number and date), a supporting document
    it needs, one it cannot carry, a document dated in the future or after the act, or an
    unsigned receipt; returns the supporting documents, cleaned."""
    main, act = Term(DOC_LABELS_VI[need.main]), Term(what)
    for name, value, template in (
            ("decision_no", main_no, "Thiếu số {document} — {what} phải có văn bản ghi rõ số "
             "và ngày."),
            ("decision_date", main_date, "Thiếu ngày {document} — {what} phải có văn bản ghi rõ "
             "số và ngày.")):
        if value is None:
            raise _refuse(f"{what}: {need.main} {name} missing", template, "document_missing",
                          {"document": main, "what": act}, field=name,
                          document_kind=need.main.value)
    if need.main in need.signed and main_signed is None:
        raise _refuse(f"{need.main} not signed", "Cần ghi tên người ký nhận trên {document}.",
                      "document_unsigned", {"document": main}, field="signer",
                      document_kind=need.main.value)
    docs = tuple(d.cleaned() for d in documents)
    seen: set[DocKind] = set()
    for doc in docs:
        label = {"document": Term(DOC_LABELS_VI[doc.kind]), "what": act}
        if doc.kind not in need.allowed():
            raise _refuse(f"{doc.kind} not part of {what}", "{document:cap} không thuộc "
                          "hồ sơ của bước {what}.", "document_not_expected", label,
                          field="documents",
                          document_kind=doc.kind.value)
        if doc.kind in seen:
            raise _refuse(f"{doc.kind} twice", "{document:cap} được nhập hai lần.",
                          "document_repeated", label, field="documents",
                          document_kind=doc.kind.value)
        seen.add(doc.kind)
        if doc.doc_date > min(today, occurred_on):
            raise _refuse(f"{doc.kind} dated {doc.doc_date} after the act", "Ngày "
                          "{document} ({day}) không được sau ngày {what} "
                          "({act_day}) hoặc ở tương lai.", "document_date_after",
                          {**label, "day": doc.doc_date, "act_day": occurred_on},
                          field="documents", document_kind=doc.kind.value)
        if doc.kind in need.signed and doc.signed_by is None:
            raise _refuse(f"{doc.kind} not signed", "Cần ghi tên người ký nhận trên {document}.",
                          "document_unsigned", label, field="documents",
                          document_kind=doc.kind.value)
    for kind in need.needed(occurred_on):
        if kind not in seen:
            since = next((d for k, d in need.extra_from if k == kind), None)
            missing = {"document": Term(DOC_LABELS_VI[kind]), "what": act, "since": since}
            raise _refuse(f"{what}: {kind} missing", "Thiếu {document} (số, ngày) (bắt buộc từ "
                          "{since}): {what} chưa đủ hồ sơ." if since else "Thiếu {document} "
                          "(số, ngày): {what} chưa đủ hồ sơ.", "document_missing", missing,
                          field="documents", document_kind=kind.value)
    return docs


def document(docs: Iterable[DocumentRef], kind: DocKind) -> DocumentRef | None:
    """The document of ``kind`` among ``docs``."""
    return next((d for d in docs if d.kind == kind), None)
