from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shipments", "0004_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipment",
            name="first_eta_from",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="shipment",
            name="first_eta_to",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
