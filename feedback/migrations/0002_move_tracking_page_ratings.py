"""Every 1-5 rating the tracking page stored (tracking_portal.DeliveryFeedback) becomes a CSAT response.

Score, comment and times are kept; the carrier is the order's first delivered outbound parcel's. The
responses count as already announced, so history sends no webhooks or alerts. Reversible: the CSAT
responses that came from here go back to the old table (tracking_portal's next migration drops it).
"""

from django.db import migrations


def _segment(score):
    return "promoter" if score == 5 else "passive" if score == 4 else "detractor"


def forwards(apps, schema_editor):
    DeliveryFeedback = apps.get_model("tracking_portal", "DeliveryFeedback")
    FeedbackResponse = apps.get_model("feedback", "FeedbackResponse")
    Shipment = apps.get_model("shipments", "Shipment")
    for old in DeliveryFeedback.objects.order_by("pk").iterator():
        parcels = Shipment.objects.filter(order_id=old.order_id, direction="outbound").order_by("pk")
        carrier = (
            parcels.filter(status="delivered").values_list("carrier", flat=True).first()
            or parcels.values_list("carrier", flat=True).first()
            or ""
        )
        FeedbackResponse.objects.update_or_create(
            order_id=old.order_id,
            defaults={
                "shop_id": old.shop_id,
                "scale": "csat",
                "score": old.rating,
                "segment": _segment(old.rating),
                "comment": old.comment,
                "carrier": carrier,
                "source": "migrated",
                "created_at": old.created_at,
                "updated_at": old.updated_at,
                "revision": 1,
                "announced_revision": 1,
            },
        )


def backwards(apps, schema_editor):
    DeliveryFeedback = apps.get_model("tracking_portal", "DeliveryFeedback")
    FeedbackResponse = apps.get_model("feedback", "FeedbackResponse")
    migrated = FeedbackResponse.objects.filter(source="migrated", scale="csat")
    for response in migrated.iterator():
        DeliveryFeedback.objects.update_or_create(
            order_id=response.order_id,
            defaults={"shop_id": response.shop_id, "rating": response.score, "comment": response.comment[:1000]},
        )
        # auto_now fields: the times go back by an update, as create() would stamp them now.
        DeliveryFeedback.objects.filter(order_id=response.order_id).update(
            created_at=response.created_at, updated_at=response.updated_at
        )
    migrated.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0001_feedback_responses"),
        ("tracking_portal", "0001_initial"),
        ("shipments", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
