"""Naming rules of C53 Art. 3, 4, 8 and 18, as tables."""

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from rooms.domain.naming import (
    CENTRE_LEVELS,
    DEPARTMENT_OFFICES,
    RESERVED_SLUGS,
    SCHOOL_LEVELS,
    SLUG_PATTERN,
    ambiguous_names,
    centre_mailbox,
    centre_slug,
    commune_mailbox,
    commune_slug,
    compact,
    department_mailbox,
    district_mailbox,
    district_slug,
    is_reserved,
    name_words,
    normalize,
    province_slug,
    school_mailbox,
    school_slug,
    strip_diacritics,
    unique_slug,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- normalize -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hà Nội", "Hà Nội"),
        ("  Hà \t Nội \n", "Hà Nội"),
        ("Hà\u00a0\u00a0Nội", "Hà Nội"),
        ("\r\nQuận   Ba\u2003Đình ", "Quận Ba Đình"),
        (nfd("Hà Nội"), "Hà Nội"),
        ("", ""),
        (" \t\n ", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    result = normalize(text)
    assert result == expected
    assert unicodedata.is_normalized("NFC", result)


# --- strip_diacritics ------------------------------------------------------------------

# The twelve Vietnamese vowels as base letter + vowel mark (breve, circumflex, horn).
VOWELS = {
    "a": "a",
    "ă": "a\u0306",
    "â": "a\u0302",
    "e": "e",
    "ê": "e\u0302",
    "i": "i",
    "o": "o",
    "ô": "o\u0302",
    "ơ": "o\u031b",
    "u": "u",
    "ư": "u\u031b",
    "y": "y",
}
# ngang (none), huyền, sắc, hỏi, ngã, nặng
TONES = {
    "ngang": "",
    "huyen": "\u0300",
    "sac": "\u0301",
    "hoi": "\u0309",
    "nga": "\u0303",
    "nang": "\u0323",
}
VOWEL_TONE_CASES = [
    pytest.param(
        (base + tone) if lower else (base[0].upper() + base[1:] + tone),
        base[0] if lower else base[0].upper(),
        id=f"{vowel}-{tone_name}-{'lower' if lower else 'upper'}",
    )
    for vowel, base in VOWELS.items()
    for tone_name, tone in TONES.items()
    for lower in (True, False)
]


def test_vowel_tone_table_is_complete() -> None:
    assert len(VOWEL_TONE_CASES) == 12 * 6 * 2


@pytest.mark.parametrize(("decomposed", "expected"), VOWEL_TONE_CASES)
def test_strip_diacritics_every_vowel_and_tone(decomposed: str, expected: str) -> None:
    composed = unicodedata.normalize("NFC", decomposed)
    # every Vietnamese vowel with a tone has one precomposed code point
    assert len(composed) == 1
    assert strip_diacritics(composed) == expected
    assert strip_diacritics(decomposed) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ắ", "a"),
        ("Ẵ", "A"),
        ("ậ", "a"),
        ("Ệ", "E"),
        ("ỉ", "i"),
        ("ờ", "o"),
        ("Ỡ", "O"),
        ("ự", "u"),
        ("Ữ", "U"),
        ("ỹ", "y"),
        ("Ỵ", "Y"),
        ("đ", "d"),
        ("Đ", "D"),
        ("Đắk Lắk", "Dak Lak"),
        ("ĐƯỜNG", "DUONG"),
        ("Nguyễn Thị Minh Khai", "Nguyen Thi Minh Khai"),
        ("Thừa Thiên Huế", "Thua Thien Hue"),
        # old-style and new-style tone placement strip the same way
        ("Hoà", "Hoa"),
        ("Hòa", "Hoa"),
        ("Thuỷ", "Thuy"),
        ("Thủy", "Thuy"),
        # legacy conversions often write Đ as the look-alike eth
        ("\u00d0ình", "Dinh"),
        # marks NFC cannot compose onto one letter are still removed
        ("a\u0301\u0306", "a"),
        ("x\u0301", "x"),
        # everything else is left alone
        ("GD&ĐT - số 2 (cũ)", "GD&DT - so 2 (cu)"),
        ("ø ß 中文 ‘’", "ø ß 中文 ‘’"),
        ("", ""),
    ],
)
def test_strip_diacritics_literals(text: str, expected: str) -> None:
    assert strip_diacritics(text) == expected
    assert strip_diacritics(nfd(text)) == expected


