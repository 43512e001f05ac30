"""Forms of the live-room page: a guest's name (and password), a room's live settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.hashers import check_password
from django.utils.translation import gettext_lazy as _

from rooms.domain.display_names import NameRefused, check_display_name
from signaling import conf
from signaling.domain.protocol.messages import MAX_NAME_CHARS
from signaling.domain.protocol.parser import ProtocolError, clean_text
from signaling.errors import SignalingError

MIXED_SCRIPTS_TEXT = _(
    "This name mixes Latin letters with Cyrillic or Greek ones that look the same. "
    "Write it in one alphabet."
)


class GuestJoinForm(forms.Form):
    """A guest's name as others will see it, and the guests' password when one is set."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=MAX_NAME_CHARS,
        help_text=_("Others in the meeting see this name, e.g. Nguyễn Văn An – THPT Trần Phú."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label=_("Meeting password"),
        required=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("The room's manager gives guests this password."),
    )

    def __init__(
        self,
        *args: Any,
        password_hash: str = "",
        password_try: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        """``password_try`` spends a try (or refuses) before the password is hashed."""
        super().__init__(*args, **kwargs)
        self.password_hash = password_hash
        self.password_try = password_try
        self.locked = False
        if not password_hash:
            del self.fields["password"]

    def clean_name(self) -> str:
        try:
            name = clean_text(self.cleaned_data["name"], name="name", limit=MAX_NAME_CHARS)
        except ProtocolError:
            raise forms.ValidationError(_("Write your name.")) from None
        try:
            return check_display_name(name)  # look-alike letters would pass for a host's name
        except NameRefused:
            raise forms.ValidationError(MIXED_SCRIPTS_TEXT) from None

    def clean_password(self) -> str:
        password = str(self.cleaned_data.get("password", ""))
        if not self.password_hash:
            return password
        if self.password_try is not None:
            try:
                self.password_try()
            except SignalingError as refused:  # no hash computed for this try
                self.locked = True
                raise forms.ValidationError(refused.message) from None
        if not check_password(password, self.password_hash):
            raise forms.ValidationError(_("The password is not right."))
        return password


class LiveSettingsForm(forms.Form):
    """What a room's manager decides about guests."""

    lobby_enabled = forms.BooleanField(
        label=_("Guests wait in the lobby until a host lets them in"), required=False
    )
    guest_password = forms.CharField(
        label=_("New password for guests"),
        required=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current one."),
    )
    clear_password = forms.BooleanField(label=_("Guests need no password"), required=False)

    def clean_guest_password(self) -> str:
        password = str(self.cleaned_data.get("guest_password") or "")
        shortest = conf.guest_password_min_chars()
        if password and len(password) < shortest:
            raise forms.ValidationError(
                _(
                    "The guests' password needs at least %(count)s characters, "
                    "so that it cannot be guessed."
                )
                % {"count": shortest}
            )
        return password
