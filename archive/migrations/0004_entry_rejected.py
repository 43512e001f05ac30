"""Archive entries may be rejected by an editor (issue 10): a choice, no schema change."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("streaming", "0003_search_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="archiveentry",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting for approval"),
                    ("published", "Published"),
                    ("unpublished", "Unpublished"),
                    ("rejected", "Rejected"),
                ],
                default="pending",
                max_length=12,
                verbose_name="status",
            ),
        ),
    ]