# --- name_words and compact ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Thành phố Hà Nội", ["Ha", "Noi"]),
        ("Quận Ba Đình", ["Ba", "Dinh"]),
        ("Trường THPT Trần Phú", ["Tran", "Phu"]),
        ("Trường Trung học phổ thông Trần Phú", ["Tran", "Phu"]),
        ("TRƯỜNG THPT TRẦN PHÚ", ["TRAN", "PHU"]),
        ("trường thpt trần phú", ["tran", "phu"]),
        ("Trung tâm Giáo dục thường xuyên quận Ba Đình", ["Ba", "Dinh"]),
        ("Trung tâm GDTX quận Ba Đình", ["Ba", "Dinh"]),
        ("Trung tâm GDNN-GDTX huyện Quỳnh Lưu", ["Quynh", "Luu"]),
        ("Trung tâm Ngoại ngữ - Tin học Thăng Long", ["Thang", "Long"]),
        ("Trung tâm Kỹ thuật tổng hợp - Hướng nghiệp Hà Đông", ["Ha", "Dong"]),
        ("Trung tâm KTTH-HN Hà Đông", ["Ha", "Dong"]),
        ("Trung tâm Học tập cộng đồng xã Yên Sở", ["Yen", "So"]),
        ("Sở Giáo dục và Đào tạo Thái Bình", ["Thai", "Binh"]),
        ("Sở GD&ĐT Thành phố Hồ Chí Minh", ["Ho", "Chi", "Minh"]),
        ("Phòng Giáo dục và Đào tạo huyện Quỳnh Lưu", ["Quynh", "Luu"]),
        ("Phòng GD&ĐT quận Ba Đình", ["Ba", "Dinh"]),
        ("Trường Mầm non Hoa Sen", ["Hoa", "Sen"]),
        ("Trường Tiểu học và Trung học cơ sở Xuân Phương", ["Xuan", "Phuong"]),
        ("Trường TH&THCS Xuân Phương", ["Xuan", "Phuong"]),
        ("Trường Liên cấp Tiểu học Thực Nghiệm", ["Thuc", "Nghiem"]),
        ("Trường PTDTNT tỉnh Lào Cai", ["Lao", "Cai"]),
        ("TP. Hồ Chí Minh", ["Ho", "Chi", "Minh"]),
        ("TP.Hồ Chí Minh", ["Ho", "Chi", "Minh"]),
        ("Tỉnh Thanh Hóa", ["Thanh", "Hoa"]),
        ("Thị xã Sơn Tây", ["Son", "Tay"]),
        ("Thị trấn Cầu Giát", ["Cau", "Giat"]),
        ("Phường Hoàn Kiếm", ["Hoan", "Kiem"]),
        ("Đặc khu Phú Quốc", ["Phu", "Quoc"]),
        ("Đắk Lắk", ["Dak", "Lak"]),
        ("Huyện Ea H'leo", ["Ea", "H", "leo"]),
        ("Huyện Cư M’gar", ["Cu", "M", "gar"]),
        ("Bà Rịa-Vũng Tàu", ["Ba", "Ria", "Vung", "Tau"]),
        ("Trường THCS Nguyễn Du (cơ sở 2)", ["Nguyen", "Du", "co", "so", "2"]),
        # digits are kept, so a numbered school keeps its number
        ("Trường THCS số 2", ["so", "2"]),
        # a prefix that would leave no letter is kept
        ("Quận 1", ["Quan", "1"]),
        ("Phường 12", ["Phuong", "12"]),
        ("Trường Tiểu học 1", ["Tieu", "hoc", "1"]),
        ("Trường Tiểu học Thị Trấn", ["Thi", "Tran"]),
        ("Trường THPT", ["THPT"]),
        ("Thành phố", ["Thanh", "pho"]),
        # prefixes are whole words with their diacritics, and only at the start
        ("Xã Xá Lượng", ["Xa", "Luong"]),
        ("Trường THPT Phan Đình Phùng Thành phố", ["Phan", "Dinh", "Phung", "Thanh", "pho"]),
        ("Thạch Thành", ["Thach", "Thanh"]),
        ("Thái Nguyên", ["Thai", "Nguyen"]),
        ("Trung Thành", ["Trung", "Thanh"]),
        ("Phương Sơn", ["Phuong", "Son"]),
        ("", []),
        ("   ", []),
        ("---", []),
        ("中文", []),
    ],
)
def test_name_words(name: str, expected: list[str]) -> None:
    assert name_words(name) == expected
    assert name_words(nfd(name)) == expected


