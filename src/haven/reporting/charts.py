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
# Each label has a line of its own above its bar: beside it, a label longer than a
# phone's share of the width ran over the bar, dark on blue, and over the figure.
LABEL_HEIGHT = 18
ROW_HEIGHT = LABEL_HEIGHT + BAR_HEIGHT + GAP
VALUE_ROOM = 20  # percent of the width kept right of the longest bar for its figure


@dataclass(frozen=True)
class Bar:
    label: str
    shown: Shown
    y: int
    # Percent of the width left for bars; 0 for a withheld figure.
    width: float

    @property
    def label_y(self) -> int:
        return self.y + LABEL_HEIGHT - 5

    @property
    def bar_y(self) -> int:
        return self.y + LABEL_HEIGHT

    @property
    def text_y(self) -> int:
        return self.bar_y + BAR_HEIGHT - 6

    @property
    def value_x(self) -> str:
        return f"{self.width + 1:.1f}%"

    @property
    def width_percent(self) -> str:
        return f"{self.width:.1f}%"


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    height: int


def bar_chart(title: str, items: Sequence[tuple[str, Shown]]) -> Chart:
    """A horizontal bar per item; withheld figures get no bar, only the word."""
    largest = max(
        (shown.value for _label, shown in items if shown.value is not None and shown.value > 0),
        default=Decimal(0),
    )
    room = 100 - VALUE_ROOM
    bars = []
    for index, (label, shown) in enumerate(items):
        value = shown.value if shown.value is not None and shown.value > 0 else Decimal(0)
        width = float(value / largest * room) if largest else 0.0
        bars.append(Bar(label=label, shown=shown, y=index * ROW_HEIGHT, width=width))
    return Chart(title=title, bars=bars, height=max(1, len(bars)) * ROW_HEIGHT)
