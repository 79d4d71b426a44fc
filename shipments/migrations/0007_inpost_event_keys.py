"""InPost events are keyed by instant and status only (a push and a poll of one scan are one event).

Events stored before that carried a key that also hashed the text and the place, so their next poll would
store each scan a second time. Re-key them, and drop the later copy where a push and a poll already
stored the same scan twice.
"""

from django.db import migrations

from carriers.types import event_dedupe_key

CARRIER = "inpost"


def rekey_inpost_events(apps, schema_editor):
    TrackingEvent = apps.get_model("shipments", "TrackingEvent")
    rows = (
        TrackingEvent.objects.filter(shipment__carrier=CARRIER)
        .order_by("shipment_id", "occurred_at", "pk")
        .values_list("pk", "shipment_id", "occurred_at", "raw_code", "dedupe_key")
    )
    seen: set[tuple[int, str]] = set()
    duplicates, rekeyed = [], []
    for pk, shipment_id, occurred_at, raw_code, old_key in rows.iterator(chunk_size=2000):
        key = event_dedupe_key(occurred_at, raw_code)
        if (shipment_id, key) in seen:
            duplicates.append(pk)
            continue
        seen.add((shipment_id, key))
        if key != old_key:
            rekeyed.append(TrackingEvent(pk=pk, dedupe_key=key))
    TrackingEvent.objects.filter(pk__in=duplicates).delete()
    TrackingEvent.objects.bulk_update(rekeyed, ["dedupe_key"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("shipments", "0006_lane_stats")]

    operations = [migrations.RunPython(rekey_inpost_events, migrations.RunPython.noop, elidable=True)]