@pytest.mark.parametrize(
    ("name", "abbreviation", "expected"),
    [
        # C53 Art. 3-4 and 18 examples
        ("Hà Nội", "", "hanoi"),
        ("Thành phố Hà Nội", "", "hanoi"),
        ("Ba Đình", "", "badinh"),
        ("Quận Ba Đình", "", "badinh"),
        ("Quỳnh Lưu", "", "quynhluu"),
        ("Huyện Quỳnh Lưu", "", "quynhluu"),
        ("Bắc Ninh", "", "bacninh"),
        ("Thái Bình", "", "thaibinh"),
        ("Thành phố Hồ Chí Minh", "tpHCM", "tphcm"),
        ("Thành phố Hồ Chí Minh", "", "hochiminh"),
        ("Trường THPT Trần Phú", "", "tranphu"),
        ("Đắk Lắk", "", "daklak"),
        # the abbreviation is cleaned to ASCII letters and digits
        ("Trường THPT chuyên Hà Nội - Amsterdam", "HN-Ams", "hnams"),
        ("Trường Tiểu học Đoàn Thị Điểm", " Đ.T.Đ ", "dtd"),
        # a blank abbreviation does not count as set
        ("Hà Nội", "   ", "hanoi"),
        # whitespace noise
        ("  Hà \t Nội \n", "", "hanoi"),
        ("Thành   phố\u00a0Hà  Nội", "", "hanoi"),
    ],
)
def test_compact(name: str, abbreviation: str, expected: str) -> None:
    assert compact(name, abbreviation) == expected
    assert compact(nfd(name), nfd(abbreviation)) == expected
    assert province_slug(name, abbreviation) == expected


