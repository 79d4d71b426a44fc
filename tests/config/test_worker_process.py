"""A Celery worker child puts what it inherited out of the garbage collector's reach when it starts."""

import gc

from celery import signals


def test_a_worker_child_freezes_its_inherited_heap():
    # given a process whose objects are all in the collector's generations
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    inherited = type("Inherited", (), {})()
    try:
        # when Celery reports the worker child started
        signals.worker_process_init.send(sender=None)

        # then what it had is frozen, and what it allocates afterwards is collected as usual
        assert gc.get_freeze_count() > 0
        assert not any(item is inherited for item in gc.get_objects())
        later = type("Later", (), {})()
        assert any(item is later for item in gc.get_objects())
    finally:
        gc.unfreeze()
