"""A dashboard tile: one figure and the list behind it."""

from dataclasses import dataclass

NO_FIGURE = "\u2013"  # an en dash: no figure yet


@dataclass(frozen=True)
class Tile:
    """One figure on the dashboard and the list behind it."""

    title: str
    value: str
    detail: str
    url: str
    tone: str = ""  # "", "good" or "bad"
