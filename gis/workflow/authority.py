"""Who may sign: the issuing People's Committee of a decision, by the decision's date.

Land Law 2024 Art. 83 gave recovery of households' and individuals' land to the district
People's Committee and organisations' land to the province. With the two-tier local
government from 2025-07-01 (Decree 151/2025/NĐ-CP) the district level is gone: its powers
pass to the People's Committee of the (merged) commune; organisations stay with the
province. Enforcement and compulsory inventory decisions (Art. 88, 89) were the district
chairman's and are now the commune chairman's, whoever the land user is.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from gis.core.errors import InvalidInput, InvalidTransition
from gis.core.formats import Phrase, Term
from gis.core.text import clean_text

TWO_TIER_FROM = dt.date(2025, 7, 1)
"""First day of the two-tier local government (no more districts)."""

PROVINCE_NAME = "Lạng Sơn"


class IssuerLevel(StrEnum):
    """Level of the issuing People's Committee."""

    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


LEVEL_LABELS_VI = {IssuerLevel.PROVINCE: "UBND cấp tỉnh", IssuerLevel.DISTRICT: "UBND cấp "
                   "huyện", IssuerLevel.COMMUNE: "UBND cấp xã"}

_UNIT = re.compile(r"UBND\s+(tỉnh|huyện|thành phố|thị xã|xã|phường|thị trấn)\s+(.+)$",
                   re.IGNORECASE)
_LEVEL_OF_WORD = {"tỉnh": IssuerLevel.PROVINCE, "huyện": IssuerLevel.DISTRICT,
                  "thành phố": IssuerLevel.DISTRICT, "thị xã": IssuerLevel.DISTRICT,
                  "xã": IssuerLevel.COMMUNE, "phường": IssuerLevel.COMMUNE,
                  "thị trấn": IssuerLevel.COMMUNE}


@dataclass(frozen=True)
class Issuer:
    """The issuing body: its level and its name ("UBND xã Kiên Mộc")."""

    level: IssuerLevel
    unit: str


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def parse_issuer(text: str | None) -> Issuer | None:
    """The issuer named in a free-text signer ("Chủ tịch UBND huyện Cao Lộc"), if any.

    "thành phố" / "thị xã" are read as district level: in Lạng Sơn the city and the towns
    were district-level units before 2025-07-01."""
    if not text:
        return None
    match = _UNIT.search(unicodedata.normalize("NFC", text))
    if match is None:
        return None
    word = match.group(1).lower()
    return Issuer(_LEVEL_OF_WORD[word], f"UBND {word} {match.group(2).strip()}")


def clean_issuer(level: str | None, unit: str | None, signer: str | None) -> Issuer | None:
    """The structured issuer as entered, else the one the signer text names."""
    unit = clean_text(unit, field="issuer_unit", label_vi="Cơ quan ban hành")
    if level is None and unit is None:
        return parse_issuer(signer)
    if level is None or unit is None:
        raise InvalidInput("issuer level and unit go together", message_vi="Cần nhập cả cấp "
                           "và tên cơ quan ban hành (ví dụ: cấp xã — UBND xã Kiên Mộc).",
                           reason="issuer_incomplete",
                           field="issuer_level" if level is None else "issuer_unit")
    try:
        return Issuer(IssuerLevel(level), unit)
    except ValueError:
        raise InvalidInput(f"issuer_level {level!r}", message_vi="Cấp cơ quan ban hành "
                           "'{level}' không hợp lệ; chọn province, district hoặc commune.",
                           params={"level": level},
                           reason="unknown_value", field="issuer_level") from None


def required_level(day: dt.date, *, organisation: bool, chairman_act: bool) -> IssuerLevel:
    """The level that issues on ``day``: a recovery notice, plan approval or decision
    (``chairman_act`` False) or an enforcement / compulsory inventory decision (True)."""
    if organisation and not chairman_act:
        return IssuerLevel.PROVINCE
    return IssuerLevel.COMMUNE if day >= TWO_TIER_FROM else IssuerLevel.DISTRICT


def _bare_commune(name: str) -> str:
    return re.sub(r"^(xã|phường|thị trấn)\s+", "", _norm(name))


def check_issuer(what: str, issuer: Issuer | None, day: dt.date, *, commune_name: str | None,
                 organisation: bool, chairman_act: bool = False) -> None:
    """Refuse a decision issued by the wrong level (or, at commune level, by another
    commune than the parcel's merged commune) on ``day``."""
    if issuer is None:
        raise InvalidTransition(f"{what}: issuer missing", message_vi="Thiếu cơ quan ban hành "
                                "{what} (cấp và tên, ví dụ UBND xã Kiên Mộc).",
                                params={"what": Term(what)},
                                reason="issuer_missing", field="issuer_level")
    need = required_level(day, organisation=organisation, chairman_act=chairman_act)
    if issuer.level != need:
        period = (Phrase("từ {day} (chính quyền hai cấp)", day=TWO_TIER_FROM)
                  if day >= TWO_TIER_FROM else Phrase("trước {day}", day=TWO_TIER_FROM))
        whose = "tổ chức" if organisation and not chairman_act else "hộ gia đình, cá nhân"
        raise InvalidTransition(
            f"{what} on {day} by {issuer.level}, needs {need}",
            message_vi="{unit} ({level}) không có thẩm quyền ban hành {what} ngày {day}: "
            "{period}, thẩm quyền thuộc {need}." if chairman_act else "{unit} ({level}) không "
            "có thẩm quyền ban hành {what} ngày {day}: {period}, thẩm quyền thuộc {need} (đất "
            "của {whose}).",
            params={"unit": issuer.unit, "level": Term(LEVEL_LABELS_VI[issuer.level]),
                    "what": Term(what), "day": day, "period": period,
                    "need": Term(LEVEL_LABELS_VI[need]), "whose": Term(whose)},
            reason="issuer_not_competent", field="issuer_level", required_level=need.value)
    if (need == IssuerLevel.COMMUNE and day >= TWO_TIER_FROM and commune_name
            and _bare_commune(commune_name) not in _norm(issuer.unit)):
        raise InvalidTransition(
            f"{what} by {issuer.unit}, parcel in {commune_name}",
            message_vi="{unit} không phải UBND của xã/phường nơi có đất "
            "({commune}) — từ {since} {what} do UBND xã/phường "
            "sau sắp xếp nơi có đất ban hành.", reason="issuer_wrong_commune",
            params={"unit": issuer.unit, "commune": commune_name, "since": TWO_TIER_FROM,
                    "what": Term(what)},
            field="issuer_unit", commune=commune_name)
    if need == IssuerLevel.PROVINCE and _norm(PROVINCE_NAME) not in _norm(issuer.unit):
        raise InvalidTransition(f"{what} by {issuer.unit}, not the province",
                                message_vi="{unit} không phải UBND tỉnh {province}.",
                                params={"unit": issuer.unit, "province": PROVINCE_NAME},
                                reason="issuer_wrong_province", field="issuer_unit")
