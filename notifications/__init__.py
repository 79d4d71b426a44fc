"""Status change -> message (outbox) -> render -> send through django-anymail -> ESP events."""
