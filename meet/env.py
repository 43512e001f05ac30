"""Small readers for environment variables (no Django import: settings use them)."""

from __future__ import annotations

import json
import os

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    """Read a yes/no variable; anything unrecognised is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_list(name: str, *, default: list[str]) -> list[str]:
    """Read a comma-separated list; empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_rates(name: str) -> dict[str, tuple[float, int]]:
    """Read ``bucket=every/burst,...`` (one try every ``every`` seconds, ``burst`` at once).

    ``MEET_LIVE_ABUSE_RATES="join_address=0.05/1200,chat_user=0.5/20"`` widens two buckets
    and leaves the others at their defaults; unset or empty gives ``{}``.
    """
    rates: dict[str, tuple[float, int]] = {}
    for item in env_list(name, default=[]):
        bucket, sep, value = item.partition("=")
        every, slash, burst = value.partition("/")
        try:
            if not (sep and slash and bucket.strip()):
                raise ValueError
            rates[bucket.strip()] = (float(every), int(burst))
        except ValueError:
            raise ValueError(
                f"{name}: write each limit as bucket=every_secs/burst, e.g. join_address=0.1/600;"
                f" got {item!r}."
            ) from None
    return rates


# Providers allauth knows by these names; any other standard provider is "openid_connect".
SIGNIN_PROVIDER_KINDS = ("openid_connect", "microsoft", "google")


def env_signin_providers(name: str) -> dict[str, dict[str, object]]:
    """Read the deployment's sign-in providers (a JSON list) as allauth's PROVIDERS setting.

    Each item: ``{"provider": "microsoft" | "google" | "openid_connect", "id": "...",
    "name": "...", "client_id": "...", "secret": "...", "server_url": "..." (OIDC),
    "tenant": "..." (Microsoft), "domains": ["hanoi.edu.vn"], "domains_verified": false}``.
    Every provider uses PKCE. Unset or empty: no provider, only passwords.
    """
    raw = os.environ.get(name, "").strip()
    providers: dict[str, dict[str, object]] = {
        kind: {"OAUTH_PKCE_ENABLED": True, "APPS": []} for kind in SIGNIN_PROVIDER_KINDS
    }
    if not raw:
        return providers
    try:
        items = json.loads(raw)
        if not isinstance(items, list):
            raise ValueError
        for item in items:
            kind = item.get("provider", "openid_connect")
            if kind not in SIGNIN_PROVIDER_KINDS or not item.get("client_id"):
                raise ValueError
            apps = providers[kind]["APPS"]
            assert isinstance(apps, list)
            apps.append(_signin_app(kind, item))
    except (ValueError, TypeError, AttributeError, KeyError):
        raise ValueError(
            f"{name} must be a JSON list of providers, each with a provider "
            f"({', '.join(SIGNIN_PROVIDER_KINDS)}) and a client_id; see docs/signin.md."
        ) from None
    return providers


def _signin_app(kind: str, item: dict[str, object]) -> dict[str, object]:
    domains = item.get("domains") or []
    if not isinstance(domains, list):
        raise ValueError
    app_settings: dict[str, object] = {
        "allowed_domains": [str(domain) for domain in domains],
        "domains_verified": bool(item.get("domains_verified", False)),
    }
    if kind == "openid_connect":
        app_settings["server_url"] = str(item["server_url"])
    if kind == "microsoft" and item.get("tenant"):
        app_settings["tenant"] = str(item["tenant"])
    return {
        "provider_id": str(item.get("id") or kind),
        "name": str(item.get("name") or kind),
        "client_id": str(item["client_id"]),
        "secret": str(item.get("secret", "")),
        "settings": app_settings,
    }
