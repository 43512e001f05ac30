"""E-mail domains: which addresses a provider or a province accepts."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s,;]+")


def normalise_email(address: str) -> str:
    """NFC, trimmed, lower-cased: the form addresses are compared in."""
    return unicodedata.normalize("NFC", address).strip().lower()


def email_domain(address: str) -> str:
    """The part after the last ``@`` (``""`` when there is none)."""
    local, at, domain = normalise_email(address).rpartition("@")
    return domain if at and local else ""


def parse_domains(text: str) -> tuple[str, ...]:
    """Domains written one per line or separated by commas; a leading ``@`` is dropped."""
    seen: dict[str, None] = {}
    for item in _SEPARATORS.split(normalise_email(text)):
        domain = item.lstrip("@").strip(".")
        if domain:
            seen[domain] = None
    return tuple(seen)


def domain_allowed(address: str, domains: tuple[str, ...]) -> bool:
    """True when no domain is required, or the address is at one of them or a subdomain."""
    if not domains:
        return True
    domain = email_domain(address)
    return bool(domain) and any(domain == d or domain.endswith(f".{d}") for d in domains)
