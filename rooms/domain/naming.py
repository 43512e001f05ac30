"""Room slugs and official mailboxes of education units (C53 Art. 3, 4, 8, 18).

The circular names every unit "in Vietnamese without diacritics, written together":
``hanoi``, ``badinh``, ``c3tranphu-hanoi``, ``Giamdoc.SoHaNoi@moet.edu.vn``. This module
turns a unit's official Vietnamese name into those forms. It is plain Python so that
services, imports and tests share one rule set without Django.

Decisions worth knowing:

* Input is normalised to NFC first (C53 Art. 17.3 asks for Unicode text; NFD arrives from
  macOS file names and some spreadsheets) and gives the same result as NFC input.
* Administrative and institutional prefixes ("Thành phố", "Quận", "Trường THPT",
  "Trung tâm GDTX", ...) are dropped from the start of a name, case-insensitively and
  repeatedly, but only on whole words and only with their diacritics: "Xã" is a prefix,
  "Xá" is not. A prefix is kept when dropping it would leave no letter, so
  "Trường Tiểu học Thị Trấn" gives ``thitran`` and "Quận 1" gives ``quan1``.
* Digits are kept: "Trường THCS số 2" gives ``so2``.
* A customary abbreviation ("tpHCM"), when set, replaces the name (Art. 4.3, Art. 8.1).
"""

import re
import unicodedata
from collections.abc import Container, Iterable

from rooms.domain.display_names import fold_compatibility, mixes_look_alikes

MAILBOX_DOMAIN = "moet.edu.vn"

# Art. 18.1 rooms live at http://<host>/<slug>; one shape for every slug keeps URLs,
# DNS labels (Art. 3) and mailbox local parts interchangeable.
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

SCHOOL_LEVELS: tuple[str, ...] = ("C0", "C1", "C2", "C3", "C12", "C23", "C123")
CENTRE_LEVELS: tuple[str, ...] = ("TX", "TH", "TN", "TNT", "TC", "TK")

# Art. 8.1 a)-o), in the circular's order and spelling.
DEPARTMENT_OFFICES: tuple[str, ...] = (
    "Giamdoc",
    "Vanphong",
    "PhongKHTC",
    "PhongTCCB",
    "PhongGDTrH",
    "PhongGDTH",
    "PhongGDTX",
    "PhongGDCN",
    "PhongGDMN",
    "PhongCNTT",
    "PhongKTKD",
    "Thanhtra",
    "BanTS",
    "PhongCTHSSV",
)

# Rooms sit at the root of the site, so every top-level path the product (or a browser,
# crawler or proxy) uses must never become a room. "demo" is a real room, not reserved.
# fmt: off
RESERVED_SLUGS: frozenset[str] = frozenset(
    {
        # the product's own URL space
        "about", "account", "accounts", "admin", "api", "archive", "archives", "assets",
        "auth", "broadcast", "broadcasts", "calendar", "checklist", "contact", "dashboard",
        "delete", "docs", "download", "downloads", "edit", "embed", "equipment", "evaluation",
        "export", "faq", "feed", "feeds", "files", "health", "healthz", "help", "home",
        "i18n", "ics", "import", "index", "invitations", "invite", "join", "jsi18n", "lang",
        "live", "livez", "login", "logout", "manage", "media", "new", "news", "oauth",
        "password", "portal", "privacy", "profile", "readyz", "recordings", "register",
        "reports", "rooms", "rss", "schedule", "schedules", "schema", "search", "sessions",
        "settings", "setlang", "selftest", "signup", "sites", "source", "sso", "static",
        "status", "stats", "tags", "terms", "units", "upload", "uploads", "users", "webinar",
        "webinars", "ws",
        # realtime and media plumbing
        "rtc", "signaling", "stream", "streaming", "stun", "turn", "webrtc", "websocket",
        # files browsers and crawlers ask for at the root
        "favicon.ico", "robots.txt", "sitemap.xml", "sitemap", "humans.txt",
        "security.txt", "manifest.json", "sw.js", "well-known",
        # host and product names, language codes, words that read as system pages
        "en", "vi", "hop", "meet", "moet", "www", "mail", "null", "undefined", "none",
        "root", "system", "test", "debug", "metrics", "ping",
    }
)
# fmt: on

