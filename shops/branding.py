"""Colour arithmetic for branding: WCAG 2.x contrast, and a readable text colour for any fill.

Pure functions of ``#RRGGBB`` strings, remembered: every email and page of a shop asks the same few.
"""

from functools import lru_cache

WCAG_AA_NORMAL_TEXT = 4.5
WHITE = "#FFFFFF"
BLACK = "#111111"


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#RRGGBB``."""
    red, green, blue = (int(hex_colour[index : index + 2], 16) for index in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


@lru_cache(maxsize=1024)
def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio between two ``#RRGGBB`` colours, from 1.0 to 21.0."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@lru_cache(maxsize=1024)
def readable_text_on(fill: str) -> str:
    """White or near-black, whichever contrasts more with ``fill``."""
    return WHITE if contrast_ratio(fill, WHITE) >= contrast_ratio(fill, BLACK) else BLACK


def contrast_warnings(*, primary: str, accent: str, background: str, text: str) -> list[str]:
    """Human-readable warnings for brand colour pairs that fail WCAG AA for normal text."""
    pairs = [
        ("Text colour on the background colour", text, background),
        ("Primary colour (links, headings) on the background colour", primary, background),
    ]
    warnings = []
    for label, foreground, fill in pairs:
        ratio = contrast_ratio(foreground, fill)
        if ratio < WCAG_AA_NORMAL_TEXT:
            warnings.append(
                f"{label} has a contrast of {ratio:.2f}:1, below the WCAG AA minimum of 4.5:1; "
                "the page uses a readable colour instead where text would be hard to read."
            )
    # Buttons put text on the primary and accent colours; we pick that text colour automatically.
    del accent
    return warnings
