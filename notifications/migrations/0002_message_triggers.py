"""Messages for any trigger: key by (trigger kind, trigger id, channel, campaign) instead of (status change, campaign).

Existing rows are status-change emails: kind "status_change", trigger id = their status change, channel email.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F, Q


def status_change_triggers(apps, schema_editor):
    Message = apps.get_model("notifications", "Message")
    Message.objects.update(trigger_kind="status_change", trigger_id=F("status_change_id"), template="status")


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("shipments", "0002_polling"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="trigger_kind",
            field=models.CharField(default="status_change", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="message",
            name="trigger_id",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="channel",
            field=models.CharField(choices=[("email", "Email"), ("sms", "SMS")], default="email", max_length=8),
        ),
        migrations.AddField(
            model_name="message",
            name="template",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="message",
            name="context",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(status_change_triggers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="message",
            name="trigger_id",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AlterField(
            model_name="message",
            name="status_change",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="shipments.statuschange",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="shipment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="shipments.shipment",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="to_status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("pending", "Pending"),
                    ("info_received", "Info received"),
                    ("in_transit", "In transit"),
                    ("out_for_delivery", "Out for delivery"),
                    ("available_for_pickup", "Available for pickup"),
                    ("failed_attempt", "Failed attempt"),
                    ("exception", "Exception"),
                    ("delivered", "Delivered"),
                    ("returning_to_sender", "Returning to sender"),
                    ("returned_to_sender", "Returned to sender"),
                    ("cancelled", "Cancelled"),
                    ("expired", "Expired"),
                ],
                max_length=24,
            ),
        ),
        migrations.RemoveConstraint(model_name="message", name="message_once_per_change"),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(
                fields=("trigger_kind", "trigger_id", "channel", "campaign_key"), name="message_once_per_trigger"
            ),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.CheckConstraint(
                condition=Q(trigger_kind="status_change", status_change=F("trigger_id"))
                | (~Q(trigger_kind="status_change") & Q(status_change__isnull=True)),
                name="message_status_change_is_trigger",
            ),
        ),
    ]
