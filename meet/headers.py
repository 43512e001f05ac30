"""Per-page security headers: Content-Security-Policy and Permissions-Policy.

The site-wide CSP is ``CONTENT_SECURITY_POLICY`` in settings (django-csp). Two things
depend on the page, so they are decided here, in one place, by the URL's name:
- the portal's embeddable player is the one page other sites may frame;
- only the pages that use the camera and microphone (the live room with its pre-join,
  the self-test) get them from Permissions-Policy; every other page denies them.

Permissions-Policy is a small middleware of our own rather than django-permissions-policy:
that package sets one site-wide header, and the whole point here is the per-page answer.
"""

from __future__ import annotations

from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase

# URL names (namespace:name) of the pages that may be framed by any site.
FRAMEABLE_PAGES = frozenset({"portal:embed"})
# URL names of the pages that use cameras, microphones and screen sharing. /<slug>/live/
# ("live-or-watch") is the watch page during a broadcast: meet/views_live.py marks the
# response when it is the live room instead (allow_devices).
DEVICE_PAGES = frozenset({"signaling:live", "rooms:selftest"})
DEVICES_ATTRIBUTE = "meet_uses_devices"

# What no page of meet uses: denied everywhere.
DENIED_FEATURES = (
    "accelerometer",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "midi",
    "payment",
    "publickey-credentials-get",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
# Players everywhere: video may autoplay muted, go full screen or picture-in-picture.
PLAYER_FEATURES = ("autoplay", "fullscreen", "picture-in-picture")
DEVICE_FEATURES = ("camera", "microphone", "display-capture")


def _url_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else ""


def allow_devices(response: HttpResponseBase) -> HttpResponseBase:
    """Mark a response as a page that uses the camera, microphone and screen."""
    setattr(response, DEVICES_ATTRIBUTE, True)
    return response


def uses_devices(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Whether this page may ask for the camera, microphone and screen (only the page
    itself: its redirects and refusals get what every other answer gets)."""
    if response.status_code != 200:
        return False
    return bool(getattr(response, DEVICES_ATTRIBUTE, False)) or (_url_name(request) in DEVICE_PAGES)


def permissions_policy(*, devices: bool) -> str:
    """The Permissions-Policy header's value for a page with or without devices."""
    rules = [f"{feature}=()" for feature in DENIED_FEATURES]
    rules += [f"{feature}=(self)" for feature in PLAYER_FEATURES]
    allowed = "(self)" if devices else "()"
    rules += [f"{feature}={allowed}" for feature in DEVICE_FEATURES]
    return ", ".join(sorted(rules))


class PermissionsPolicyMiddleware:
    """Sets Permissions-Policy on every response: devices only where a room needs them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if "Permissions-Policy" not in response:
            devices = uses_devices(request, response)
            response["Permissions-Policy"] = permissions_policy(devices=devices)
        return response


class PagePolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, plus the page's own WebSocket origin and the one page
    that may be framed."""

    def get_policy_parts(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        report_only: bool = False,
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update = dict(parts.update or {})
        try:
            host = request.get_host()
        except DisallowedHost:
            host = ""
        if host:
            # CSP3 browsers match 'self' to ws:/wss: of the same host; older ones need it named.
            update["connect-src"] = [f"ws://{host}", f"wss://{host}"]
        parts.update = update
        if _url_name(request) in FRAMEABLE_PAGES:
            parts.replace = {**(parts.replace or {}), "frame-ancestors": ["*"]}
        return parts