@pytest.mark.parametrize(
    ("name", "abbreviation"),
    [("", ""), ("   ", ""), ("---", ""), ("中文", ""), ("Hà Nội", "---"), ("", "中")],
)
def test_compact_rejects_empty_names(name: str, abbreviation: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        compact(name, abbreviation)


# --- the 34 provinces of 2025 ------------------------------------------------------------

PROVINCES = [
    ("Thành phố Hà Nội", "hanoi"),
    ("Cao Bằng", "caobang"),
    ("Tuyên Quang", "tuyenquang"),
    ("Điện Biên", "dienbien"),
    ("Lai Châu", "laichau"),
    ("Sơn La", "sonla"),
    ("Lào Cai", "laocai"),
    ("Thái Nguyên", "thainguyen"),
    ("Lạng Sơn", "langson"),
    ("Quảng Ninh", "quangninh"),
    ("Bắc Ninh", "bacninh"),
    ("Phú Thọ", "phutho"),
    ("Thành phố Hải Phòng", "haiphong"),
    ("Hưng Yên", "hungyen"),
    ("Ninh Bình", "ninhbinh"),
    ("Thanh Hóa", "thanhhoa"),
    ("Nghệ An", "nghean"),
    ("Hà Tĩnh", "hatinh"),
    ("Quảng Trị", "quangtri"),
    ("Thành phố Huế", "hue"),
    ("Thành phố Đà Nẵng", "danang"),
    ("Quảng Ngãi", "quangngai"),
    ("Gia Lai", "gialai"),
    ("Khánh Hòa", "khanhhoa"),
    ("Đắk Lắk", "daklak"),
    ("Lâm Đồng", "lamdong"),
    ("Đồng Nai", "dongnai"),
    ("Thành phố Hồ Chí Minh", "hochiminh"),
    ("Tây Ninh", "tayninh"),
    ("Đồng Tháp", "dongthap"),
    ("Vĩnh Long", "vinhlong"),
    ("An Giang", "angiang"),
    ("Thành phố Cần Thơ", "cantho"),
    ("Cà Mau", "camau"),
]


@pytest.mark.parametrize(("name", "expected"), PROVINCES)
def test_province_slug(name: str, expected: str) -> None:
    slug = province_slug(name)
    assert slug == expected
    assert province_slug(nfd(name)) == expected
    assert SLUG_PATTERN.fullmatch(slug)
    assert not is_reserved(slug)


def test_provinces_are_34_distinct_slugs() -> None:
    slugs = {province_slug(name) for name, _ in PROVINCES}
    assert len(PROVINCES) == 34
    assert len(slugs) == 34


@pytest.mark.parametrize(("name", "_slug"), PROVINCES)
def test_department_mailbox_for_every_province(name: str, _slug: str) -> None:
    mailbox = department_mailbox(name)
    assert mailbox == department_mailbox(nfd(name))
    local, domain = mailbox.split("@")
    assert domain == "moet.edu.vn"
    assert local.startswith("Giamdoc.So")
    assert local.isascii() and local.replace(".", "").isalnum()


# --- district, school, centre and commune slugs ------------------------------------------


@pytest.mark.parametrize(
    ("name", "province", "ambiguous", "expected"),
    [
        ("Quận Ba Đình", "hanoi", False, "badinh"),
        ("Quận Ba Đình", "hanoi", True, "badinh-hanoi"),
        ("Huyện Quỳnh Lưu", "nghean", False, "quynhluu"),
        ("Huyện Châu Thành", "tayninh", True, "chauthanh-tayninh"),
        ("Quận 1", "hochiminh", False, "quan1"),
        ("Thị xã Sơn Tây", "hanoi", False, "sontay"),
        ("Thành phố Thủ Đức", "hochiminh", False, "thuduc"),
    ],
)
def test_district_slug(name: str, province: str, ambiguous: bool, expected: str) -> None:
    assert district_slug(name, province, ambiguous=ambiguous) == expected
    assert district_slug(nfd(name), province, ambiguous=ambiguous) == expected


@pytest.mark.parametrize(
    ("level", "name", "province", "abbreviation", "expected"),
    [
        ("C3", "Trường THPT Trần Phú", "hanoi", "", "c3tranphu-hanoi"),
        ("C3", "Trần Phú", "hanoi", "", "c3tranphu-hanoi"),
        ("c3", "Trường Trung học phổ thông Trần Phú", "hanoi", "", "c3tranphu-hanoi"),
        (" C3 ", "Trường THPT Trần Phú", "hanoi", "", "c3tranphu-hanoi"),
        ("C0", "Trường Mầm non Hoa Sen", "danang", "", "c0hoasen-danang"),
        ("C1", "Trường Tiểu học Thị Trấn", "laocai", "", "c1thitran-laocai"),
        ("C2", "Trường THCS số 2", "hue", "", "c2so2-hue"),
        ("C12", "Trường TH&THCS Xuân Phương", "hanoi", "", "c12xuanphuong-hanoi"),
        ("C23", "Trường PTDTNT tỉnh Lào Cai", "laocai", "", "c23laocai-laocai"),
        ("C123", "Trường Liên cấp Đoàn Thị Điểm", "hanoi", "", "c123doanthidiem-hanoi"),
        ("C3", "Trường THPT chuyên Hà Nội - Amsterdam", "hanoi", "HN-Ams", "c3hnams-hanoi"),
    ],
)
def test_school_slug(
    level: str, name: str, province: str, abbreviation: str, expected: str
) -> None:
    assert school_slug(level, name, province, abbreviation) == expected
    assert school_slug(level, nfd(name), province, abbreviation) == expected


@pytest.mark.parametrize(
    ("level", "name", "province", "expected"),
    [
        ("TX", "Trung tâm Giáo dục thường xuyên quận Ba Đình", "hanoi", "txbadinh-hanoi"),
        ("TX", "Ba Đình", "hanoi", "txbadinh-hanoi"),
        ("tx", "Trung tâm GDTX quận Ba Đình", "hanoi", "txbadinh-hanoi"),
        ("TH", "Trung tâm Tin học Bách Khoa", "hanoi", "thbachkhoa-hanoi"),
        ("TN", "Trung tâm Ngoại ngữ Quỳnh Lưu", "nghean", "tnquynhluu-nghean"),
        ("TNT", "Trung tâm Ngoại ngữ - Tin học Thăng Long", "hanoi", "tntthanglong-hanoi"),
        ("TC", "Trung tâm Học tập cộng đồng xã Yên Sở", "hanoi", "tcyenso-hanoi"),
        ("TK", "Trung tâm KTTH-HN Hà Đông", "hanoi", "tkhadong-hanoi"),
    ],
)
def test_centre_slug(level: str, name: str, province: str, expected: str) -> None:
    assert centre_slug(level, name, province) == expected
    assert centre_slug(level, nfd(name), province) == expected


@pytest.mark.parametrize(
    ("name", "province", "expected"),
    [
        ("Xã Yên Sở", "hanoi", "yenso-hanoi"),
        ("Phường Ba Đình", "hanoi", "badinh-hanoi"),
        ("Phường 12", "hochiminh", "phuong12-hochiminh"),
        ("Đặc khu Phú Quốc", "angiang", "phuquoc-angiang"),
    ],
)
def test_commune_slug(name: str, province: str, expected: str) -> None:
    assert commune_slug(name, province) == expected
    assert commune_slug(nfd(name), province) == expected


@pytest.mark.parametrize("level", ["", "C", "C4", "C13", "C 3", "X", "TX", "TNT", "3"])
def test_school_rejects_invalid_levels(level: str) -> None:
    with pytest.raises(ValueError, match="school level"):
        school_slug(level, "Trần Phú", "hanoi")
    with pytest.raises(ValueError, match="school level"):
        school_mailbox(level, "Trần Phú", "hanoi")


@pytest.mark.parametrize("level", ["", "T", "TT", "TXN", "C3", "C0", "GDTX"])
def test_centre_rejects_invalid_levels(level: str) -> None:
    with pytest.raises(ValueError, match="centre level"):
        centre_slug(level, "Ba Đình", "hanoi")
    with pytest.raises(ValueError, match="centre level"):
        centre_mailbox(level, "Ba Đình", "hanoi")


@pytest.mark.parametrize("level", SCHOOL_LEVELS)
def test_every_school_level(level: str) -> None:
    assert school_slug(level, "Trần Phú", "hanoi") == f"{level.lower()}tranphu-hanoi"
    assert school_mailbox(level, "Trần Phú", "hanoi") == f"{level}tranphu.hanoi@moet.edu.vn"


@pytest.mark.parametrize("level", CENTRE_LEVELS)
def test_every_centre_level(level: str) -> None:
    assert centre_slug(level, "Ba Đình", "hanoi") == f"{level.lower()}badinh-hanoi"
    assert centre_mailbox(level, "Ba Đình", "hanoi") == f"{level}badinh.hanoi@moet.edu.vn"


BUILDERS: list[Callable[[str], str]] = [
    lambda name: province_slug(name),
    lambda name: district_slug(name, "hanoi", ambiguous=True),
    lambda name: school_slug("C3", name, "hanoi"),
    lambda name: centre_slug("TX", name, "hanoi"),
    lambda name: commune_slug(name, "hanoi"),
    lambda name: department_mailbox(name),
    lambda name: district_mailbox(name, "hanoi"),
    lambda name: school_mailbox("C3", name, "hanoi"),
    lambda name: centre_mailbox("TX", name, "hanoi"),
    lambda name: commune_mailbox(name, "hanoi"),
]
BUILDER_IDS = [
    "province_slug",
    "district_slug",
    "school_slug",
    "centre_slug",
    "commune_slug",
    "department_mailbox",
    "district_mailbox",
    "school_mailbox",
    "centre_mailbox",
    "commune_mailbox",
]


@pytest.mark.parametrize("build", BUILDERS, ids=BUILDER_IDS)
@pytest.mark.parametrize("name", ["", "   ", "\t\n", "---", "(…)", "中文"])
def test_empty_names_raise(build: Callable[[str], str], name: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        build(name)


@pytest.mark.parametrize(
    "build",
    [
        lambda p: district_slug("Ba Đình", p, ambiguous=True),
        lambda p: school_slug("C3", "Trần Phú", p),
        lambda p: centre_slug("TX", "Ba Đình", p),
        lambda p: commune_slug("Yên Sở", p),
        lambda p: district_mailbox("Ba Đình", p),
        lambda p: school_mailbox("C3", "Trần Phú", p),
        lambda p: centre_mailbox("TX", "Ba Đình", p),
        lambda p: commune_mailbox("Yên Sở", p),
    ],
    ids=BUILDER_IDS[1:5] + BUILDER_IDS[6:],
)
@pytest.mark.parametrize("province", ["Hà Nội", "HaNoi", "ha noi", "-hanoi", "hanoi-", ""])
def test_province_must_be_a_slug(build: Callable[[str], str], province: str) -> None:
    with pytest.raises(ValueError, match="(?i)province slug"):
        build(province)


# --- mailboxes (C53 Art. 8) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("province_name", "abbreviation", "office", "expected"),
    [
        ("Hà Nội", "", "Giamdoc", "Giamdoc.SoHaNoi@moet.edu.vn"),
        ("Thành phố Hà Nội", "", "Giamdoc", "Giamdoc.SoHaNoi@moet.edu.vn"),
        ("Sở Giáo dục và Đào tạo Hà Nội", "", "Giamdoc", "Giamdoc.SoHaNoi@moet.edu.vn"),
        ("Thái Bình", "", "Giamdoc", "Giamdoc.SoThaiBinh@moet.edu.vn"),
        ("Thành phố Hồ Chí Minh", "tpHCM", "Giamdoc", "Giamdoc.SotpHCM@moet.edu.vn"),
        ("Thành phố Hồ Chí Minh", "", "Giamdoc", "Giamdoc.SoHoChiMinh@moet.edu.vn"),
        ("Đắk Lắk", "", "Vanphong", "Vanphong.SoDakLak@moet.edu.vn"),
        ("HÀ NỘI", "", "Thanhtra", "Thanhtra.SoHaNoi@moet.edu.vn"),
        ("  Hà \t Nội ", "", "BanTS", "BanTS.SoHaNoi@moet.edu.vn"),
    ],
)
def test_department_mailbox(
    province_name: str, abbreviation: str, office: str, expected: str
) -> None:
    assert department_mailbox(province_name, abbreviation, office=office) == expected
    assert department_mailbox(nfd(province_name), abbreviation, office=office) == expected


@pytest.mark.parametrize("office", DEPARTMENT_OFFICES)
def test_department_mailbox_every_office(office: str) -> None:
    assert department_mailbox("Hà Nội", office=office) == f"{office}.SoHaNoi@moet.edu.vn"


# The circular's own text (../shared/seeds/ beside the project): the test reads the
# mailboxes Art. 8.1 lists rather than restating them.
CIRCULAR_53 = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "seeds"
    / ("circular-53-2012-TT-BGDDT.txt")
)
ARTICLE_8_MAILBOX = re.compile(r"^\s*([A-Za-z]+)\.(?:Tên-Sở|TenSo)@moet\.edu\.vn", re.MULTILINE)


