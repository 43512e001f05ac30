"""A unit's private feed belongs to the officer it was issued to (issue 10, row 7)."""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def revoke_unowned_unit_feeds(apps: Any, schema_editor: Any) -> None:
    # Nobody knows who holds these addresses: they stop; the agenda issues new ones.
    feeds = apps.get_model("scheduling", "FeedToken")
    feeds.objects.filter(unit__isnull=False, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0006_meetingreply_personinvitation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="feedtoken",
            name="issued_to",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(revoke_unowned_unit_feeds, migrations.RunPython.noop),
    ]
