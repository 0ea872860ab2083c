"""Land-use codes: the 2024 list (Land Law 2024, Decree 102/2024, Circular 08/2024) and
the pre-2024 codes that older cadastral data still carries, mapped onto it.

The tables here seed the ``land_use_types`` and ``land_use_legacy_codes`` tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LandGroup(StrEnum):
    """The three land groups of the 2024 Land Law."""

    AGRICULTURAL = "agricultural"
    NON_AGRICULTURAL = "non_agricultural"
    UNUSED = "unused"


@dataclass(frozen=True)
class LandUseType:
    """One code of the 2024 list."""

    code: str
    name_vi: str
    name_en: str
    group: LandGroup


_A, _N, _U = LandGroup.AGRICULTURAL, LandGroup.NON_AGRICULTURAL, LandGroup.UNUSED

LAND_USE_TYPES: tuple[LandUseType, ...] = (
    LandUseType("LUC", "Đất chuyên trồng lúa", "Specialised rice land", _A),
    LandUseType("LUK", "Đất trồng lúa còn lại", "Other rice land", _A),
    LandUseType("HNK", "Đất trồng cây hằng năm khác", "Other annual crops", _A),
    LandUseType("CLN", "Đất trồng cây lâu năm", "Perennial crops", _A),
    LandUseType("RDD", "Đất rừng đặc dụng", "Special-use forest", _A),
    LandUseType("RPH", "Đất rừng phòng hộ", "Protection forest", _A),
    LandUseType("RSX", "Đất rừng sản xuất", "Production forest", _A),
    LandUseType("NTS", "Đất nuôi trồng thủy sản", "Aquaculture", _A),
    LandUseType("CNT", "Đất chăn nuôi tập trung", "Concentrated livestock farming", _A),
    LandUseType("LMU", "Đất làm muối", "Salt production", _A),
    LandUseType("NKH", "Đất nông nghiệp khác", "Other agricultural land", _A),
    LandUseType("ONT", "Đất ở tại nông thôn", "Rural residential", _N),
    LandUseType("ODT", "Đất ở tại đô thị", "Urban residential", _N),
    LandUseType("TSC", "Đất xây dựng trụ sở cơ quan", "Government offices", _N),
    LandUseType("CQP", "Đất quốc phòng", "Defence", _N),
    LandUseType("CAN", "Đất an ninh", "Security", _N),
    LandUseType("DVH", "Đất xây dựng cơ sở văn hóa", "Cultural facilities", _N),
    LandUseType("DYT", "Đất xây dựng cơ sở y tế", "Health facilities", _N),
    LandUseType("DGD", "Đất xây dựng cơ sở giáo dục và đào tạo", "Education facilities", _N),
    LandUseType("DTT", "Đất xây dựng cơ sở thể dục, thể thao", "Sports facilities", _N),
    LandUseType("SKK", "Đất khu công nghiệp", "Industrial park", _N),
    LandUseType("SKN", "Đất cụm công nghiệp", "Industrial cluster", _N),
    LandUseType("TMD", "Đất thương mại, dịch vụ", "Commerce and services", _N),
    LandUseType("SKC", "Đất cơ sở sản xuất phi nông nghiệp", "Non-agricultural production", _N),
    LandUseType("SKS", "Đất sử dụng cho hoạt động khoáng sản", "Mining", _N),
    LandUseType("DGT", "Đất công trình giao thông", "Transport", _N),
    LandUseType("DTL", "Đất công trình thủy lợi", "Irrigation", _N),
    LandUseType("DNL", "Đất công trình năng lượng, chiếu sáng công cộng", "Energy", _N),
    LandUseType("DBV", "Đất công trình bưu chính, viễn thông", "Post and telecom", _N),
    LandUseType("DCH", "Đất chợ dân sinh, chợ đầu mối", "Markets", _N),
    LandUseType("DRA", "Đất bãi thải, xử lý chất thải", "Waste disposal", _N),
    LandUseType("DKV", "Đất khu vui chơi, giải trí công cộng", "Public recreation", _N),
    LandUseType("TON", "Đất tôn giáo", "Religious", _N),
    LandUseType("TIN", "Đất tín ngưỡng", "Belief (communal houses, shrines)", _N),
    LandUseType("NTD", "Đất nghĩa trang, nhà tang lễ, cơ sở hỏa táng", "Cemeteries", _N),
    LandUseType("SON", "Đất có mặt nước dạng sông, ngòi, kênh, rạch, suối", "Rivers", _N),
    LandUseType("MNC", "Đất có mặt nước chuyên dùng", "Special-use water surface", _N),
    LandUseType("PNK", "Đất phi nông nghiệp khác", "Other non-agricultural", _N),
    LandUseType("BCS", "Đất bằng chưa sử dụng", "Unused flat land", _U),
    LandUseType("DCS", "Đất đồi núi chưa sử dụng", "Unused hill land", _U),
    LandUseType("NCS", "Núi đá không có rừng cây", "Bare rocky mountain", _U),
)

LEGACY_CODES: dict[str, str] = {
    # pre-2024 code -> 2024 code
    "BHK": "HNK",  # đất bằng trồng cây hằng năm khác
    "NHK": "HNK",  # đất nương rẫy trồng cây hằng năm khác
    "COC": "HNK",  # đất trồng cỏ dùng vào chăn nuôi
    "HNC": "HNK",  # đất trồng cây hằng năm còn lại
    "LUN": "LUK",  # đất lúa nương
    "LUA": "LUK",  # đất trồng lúa (gộp)
    "LNC": "CLN",  # đất trồng cây lâu năm khác
    "LNQ": "CLN",  # đất trồng cây ăn quả lâu năm
    "LNK": "CLN",  # đất trồng cây lâu năm khác
    "RST": "RSX",  # đất rừng sản xuất (đất có rừng trồng)
    "RSN": "RSX",  # đất rừng sản xuất (rừng tự nhiên)
    "RSM": "RSX",  # đất khoanh nuôi phục hồi rừng sản xuất
    "RPN": "RPH",  # đất rừng phòng hộ (rừng tự nhiên)
    "RPT": "RPH",  # đất rừng phòng hộ (rừng trồng)
    "RDN": "RDD",  # đất rừng đặc dụng (rừng tự nhiên)
    "TSN": "NTS",  # đất nuôi trồng thủy sản nước ngọt
    "DSH": "DVH",  # đất sinh hoạt cộng đồng
    "DHT": "PNK",  # đất phát triển hạ tầng (gộp)
    "SKX": "SKC",  # đất sản xuất vật liệu xây dựng, gốm sứ
    "TSK": "SKC",  # đất trụ sở khác
    "DTS": "TSC",  # đất xây dựng trụ sở của tổ chức sự nghiệp
}

_BY_CODE = {t.code: t for t in LAND_USE_TYPES}


def normalise_land_use_code(code: str) -> str | None:
    """Return the 2024 code for a current or pre-2024 code, or None when unknown."""
    key = code.strip().upper()
    if key in _BY_CODE:
        return key
    return LEGACY_CODES.get(key)


def land_use_type(code: str) -> LandUseType:
    """Look up a 2024 code; raises KeyError for an unknown one."""
    return _BY_CODE[code]