def test_department_offices_are_the_fourteen_of_article_8() -> None:
    if not CIRCULAR_53.exists():
        pytest.skip(f"the circular's text is not at {CIRCULAR_53}")
    text = unicodedata.normalize("NFC", CIRCULAR_53.read_text(encoding="utf-8"))
    listed = tuple(ARTICLE_8_MAILBOX.findall(text))
    assert len(listed) == 14
    assert DEPARTMENT_OFFICES == listed


@pytest.mark.parametrize("office", ["", "giamdoc", "GIAMDOC", "Hieutruong", "Phong", "Giamdoc."])
def test_department_mailbox_rejects_unknown_offices(office: str) -> None:
    with pytest.raises(ValueError, match="department office"):
        department_mailbox("Hà Nội", office=office)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: district_mailbox("Ba Đình", "hanoi"), "pgdbadinh.hanoi@moet.edu.vn"),
        (lambda: district_mailbox("Quận Ba Đình", "hanoi"), "pgdbadinh.hanoi@moet.edu.vn"),
        (
            lambda: district_mailbox("Phòng GD&ĐT huyện Quỳnh Lưu", "nghean"),
            "pgdquynhluu.nghean@moet.edu.vn",
        ),
        (lambda: school_mailbox("C3", "Trần Phú", "hanoi"), "C3tranphu.hanoi@moet.edu.vn"),
        (
            lambda: school_mailbox("c3", "Trường THPT Trần Phú", "hanoi"),
            "C3tranphu.hanoi@moet.edu.vn",
        ),
        (
            lambda: school_mailbox("C3", "Trường THPT chuyên Hà Nội - Amsterdam", "hanoi", "HNA"),
            "C3hna.hanoi@moet.edu.vn",
        ),
        (
            lambda: centre_mailbox("TX", "Trung tâm GDTX quận Ba Đình", "hanoi"),
            "TXbadinh.hanoi@moet.edu.vn",
        ),
        (lambda: centre_mailbox("tx", "Ba Đình", "hanoi"), "TXbadinh.hanoi@moet.edu.vn"),
        (lambda: commune_mailbox("Xã Yên Sở", "hanoi"), "pgdyenso.hanoi@moet.edu.vn"),
        (lambda: commune_mailbox("Phường 12", "hochiminh"), "pgdphuong12.hochiminh@moet.edu.vn"),
    ],
)
def test_unit_mailboxes(build: Callable[[], str], expected: str) -> None:
    assert build() == expected


