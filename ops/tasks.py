"""Celery tasks of the ops app."""

from celery import shared_task

from ops.heartbeats import heartbeat_record, queue_heartbeat_name


@shared_task(name="ops.heartbeat")
def heartbeat(queue: str) -> None:
    """A worker consuming ``queue`` took this task (beat sends one to every queue): record it."""
    heartbeat_record(name=queue_heartbeat_name(queue))