# Prefixes are compared as sequences of case-folded words, so "TP." and "TP", or
# "Phòng GD&ĐT" and "Phòng GD-ĐT", are the same prefix.
# fmt: off
_ADMIN_PREFIXES = (
    "Tỉnh", "Thành phố", "TP", "Quận", "Huyện", "Thị xã", "Thị trấn", "Xã", "Phường",
    "Đặc khu",
)
_AGENCY_PREFIXES = (
    "Sở Giáo dục và Đào tạo", "Sở GD&ĐT", "Sở GDĐT",
    "Phòng Giáo dục và Đào tạo", "Phòng GD&ĐT", "Phòng GDĐT",
)
_SCHOOL_PREFIXES = (
    "Trường", "Nhà trẻ", "Mẫu giáo", "Mầm non", "Tiểu học", "Trung học cơ sở",
    "Trung học phổ thông", "Trung học", "Phổ thông", "Liên cấp", "Dân tộc nội trú",
    "Dân tộc bán trú", "THCS", "THPT", "TH", "MN", "MG", "PT", "PTDTNT", "PTDTBT", "DTNT",
    "DTBT",
    # joins multi-level names: "Trường Tiểu học và Trung học cơ sở Xuân Phương"
    "và",
)
_CENTRE_PREFIXES = (
    "Trung tâm", "Giáo dục thường xuyên", "GDTX", "Giáo dục nghề nghiệp", "GDNN",
    "Tin học", "Ngoại ngữ", "Ngoại ngữ - Tin học", "Giáo dục cộng đồng",
    "Học tập cộng đồng", "Kỹ thuật tổng hợp - Hướng nghiệp", "Kĩ thuật tổng hợp - Hướng nghiệp",
    "Kỹ thuật tổng hợp", "Kĩ thuật tổng hợp", "Hướng nghiệp", "KTTH-HN", "KTTH",
)
# fmt: on

# NFD leaves the Vietnamese vowel marks (breve, circumflex, horn, five tones) in this block.
_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
# Đ has no decomposition. U+00D0/U+00F0 (eth) look the same and are what many legacy
# TCVN3/VNI conversions produce, so they are treated as Đ/đ too.
_D_LETTERS = {"đ": "d", "Đ": "D", "\u00f0": "d", "\u00d0": "D"}
# Longest first, so that "Trung học phổ thông" wins over "Trung học".
_PREFIXES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        {
            tuple(word.casefold() for word in _WORD.findall(unicodedata.normalize("NFC", p)))
            for p in _ADMIN_PREFIXES + _AGENCY_PREFIXES + _SCHOOL_PREFIXES + _CENTRE_PREFIXES
        },
        key=lambda words: (-len(words), words),
    )
)
# A bound on numbering, so that a ``taken`` that claims everything cannot loop forever.
_MAX_NUMBER = 100_000


def normalize(text: str) -> str:
    """Return ``text`` in NFC with runs of whitespace collapsed to one space, stripped.

    Fullwidth and other compatibility forms of ASCII letters and digits become ASCII:
    "Ｔｒầｎ" is "Trần", not a name with its letters dropped."""
    return " ".join(fold_compatibility(text).split())


def strip_diacritics(text: str) -> str:
    """Remove tones and vowel marks from Latin letters, map đ/Đ to d/D, keep case and the rest."""
    out: list[str] = []
    # NFD of NFC input and of NFD input is the same, which makes both give one result.
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char) == "Mn" and out and _is_ascii_letter(out[-1]):
            continue
        out.append(_D_LETTERS.get(char, char))
    return unicodedata.normalize("NFC", "".join(out))


