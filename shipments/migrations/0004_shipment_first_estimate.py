from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shipments", "0003_index_open_parcels_by_eta"),
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
