"""Reading this process's Prometheus samples in tests (counters only ever grow: tests compare before/after)."""

from prometheus_client import REGISTRY


def sample(name: str, **labels: str) -> float:
    """The current value of the sample ``name`` with exactly ``labels`` (0 when never recorded)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
