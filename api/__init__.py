"""REST API for shops (ingestion and reads) and signed outgoing webhooks."""
