"""Bar charts drawn on the server as SVG, so they need no script and no inline style (the
Content Security Policy allows neither). Each chart is drawn next to its table, which
says the same thing for screen readers and for anyone who would rather read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from haven.reporting.report import Shown

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 40  # percent of the chart's width given to labels


@dataclass(frozen=True)
class Bar:
    label: str
    shown: Shown
    y: int
    # Percent of the width left for bars; 0 for a withheld figure.
    width: float

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 6

    @property
    def value_x(self) -> str:
        return f"{LABEL_WIDTH + self.width + 1:.1f}%"

    @property
    def width_percent(self) -> str:
        return f"{self.width:.1f}%"


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    height: int
    label_width: int = LABEL_WIDTH

    @property
    def bar_x(self) -> str:
        return f"{self.label_width}%"


def bar_chart(title: str, items: Sequence[tuple[str, Shown]]) -> Chart:
    """A horizontal bar per item; withheld figures get no bar, only the word."""
    largest = max(
        (shown.value for _label, shown in items if shown.value is not None and shown.value > 0),
        default=Decimal(0),
    )
    room = 100 - LABEL_WIDTH - 12
    bars = []
    for index, (label, shown) in enumerate(items):
        value = shown.value if shown.value is not None and shown.value > 0 else Decimal(0)
        width = float(value / largest * room) if largest else 0.0
        bars.append(Bar(label=label, shown=shown, y=index * (BAR_HEIGHT + GAP), width=width))
    return Chart(title=title, bars=bars, height=max(1, len(bars)) * (BAR_HEIGHT + GAP))
