"""Name pools for the demo land users of Lạng Sơn.

The province is mostly Nùng and Tày, with Kinh and Dao minorities; the surname weights
lean that way. Village names combine the Tày–Nùng elements that recur on the cadastral
maps (Nà: field, Khuổi: stream, Pác: mouth, Khòn: hill…) with a few Sino-Vietnamese ones.
"""

from __future__ import annotations

# (surname, relative weight)
SURNAMES: tuple[tuple[str, float], ...] = (
    ("Hoàng", 14.0),
    ("Nông", 9.0),
    ("Nguyễn", 8.0),
    ("Lương", 7.0),
    ("Vi", 6.0),
    ("Lăng", 4.0),
    ("Chu", 4.0),
    ("Lộc", 4.0),
    ("Hà", 4.0),
    ("Triệu", 4.0),
    ("Mông", 3.0),
    ("Lý", 3.0),
    ("Đinh", 3.0),
    ("Vy", 3.0),
    ("Bế", 3.0),
    ("Dương", 3.0),
    ("Trần", 3.0),
    ("Hứa", 2.0),
    ("Lành", 2.0),
    ("Tô", 2.0),
    ("Đàm", 2.0),
    ("Lâm", 2.0),
    ("Phạm", 2.0),
    ("Lê", 2.0),
    ("Ngôn", 1.0),
    ("Vũ", 1.0),
    ("Bàn", 1.0),
    ("Đặng", 1.0),
    ("Sầm", 1.0),
    ("Hoàng Văn", 0.5),
)

MALE_MIDDLE: tuple[tuple[str, float], ...] = (
    ("Văn", 62.0),
    ("Đức", 8.0),
    ("Minh", 7.0),
    ("Quang", 5.0),
    ("Xuân", 5.0),
    ("Thanh", 5.0),
    ("Hữu", 4.0),
    ("Công", 4.0),
)

FEMALE_MIDDLE: tuple[tuple[str, float], ...] = (
    ("Thị", 78.0),
    ("Thu", 5.0),
    ("Thanh", 5.0),
    ("Hồng", 5.0),
    ("Ngọc", 4.0),
    ("Minh", 3.0),
)

MALE_GIVEN: tuple[str, ...] = (
    "Hùng", "Dũng", "Cường", "Thắng", "Tuấn", "Minh", "Hải", "Long", "Quân", "Sơn",
    "Phong", "Khánh", "Đạt", "Bình", "Thành", "Toàn", "Tiến", "Chiến", "Lợi", "Kiên",
    "Hưng", "Phúc", "Quý", "Thịnh", "Vinh", "Trường", "Tài", "Đông", "Hoàn", "Hiếu",
    "Nam", "Thuận", "Tân", "Lực", "Sinh", "Bảo", "Huy", "Khải", "Nghĩa", "Thái",
    "Vượng", "Doanh", "Chức", "Hậu", "Pảo", "Slinh", "Tường", "Mạnh", "Luận", "Hoạt",
)

FEMALE_GIVEN: tuple[str, ...] = (
    "Hoa", "Lan", "Hương", "Mai", "Thảo", "Hằng", "Huệ", "Nga", "Liên", "Dung",
    "Thu", "Hà", "Nhung", "Phượng", "Xuân", "Vân", "Thủy", "Yến", "Hạnh", "Lụa",
    "Mến", "Thơm", "Nhàn", "Tươi", "Hiền", "Duyên", "Chuyên", "Sen", "Cúc", "Đào",
    "Ngần", "Loan", "Tuyết", "Quyên", "Dịu", "Pằn", "Mây", "Hồng", "Ly", "Thắm",
)

VILLAGE_PREFIXES: tuple[str, ...] = (
    "Nà", "Khòn", "Pác", "Bản", "Khuổi", "Còn", "Pò", "Nặm", "Lũng", "Phiêng",
    "Kéo", "Bó", "Co", "Tà", "Khau", "Phai", "Cốc", "Thâm", "Hang", "Pắc",
)

VILLAGE_SUFFIXES: tuple[str, ...] = (
    "Chuông", "Pàn", "Lầy", "Mạ", "Làng", "Pục", "Cáp", "Nưa", "Tèo", "Slam",
    "Hin", "Luông", "Vài", "Khum", "Thẳm", "Rị", "Mò", "Quyền", "Nọi", "Pheo",
    "Tát", "Lình", "Cằm", "Mặn", "Nhùng", "Pát", "Sảng", "Ngà", "Chang", "Khoang",
)

SINO_VILLAGES: tuple[str, ...] = (
    "Đồng Tâm", "Tân Lập", "Hợp Thành", "Quyết Tiến", "Bình Minh", "Thống Nhất",
    "Tiến Bộ", "Đoàn Kết", "Tân Thành", "Hòa Bình", "Đồng Bành", "Phú Xá",
)

# Mobile prefixes in use (Viettel 03x/086/09x, VinaPhone 08x/091/094, MobiFone 07x/090/093).
MOBILE_PREFIXES: tuple[str, ...] = (
    "032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098",
    "081", "082", "083", "084", "085", "088", "091", "094", "070", "076", "077", "078",
    "079", "089", "090", "093",
)


def village_names() -> tuple[str, ...]:
    """Every village name the demo may use, in a fixed order."""
    mixed = tuple(f"{p} {s}" for p in VILLAGE_PREFIXES for s in VILLAGE_SUFFIXES)
    return mixed + SINO_VILLAGES
