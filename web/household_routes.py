"""The household compensation page (``/households/{id}``): the record's parcels, decisions
with their line items, payees with shares, the ledger with late-payment interest, and (for
staff) the forms — a decision with line items, a payee, a payment or deposit. Posting works
as on the case page: CSRF token, the record's version, POST → redirect → GET, a refusal
shown next to its field. Included by ``web.routes.mount_web``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import CSRF_COOKIE
from api.errors import status_for
from gis.access.scope import OFFICE_ROLES
from gis.compensation.ledger import add_payee, record_household_payment
from gis.compensation.plan import ItemInput, record_decision
from gis.compensation.view import household_view, require_household
from gis.core.calendar import local_today
from gis.core.domain import (
    DECISION_LABELS_VI,
    ITEM_LABELS_VI,
    PAYEE_LABELS_VI,
    DecisionKind,
    ItemKind,
    LedgerKind,
    PayeeKind,
    PaymentMethod,
)
from gis.core.errors import GpmbError, NotFound, PermissionDenied
from gis.maps.parcel_panel import PAYMENT_METHODS_VI
from gis.models import User
from gis.workflow.authority import LEVEL_LABELS_VI
from web.auth import page_scope
from web.case_forms import (
    FormErrors,
    Posted,
    date_value,
    form_errors,
    int_value,
    required_date,
    text_value,
    vnd_value,
)
from web.error_pages import error_page
from web.i18n import error_text
from web.page_posts import apply_post, posted_version
from web.templating import templates

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
ITEM_ROWS = 6
ITEM_FIELDS = ("case_id", "kind", "description", "quantity", "unit", "unit_price_vnd",
               "legal_ground", "created_on", "illegal", "exception_ground")
FORM_FIELDS = {
    "decision": frozenset({"kind", "decision_no", "decision_date", "signer", "issuer_level",
                           "issuer_unit",
                           "amends_decision_id", "zero_ground", "note", "items",
                           *(f"items[{n}].{f}" for n in range(1, ITEM_ROWS + 1)
                             for f in ITEM_FIELDS)}),
    "payee": frozenset({"kind", "full_name", "document_no", "document_date", "share_parts"}),
    "hpayment": frozenset({"payee_id", "kind", "amount_vnd", "paid_on", "method",
                           "deposit_account", "voucher_no", "note"}),
}
SAVED_VI = {"decision": "Đã ghi quyết định và các khoản của phương án.",
            "payee": "Đã ghi người nhận tiền.", "hpayment": "Đã ghi vào sổ chi trả."}
Action = Callable[[Session, int, User, Posted], None]


def _items(v: dict[str, str]) -> list[ItemInput]:
    out = []
    for n in range(1, ITEM_ROWS + 1):
        row = {f: (v.get(f"items[{n}].{f}") or "").strip() for f in ITEM_FIELDS}
        if not row["unit_price_vnd"] and not row["quantity"] and not row["description"]:
            continue
        prefix = f"items[{n}]."
        out.append(ItemInput(
            int_value(v, prefix + "case_id", f"Dòng {n}: chọn thửa đất."), row["kind"],
            row["description"] or None, row["quantity"] or "1", row["unit"] or None,
            vnd_value(v, prefix + "unit_price_vnd"), row["legal_ground"] or None,
            date_value(v, prefix + "created_on"), row["illegal"] == "1",
            row["exception_ground"] or None))
    return out


def decision_form(session: Session, household_id: int, user: User, posted: Posted) -> None:
    """A decision (approval, amendment, supplement) with up to ``ITEM_ROWS`` line items."""
    v = posted.values
    amends = text_value(v, "amends_decision_id")
    record_decision(
        session, household_id, kind=v.get("kind", ""), decision_no=v.get("decision_no", ""),
        decision_date=required_date(v, "decision_date"), signer=v.get("signer", ""),
        items=_items(v), actor_id=user.id, expected_version=posted_version(posted),
        amends_decision_id=int(amends) if amends and amends.isdigit() else None,
        zero_ground=text_value(v, "zero_ground"), note=text_value(v, "note"),
        idempotency_key=text_value(v, "idem"), issuer_level=text_value(v, "issuer_level"),
        issuer_unit=text_value(v, "issuer_unit"))


def payee_form(session: Session, household_id: int, user: User, posted: Posted) -> None:
    """An authorised person or heir with their document."""
    v = posted.values
    add_payee(session, household_id, kind=v.get("kind", ""), full_name=text_value(
        v, "full_name"), actor_id=user.id, expected_version=posted_version(posted),
        document_no=text_value(v, "document_no"), document_date=date_value(v, "document_date"),
        share_parts=int_value(v, "share_parts", "Phần hưởng phải là số nguyên dương."))


def payment_form(session: Session, household_id: int, user: User, posted: Posted) -> None:
    """Money to a payee, or a deposit for them."""
    v = posted.values
    record_household_payment(
        session, household_id, int_value(v, "payee_id", "Chọn người nhận tiền."),
        vnd_value(v, "amount_vnd"), required_date(v, "paid_on"), kind=v.get("kind", ""),
        method=v.get("method") or None, deposit_account=text_value(v, "deposit_account"),
        voucher_no=text_value(v, "voucher_no"), note=text_value(v, "note"), actor_id=user.id,
        expected_version=posted_version(posted), idempotency_key=text_value(v, "idem"))


def _context(request: Request, session: Session, household_id: int, *,
             errors: FormErrors | None = None, posted: Posted | None = None) -> dict[str, Any]:
    user: User = request.state.user
    view = household_view(session, household_id, local_today())
    kept = posted.values if posted is not None and errors is not None else {}
    return {
        "h": view, "hm": view.money, "today": local_today(),
        "can_edit": user.role in OFFICE_ROLES,
        "item_labels": ITEM_LABELS_VI, "payee_labels": PAYEE_LABELS_VI,
        "decision_labels": DECISION_LABELS_VI, "issuer_levels": LEVEL_LABELS_VI,
        "methods": PAYMENT_METHODS_VI,
        "item_kinds": list(ItemKind), "decision_kinds": [k for k in DecisionKind
                                                         if k != DecisionKind.MIGRATED],
        "payee_kinds": [PayeeKind.AUTHORISED, PayeeKind.HEIR], "ledger_kinds": list(LedgerKind),
        "pay_methods": [PaymentMethod.TRANSFER, PaymentMethod.CASH], "item_rows": ITEM_ROWS,
        "csrf_token": request.cookies.get(CSRF_COOKIE, ""), "errors": errors, "kept": kept,
        "version": str(view.money.household.version),
        "idem": kept.get("idem") or secrets.token_urlsafe(16),
        "new_key": lambda: secrets.token_urlsafe(16),
    }


@router.get("/households/{household_id}", response_class=HTMLResponse)
def household_page(request: Request, household_id: Id, saved: str | None = None
                   ) -> HTMLResponse:
    """One household record with its plan, payees and ledger."""
    with request.app.state.sessions() as session:
        try:
            require_household(session, page_scope(request), household_id)
            context = _context(request, session, household_id)
        except NotFound as exc:
            return error_page(request, status_for(exc), error_text(exc))
    context["flash"] = SAVED_VI.get(saved or "")
    return templates.TemplateResponse(request, "household_page.html", context)


def _apply(request: Request, household_id: int, form: str, action: Action,
           posted: Posted) -> Response:
    with request.app.state.sessions() as session:
        try:
            action(session, household_id, request.state.user, posted)
            session.commit()
        except GpmbError as exc:
            session.rollback()
            if isinstance(exc, PermissionDenied | NotFound):
                return error_page(request, status_for(exc), error_text(exc))
            errors = form_errors(form, exc, FORM_FIELDS[form])
            errors.status = status_for(exc)  # the API's status for the same refusal
            context = _context(request, session, household_id, errors=errors, posted=posted)
            return templates.TemplateResponse(request, "household_page.html", context,
                                              status_code=errors.status)
    return RedirectResponse(f"/households/{household_id}?saved={form}#{form}",
                            status_code=303)


async def _post(request: Request, household_id: int, form: str, action: Action) -> Response:
    return await apply_post(request, partial(_apply, request, household_id, form, action),
                            roles=OFFICE_ROLES)


@router.post("/households/{household_id}/decisions")
async def post_decision(request: Request, household_id: Id) -> Response:
    """Record a decision with its line items."""
    return await _post(request, household_id, "decision", decision_form)


@router.post("/households/{household_id}/payees")
async def post_payee(request: Request, household_id: Id) -> Response:
    """Record an authorised person or an heir as payee."""
    return await _post(request, household_id, "payee", payee_form)


@router.post("/households/{household_id}/payments")
async def post_payment(request: Request, household_id: Id) -> Response:
    """Pay a payee or deposit their money."""
    return await _post(request, household_id, "hpayment", payment_form)
