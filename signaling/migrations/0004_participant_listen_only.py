from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("signaling", "0003_participant_link"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="listen_only",
            field=models.BooleanField(default=False),
        ),
    ]