# --- reserved slugs and unique_slug --------------------------------------------------------


@pytest.mark.parametrize(
    "slug",
    [
        "api",
        "admin",
        "static",
        "media",
        "portal",
        "calendar",
        "ws",
        "accounts",
        "healthz",
        "i18n",
        "sites",
        "rooms",
        "units",
        "login",
        "logout",
        "favicon.ico",
        "robots.txt",
        "sitemap.xml",
        "live",
        "embed",
        "search",
        "rss",
        "feeds",
        "docs",
        "help",
        "about",
        "settings",
        "selftest",
        "new",
        "edit",
        "ADMIN",
        " api ",
    ],
)
def test_reserved(slug: str) -> None:
    assert is_reserved(slug)


@pytest.mark.parametrize("slug", ["demo", "hanoi", "badinh", "c3tranphu-hanoi", "api-hanoi", ""])
def test_not_reserved(slug: str) -> None:
    assert not is_reserved(slug)


def test_reserved_slugs_are_lower_case() -> None:
    assert all(slug == slug.lower().strip() for slug in RESERVED_SLUGS)


@pytest.mark.parametrize(
    ("candidate", "taken", "qualifier", "expected"),
    [
        # free
        ("badinh", set(), "", "badinh"),
        ("badinh", set(), "hanoi", "badinh"),
        ("badinh", {"hanoi", "badinh-hanoi"}, "hanoi", "badinh"),
        # taken, no qualifier: numbered
        ("badinh", {"badinh"}, "", "badinh-2"),
        ("badinh", {"badinh", "badinh-2"}, "", "badinh-3"),
        ("badinh", {"badinh", "badinh-2", "badinh-3"}, "", "badinh-4"),
        ("badinh", {"badinh", "badinh-3"}, "", "badinh-2"),
        # taken, with qualifier
        ("badinh", {"badinh"}, "hanoi", "badinh-hanoi"),
        ("badinh", {"badinh", "badinh-hanoi"}, "hanoi", "badinh-hanoi-2"),
        ("badinh", {"badinh", "badinh-hanoi", "badinh-hanoi-2"}, "hanoi", "badinh-hanoi-3"),
        # qualifier already present: numbered, not doubled
        ("badinh-hanoi", {"badinh-hanoi"}, "hanoi", "badinh-hanoi-2"),
        ("hanoi", {"hanoi"}, "hanoi", "hanoi-2"),
        # a qualifier that merely ends the same way is not "already present"
        ("badinh-xhanoi", {"badinh-xhanoi"}, "hanoi", "badinh-xhanoi-hanoi"),
        # reserved words are never returned, even when nobody holds them
        ("admin", set(), "", "admin-2"),
        ("api", set(), "hanoi", "api-hanoi"),
        ("live", {"live-2"}, "", "live-3"),
        ("demo", set(), "", "demo"),
    ],
)
def test_unique_slug(candidate: str, taken: set[str], qualifier: str, expected: str) -> None:
    result = unique_slug(candidate, taken, qualifier=qualifier)
    assert result == expected
    assert SLUG_PATTERN.fullmatch(result)
    assert result not in taken and not is_reserved(result)
    # deterministic: the same inputs, in any container, give the same answer
    assert unique_slug(candidate, frozenset(taken), qualifier=qualifier) == expected
    assert unique_slug(candidate, sorted(taken), qualifier=qualifier) == expected


