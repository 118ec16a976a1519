"""Long replies cut under a channel's message limit, at paragraph, then line, then word boundaries."""

from __future__ import annotations


def split_at_boundaries(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters (a word longer than that is cut); empty parts dropped."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n\n", 0, limit)
        if cut <= 0:
            cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return [p for p in parts if p]