def name_words(name: str) -> list[str]:
    """Return the ASCII words of a unit name after its leading prefixes, case preserved."""
    return _ascii_words(_drop_prefixes(_WORD.findall(normalize(name))))


def compact(name: str, abbreviation: str = "") -> str:
    """Return the name written together in lower case ASCII, or the abbreviation when set."""
    if abbreviation.strip():
        return _require(_ascii_alnum(abbreviation).lower(), abbreviation)
    return _require("".join(name_words(name)).lower(), name)


def province_slug(name: str, abbreviation: str = "") -> str:
    """Return a department's room slug, e.g. ``hanoi`` (Art. 3.2, Art. 18.1)."""
    return compact(name, abbreviation)


def district_slug(name: str, province: str, *, ambiguous: bool) -> str:
    """Return a district office's room slug, qualified by province when ambiguous (Art. 3.2)."""
    base = compact(name)
    return f"{base}-{_check_slug(province)}" if ambiguous else base


def school_slug(level: str, name: str, province: str, abbreviation: str = "") -> str:
    """Return a school's room slug, e.g. ``c3tranphu-hanoi`` (Art. 3.4a, Art. 4.5)."""
    code = _level(level, SCHOOL_LEVELS, "school")
    return f"{code.lower()}{compact(name, abbreviation)}-{_check_slug(province)}"


def centre_slug(level: str, name: str, province: str, abbreviation: str = "") -> str:
    """Return a centre's room slug, e.g. ``txbadinh-hanoi`` (Art. 3.4b, Art. 4.6)."""
    code = _level(level, CENTRE_LEVELS, "centre")
    return f"{code.lower()}{compact(name, abbreviation)}-{_check_slug(province)}"


def commune_slug(name: str, province: str) -> str:
    """Return a commune's room slug, always qualified by province since names repeat."""
    return f"{compact(name)}-{_check_slug(province)}"


def is_reserved(slug: str) -> bool:
    """Tell whether ``slug`` is a path the site uses for something other than a room."""
    return slug.strip().lower() in RESERVED_SLUGS


def unique_slug(candidate: str, taken: Container[str], *, qualifier: str = "") -> str:
    """Return the first free, unreserved slug: candidate, candidate-qualifier, then -2, -3..."""
    slug = _check_slug(candidate, "slug")
    if qualifier:
        _check_slug(qualifier, "qualifier")
    if _is_free(slug, taken):
        return slug
    if qualifier and slug != qualifier and not slug.endswith(f"-{qualifier}"):
        slug = f"{slug}-{qualifier}"
        if _is_free(slug, taken):
            return slug
    # Numbering the qualified form keeps the province visible: "badinh-hanoi-2".
    for number in range(2, _MAX_NUMBER):
        numbered = f"{slug}-{number}"
        if _is_free(numbered, taken):
            return numbered
    raise ValueError(f"No free slug left for {candidate!r} after {_MAX_NUMBER - 2} attempts.")


