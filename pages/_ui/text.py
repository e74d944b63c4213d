"""Text shown literally inside Streamlit markdown: what a person typed or a cluster answered."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\*_\[\]<>$~|#])")
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
# what Streamlit's markdown would turn into a link by itself (GFM autolink literals)
_URL = re.compile(r"\b((?:https?://|www\.)[^\s`<>]*[^\s`<>.,;:!?)'\"])")


def md(text: str) -> str:
    """``text`` shown literally inside Streamlit markdown (no emphasis, links, LaTeX or HTML).

    Backtick code spans stay code: hints write commands that way. A URL (a cluster's API server in
    an error message) is shown as code too, so it is not a clickable link.
    """
    out: list[str] = []
    for i, part in enumerate(_CODE_SPAN.split(text)):
        if i % 2:  # a code span already
            out.append(part)
            continue
        for j, piece in enumerate(_URL.split(part)):
            out.append(f"`{piece}`" if j % 2 else _MARKDOWN_SPECIAL.sub(r"\\\1", piece))
    return "".join(out)


def code(text: str, limit: int = 80) -> str:
    """``text`` as inline code (one line, shortened, no backticks to break out of it)."""
    inner = one_line(text.replace("`", "'"), limit)
    return f"`{inner}`"


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line, at most ``limit`` characters (an ellipsis where it was cut)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
