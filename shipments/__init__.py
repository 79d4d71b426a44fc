"""Orders, shipments, tracking events and status changes; polling and applying carrier results."""