def ambiguous_names(pairs: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Return the district names that occur in more than one province (Art. 3.2)."""
    provinces: dict[str, set[str]] = {}
    for name, province in pairs:
        provinces.setdefault(name, set()).add(province)
    return frozenset(name for name, seen in provinces.items() if len(seen) > 1)


def department_mailbox(
    province_name: str, abbreviation: str = "", *, office: str = "Giamdoc"
) -> str:
    """Return a department office's mailbox, e.g. ``Giamdoc.SoHaNoi@moet.edu.vn`` (Art. 8.1)."""
    if office not in DEPARTMENT_OFFICES:
        raise ValueError(
            f"{office!r} is not a department office of C53 Art. 8.1; "
            f"expected one of {', '.join(DEPARTMENT_OFFICES)}."
        )
    if abbreviation.strip():
        # Art. 8.1 writes the abbreviation as customary: "SotpHCM", not "SoTphcm".
        name = _require(_ascii_alnum(abbreviation), abbreviation)
    else:
        name = _require("".join(w.capitalize() for w in name_words(province_name)), province_name)
    return f"{office}.So{name}@{MAILBOX_DOMAIN}"


def district_mailbox(district_name: str, province: str) -> str:
    """Return a district office's mailbox, e.g. ``pgdbadinh.hanoi@moet.edu.vn`` (Art. 8.2)."""
    return f"pgd{compact(district_name)}.{_check_slug(province)}@{MAILBOX_DOMAIN}"


def school_mailbox(level: str, name: str, province: str, abbreviation: str = "") -> str:
    """Return a school's mailbox, e.g. ``C3tranphu.hanoi@moet.edu.vn`` (Art. 8.3)."""
    code = _level(level, SCHOOL_LEVELS, "school")
    return f"{code}{compact(name, abbreviation)}.{_check_slug(province)}@{MAILBOX_DOMAIN}"


def centre_mailbox(level: str, name: str, province: str, abbreviation: str = "") -> str:
    """Return a centre's mailbox, e.g. ``TXbadinh.hanoi@moet.edu.vn`` (Art. 8.4)."""
    code = _level(level, CENTRE_LEVELS, "centre")
    return f"{code}{compact(name, abbreviation)}.{_check_slug(province)}@{MAILBOX_DOMAIN}"


def commune_mailbox(name: str, province: str) -> str:
    """Return a commune office's mailbox; C53 has none, so it follows Art. 8.2's pattern."""
    return f"pgd{compact(name)}.{_check_slug(province)}@{MAILBOX_DOMAIN}"


def _drop_prefixes(words: list[str]) -> list[str]:
    start = 0
    while size := _prefix_size(words, start):
        if not _has_letter(words[start + size :]):
            break  # dropping it would leave no name: "Quận 1", "Trường Tiểu học Thị Trấn"
        start += size
    return words[start:]


def _prefix_size(words: list[str], start: int) -> int:
    folded = tuple(word.casefold() for word in words[start:])
    for prefix in _PREFIXES:
        if folded[: len(prefix)] == prefix:
            return len(prefix)
    return 0


def _has_letter(words: list[str]) -> bool:
    return any(char.isalpha() for word in _ascii_words(words) for char in word)


def _ascii_words(words: list[str]) -> list[str]:
    return [part for word in words for part in _ASCII_WORD.findall(strip_diacritics(word))]


def _ascii_alnum(text: str) -> str:
    return "".join(_ASCII_WORD.findall(strip_diacritics(normalize(text))))


def _is_ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _is_free(slug: str, taken: Container[str]) -> bool:
    return slug not in taken and not is_reserved(slug)


def _require(slug: str, source: str) -> str:
    if mixes_look_alikes(normalize(source)):
        # "Trần Рhú" with a Cyrillic Р would silently become "tranhu".
        raise ValueError(
            f"{source!r} mixes Latin letters with look-alike Cyrillic or Greek ones; "
            "retype it in one alphabet."
        )
    if not slug:
        raise ValueError(
            f"{source!r} gives an empty name: it has no Latin letters or digits once "
            "prefixes and diacritics are removed; set an abbreviation."
        )
    return slug


def _check_slug(slug: str, what: str = "province slug") -> str:
    if not slug:
        raise ValueError(f"The {what} is empty; a name must give at least one letter or digit.")
    if not SLUG_PATTERN.fullmatch(slug):
        raise ValueError(
            f"{what.capitalize()} {slug!r} is not a slug: use lower-case ASCII letters and "
            "digits, optionally joined by single hyphens (e.g. 'hanoi')."
        )
    return slug


def _level(level: str, allowed: tuple[str, ...], kind: str) -> str:
    code = level.strip().upper()
    if code not in allowed:
        raise ValueError(
            f"{level!r} is not a {kind} level code of C53 Art. 3.4; "
            f"expected one of {', '.join(allowed)}."
        )
    return code
