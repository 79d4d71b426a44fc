"""``manage.py run_demo``: web, Celery worker and beat, a fake carrier and a fake BaseLinker, with a demo shop.

The fake carrier (``carriers.simulator``) serves every carrier's real API shape on loopback, so the
demo exercises the real adapters, polling, status changes and emails. The fake BaseLinker (its own
process, ``manage.py baselinker_demo``) sends the shop a new order every few seconds through the
real connector. Ctrl-C stops everything.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from carriers.registry import carrier_codes
from carriers.simulator import make_simulator_server
from demo.catalog import DEMO_MARKETER, DEMO_OWNER, DEMO_SUPPORT, OTHER_OWNER
from demo.history import demo_history_seed
from demo.services import demo_seed
from shipments.links import order_tracking_url


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Command(BaseCommand):
    help = "Run the whole product on embedded defaults: web, worker, beat, fake carrier and BaseLinker, demo shop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--speed", type=float, default=720.0, help="How much faster than real life parcels move (default 720x)"
        )
        parser.add_argument("--keep", action="store_true", help="Keep existing demo data instead of reseeding")

    def handle(self, *args: object, **options: object) -> None:
        host, port, speed = str(options["host"]), int(options["port"]), float(options["speed"])  # type: ignore[arg-type]
        if speed <= 0:
            raise CommandError("--speed must be positive")
        base_url = f"http://{host}:{port}"
        log_dir = Path(settings.VAR_DIR) / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        if str(settings.CELERY_BROKER_URL).startswith("filesystem"):
            # Messages left by an earlier run point at rows the reseed has replaced.
            shutil.rmtree(Path(settings.VAR_DIR) / "celery" / "queue", ignore_errors=True)
            (Path(settings.VAR_DIR) / "celery" / "queue").mkdir(parents=True, exist_ok=True)

        public_base_url = os.environ.get("PUBLIC_BASE_URL", base_url)
        seeded = demo_seed(reset=not options["keep"], public_base_url=public_base_url)
        if not options["keep"]:
            demo_history_seed(shop=seeded.shop, now=timezone.now())

        carrier_server = make_simulator_server("127.0.0.1", 0, speed=speed)
        threading.Thread(target=carrier_server.serve_forever, daemon=True).start()
        carrier_url = f"http://127.0.0.1:{carrier_server.server_port}"

        env = dict(os.environ)
        env.update({f"CARRIER_{code.upper()}_BASE_URL": f"{carrier_url}/{code}" for code in carrier_codes()})
        env.update({f"CARRIER_{code.upper()}_API_KEY": "demo" for code in carrier_codes()})
        env["CARRIER_INPOST_RETURNS_BASE_URL"] = f"{carrier_url}/inpost_returns"
        env["PUBLIC_BASE_URL"] = public_base_url
        baselinker_port = _free_port()
        env["BASELINKER_API_URL"] = f"http://127.0.0.1:{baselinker_port}/connector.php"
        env["INTEGRATIONS_SYNC_SECONDS"] = "10"
        # Polling intervals shrink with the journeys, and the dispatcher ticks often enough to follow them.
        env["POLLING_TIME_SCALE"] = str(1 / speed)
        env["POLL_DISPATCH_SECONDS"] = "5"
        env["PYTHONUNBUFFERED"] = "1"
        # Web, worker and beat each write their metrics here and /metrics adds them up; emptied while none runs.
        metrics_dir = Path(settings.VAR_DIR) / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        celery = [sys.executable, "-m", "celery", "-A", "config"]
        commands = {
            "web": [*manage, "runserver", f"{host}:{port}", "--noreload"],
            "worker": [*celery, "worker", "-Q", "carriers,emails,campaigns,default", "-c", "2", "-l", "INFO"],
            "beat": [*celery, "beat", "-l", "INFO", "-s", str(Path(settings.VAR_DIR) / "celerybeat-schedule")],
            "baselinker": [*manage, "baselinker_demo", "--shop", seeded.shop.slug, "--port", str(baselinker_port)],
        }
        processes: dict[str, subprocess.Popen] = {}
        # Ctrl-C in a terminal, or SIGTERM from a supervisor or `kill`: stop everything the same way.
        # (Set explicitly: a shell that starts us in the background leaves SIGINT ignored.)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _interrupt)
        try:
            for name, command in commands.items():
                log = (log_dir / f"{name}.log").open("a")
                processes[name] = subprocess.Popen(  # noqa: S603 - our own fixed commands
                    command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
                )
            self._wait_for_web(base_url, processes["web"])
            self._banner(base_url, seeded, log_dir)
            while all(process.poll() is None for process in processes.values()):
                time.sleep(1)
            dead = [name for name, process in processes.items() if process.poll() is not None]
            raise CommandError(f"{', '.join(dead)} stopped unexpectedly; see {log_dir}")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            self._stop(processes)
            carrier_server.shutdown()
        self.stdout.write("Stopped.")

    def _wait_for_web(self, base_url: str, web: subprocess.Popen) -> None:
        for _ in range(120):
            if web.poll() is not None:
                raise CommandError("the web server did not start; see var/log/web.log")
            try:
                httpx.get(f"{base_url}/admin/login/", timeout=1.0)
                return
            except httpx.HTTPError:
                time.sleep(0.5)
        raise CommandError("the web server did not answer within a minute; see var/log/web.log")

    def _stop(self, processes: dict[str, subprocess.Popen]) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()

    def _banner(self, base_url: str, seeded, log_dir: Path) -> None:  # type: ignore[no-untyped-def]
        write = self.stdout.write
        write("")
        write(self.style.SUCCESS(f"Parcelfront demo is running: open {base_url}/admin/"))
        write(f"  Shop owner login:  {DEMO_OWNER[0]} / {DEMO_OWNER[1]}")
        write(f"  Marketer / support: {DEMO_MARKETER[0]}, {DEMO_SUPPORT[0]} (same password)")
        write(f"  Another shop's owner (cannot see the demo shop): {OTHER_OWNER[0]} (same password)")
        write(f"  Emails sent so far: {base_url}/admin/notifications/")
        write("  Tracking pages (parcels move every few seconds; reload to watch):")
        for order in seeded.orders[:6]:
            write(f"    {order_tracking_url(order, base_url=base_url)}   order {order.number}, {order.customer_name}")
        write(f"  Orders arriving from a fake BaseLinker: {base_url}/admin/integrations/shopconnection/")
        write(f"  Lookup form: {base_url}/{seeded.shop.slug}/track   (order number + customer email)")
        write(f"  Operations: {base_url}/readyz, {base_url}/metrics (polls, messages, backlog), ./dev manage doctor")
        write(f"  Logs: {log_dir}/web.log, worker.log, beat.log.   Ctrl-C stops everything.")
