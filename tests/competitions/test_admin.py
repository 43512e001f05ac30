"""The competitions in Django's admin: every list opens, and the audit log is read only."""

from __future__ import annotations

from typing import cast

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from competitions.models import Competition
from tests.clients import signed_in
from tests.competitions.conftest import World
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MODELS = ("competition", "contestant", "juror", "slot", "scoresheet", "reopening")


def test_every_list_opens_and_nobody_writes_the_audit_log(
    world: World, competition: Competition
) -> None:
    admin = signed_in(cast(User, UserFactory(username="qt", is_staff=True, is_superuser=True)))
    for model in MODELS:
        assert admin.get(reverse(f"admin:competitions_{model}_changelist")).status_code == 200
    page = admin.get(reverse("admin:competitions_competition_change", args=[competition.pk]))
    assert page.status_code == 200 and "Chuẩn bị bài dạy" in page.text
    assert admin.get(reverse("admin:competitions_reopening_add")).status_code == 403
    assert signed_in(world.organiser).get(reverse("admin:index")).status_code == 302
