"""`python -m carriers.simulator [--host H] [--port P] [--speed S] [--latency SECONDS]`."""

import argparse
import contextlib
import logging

from carriers.simulator.core import serve


def main() -> None:
    """Parse the command line and serve until Ctrl+C."""
    parser = argparse.ArgumentParser(prog="python -m carriers.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: loopback)")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--speed", type=float, default=720.0, help="time compression (720: 1 h passes in 5 s)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        serve(arguments.host, arguments.port, speed=arguments.speed, latency=arguments.latency)


if __name__ == "__main__":
    main()