def test_unique_slug_allocates_a_sequence() -> None:
    taken: set[str] = set()
    for expected in ["trungtam", "trungtam-2", "trungtam-3", "trungtam-4"]:
        slug = unique_slug("trungtam", taken)
        assert slug == expected
        taken.add(slug)


@pytest.mark.parametrize(
    ("candidate", "qualifier", "match"),
    [
        ("", "", "empty"),
        ("", "hanoi", "empty"),
        ("Ba Dinh", "", "not a slug"),
        ("badinh-", "", "not a slug"),
        ("ba--dinh", "", "not a slug"),
        ("BaDinh", "", "not a slug"),
        ("badinh\n", "", "not a slug"),
        ("badinh", "Hà Nội", "not a slug"),
        ("badinh", "-hanoi", "not a slug"),
    ],
)
def test_unique_slug_rejects_bad_input(candidate: str, qualifier: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        unique_slug(candidate, set(), qualifier=qualifier)


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


def test_unique_slug_gives_up_instead_of_looping_forever() -> None:
    with pytest.raises(ValueError, match="No free slug"):
        unique_slug("badinh", _Everything(), qualifier="hanoi")


# --- ambiguous_names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], frozenset()),
        ([("badinh", "hanoi")], frozenset()),
        ([("badinh", "hanoi"), ("badinh", "hanoi")], frozenset()),
        ([("badinh", "hanoi"), ("quynhluu", "nghean")], frozenset()),
        (
            [("chauthanh", "tayninh"), ("chauthanh", "angiang"), ("badinh", "hanoi")],
            frozenset({"chauthanh"}),
        ),
        (
            [
                ("chauthanh", "tayninh"),
                ("chauthanh", "angiang"),
                ("chauthanh", "vinhlong"),
                ("tanphu", "dongnai"),
                ("tanphu", "hochiminh"),
                ("thuduc", "hochiminh"),
            ],
            frozenset({"chauthanh", "tanphu"}),
        ),
    ],
)
def test_ambiguous_names(pairs: list[tuple[str, str]], expected: frozenset[str]) -> None:
    assert ambiguous_names(pairs) == expected
    assert ambiguous_names(iter(pairs)) == expected


def test_ambiguous_names_drive_district_slugs() -> None:
    districts = [
        ("Huyện Châu Thành", "tayninh"),
        ("Huyện Châu Thành", "angiang"),
        ("Quận Ba Đình", "hanoi"),
    ]
    ambiguous = ambiguous_names((compact(name), province) for name, province in districts)
    slugs = [
        district_slug(name, province, ambiguous=compact(name) in ambiguous)
        for name, province in districts
    ]
    assert slugs == ["chauthanh-tayninh", "chauthanh-angiang", "badinh"]
