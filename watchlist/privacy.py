"""Personal data of incidents: support's free-text notes may name the customer; the incident itself stays."""

from shops.privacy import PersonalData, register
from watchlist.models import Incident

register(PersonalData(model=Incident, order_path="shipment__order", scrub=("notes", "resolution_note")))
