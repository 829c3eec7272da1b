"""Bar charts drawn on the server as SVG: no script, no third-party host, nothing the CSP has to allow.

Each chart is an image with a title and a description (``role="img"``, ``aria-labelledby``) and the page puts
the same numbers in a table beside it, so nobody depends on seeing the picture. Colours are SVG presentation
attributes (not ``style``), which a strict ``style-src`` permits, and reach 4.5:1 against white.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_COLOURS = ("#0059b3", "#a0001a")  # first and second series: dark blue, dark red
TEXT_COLOUR = "#1a1a1a"
HIDDEN_COLOUR = "#5c6f82"
LABEL_CHARACTERS = 30  # about what fits in the 222 px left of the bars at 13 px
LINE_HEIGHT = 15


@dataclass(frozen=True)
class Bar:
    """One row of a chart: its label and one value per series (None: hidden, drawn as its ``notes``)."""

    label: str
    values: tuple[int | None, ...]
    notes: tuple[str, ...]


def horizontal_bars(
    chart_id: str, title: str, description: str, bars: list[Bar], series: tuple[str, ...], width: int = 640
) -> Markup:
    """A horizontal bar chart, one group of bars per row, with a legend when there are several series."""
    label_width, bar_height, top = 230, 12, 28 if len(series) > 1 else 8
    plot_width = width - label_width - 60
    largest = max([value for bar in bars for value in bar.values if value is not None] or [1]) or 1
    # Labels are never cut: a long one wraps onto as many lines as it needs, and its row grows to fit.
    labels = [wrap(bar.label, LABEL_CHARACTERS) for bar in bars]
    heights = [12 + max(14 * len(series), LINE_HEIGHT * len(lines)) for lines in labels]
    offsets = [top + sum(heights[:row]) for row in range(len(bars))]
    height = top + sum(heights) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wp-chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    if len(series) > 1:
        x = label_width
        for index, name in enumerate(series):
            parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{BAR_COLOURS[index % 2]}"/>')
            parts.append(
                f'<text x="{x + 18}" y="16" font-size="13" fill="{TEXT_COLOUR}">{escape(name)}</text>'
            )
            x += 30 + 8 * len(name)
    for row, bar in enumerate(bars):
        y = offsets[row]
        lines = labels[row]
        first = y + 12 + max(0, (14 * len(series) - LINE_HEIGHT * len(lines)) // 2)
        spans = "".join(
            f'<tspan x="{label_width - 8}" y="{first + index * LINE_HEIGHT}">{escape(line)}</tspan>'
            for index, line in enumerate(lines)
        )
        parts.append(f'<text font-size="13" text-anchor="end" fill="{TEXT_COLOUR}">{spans}</text>')
        for index, (value, note) in enumerate(zip(bar.values, bar.notes, strict=True)):
            bar_y = y + index * 14
            if value is None:
                parts.append(
                    f'<text x="{label_width}" y="{bar_y + 10}" font-size="12" fill="{HIDDEN_COLOUR}">{escape(note)}</text>'
                )
                continue
            length = round(plot_width * value / largest)
            parts.append(
                f'<rect x="{label_width}" y="{bar_y}" width="{length}" height="{bar_height}" '
                f'fill="{BAR_COLOURS[index % 2]}"/>'
            )
            parts.append(
                f'<text x="{label_width + length + 4}" y="{bar_y + 10}" font-size="12" fill="{TEXT_COLOUR}">'
                f"{escape(note)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken between words (a longer word has a line of its
    own, whole): every character of the label is drawn."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]
