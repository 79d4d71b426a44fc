"""The README's first command end to end: the embedded demo serves, parcels move, and SIGTERM stops it all."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children_of(pid: int) -> list[int]:
    result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in result.stdout.split()]


def _total(exposition: str, name: str) -> float:
    """The sum of every sample of ``name`` (all label sets) in a Prometheus text exposition."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in exposition.splitlines() if line.startswith(f"{name}{{"))


@pytest.mark.slow
def test_demo_runs_embedded_moves_parcels_and_stops_cleanly(tmp_path):
    # Given a fresh var dir and nothing in the environment pointing at real services
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE", "REDIS", "CELERY", "PYTEST"))}
    env.update({"PARCELFRONT_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"})
    port = _free_port()
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
    demo = subprocess.Popen(
        [*manage, "run_demo", "--port", str(port), "--speed", "1440"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # When it has started
        banner = []
        for line in demo.stdout:
            banner.append(line)
            if "Ctrl-C stops everything" in line:
                break
        text = "".join(banner)
        # Then it prints the admin URL, the login and tracking pages that answer
        assert f"http://127.0.0.1:{port}/admin/" in text
        assert "demo@parcelfront.test / parcelfront-demo" in text
        page_url = next(word for word in text.split() if "/t/" in word)
        assert httpx.get(page_url, timeout=10).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/admin/login/", timeout=10).status_code == 200
        children = _children_of(demo.pid)
        assert len(children) == 4  # web, worker, beat, fake BaseLinker

        # And parcels move through their journeys: carrier events arrive and emails are stored
        probe = (
            "import django; django.setup(); from shipments.models import TrackingEvent, Shipment; "
            "from notifications.models import Message; "
            "from integrations.models import PlatformOrder; "
            "print(TrackingEvent.objects.count(), Shipment.objects.exclude(status='pending').count(), "
            "Message.objects.filter(status='sent').count(), PlatformOrder.objects.count())"
        )
        deadline = time.monotonic() + 120
        events = moved = sent = imported = 0
        while time.monotonic() < deadline and not (moved and sent and imported):
            time.sleep(3)
            out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
            events, moved, sent, imported = (int(value) for value in out.stdout.split()[-4:])
        assert events > 0
        assert moved > 0
        assert sent > 0

        # And the operator sees it: ready, and the worker processes' polls and sends added up on /metrics
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
        assert _total(metrics, "parcelfront_carrier_polls_total") > 0
        assert _total(metrics, "parcelfront_messages_total") > 0
        assert imported > 0  # orders arrived by themselves from the fake BaseLinker
    finally:
        # When it is told to stop (SIGTERM, as a supervisor would; Ctrl-C takes the same path)
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)
    # Then every child is gone too
    time.sleep(1)
    assert demo.returncode == 0
    assert all(not Path(f"/proc/{child}").exists() for child in children)
