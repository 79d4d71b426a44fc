"""The heartbeats ``manage.py doctor`` reads: when beat last ticked, when each queue's worker last took a task."""

from django.db import models


class Heartbeat(models.Model):
    """The last moment one part of the system was seen working (``beat``, ``queue:<name>``); one row per part."""

    name = models.CharField(max_length=64, unique=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
