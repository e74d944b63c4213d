"""Placeholder: commands for this area land with their feature."""

from typing import Any


def register(sub: Any) -> None:
    return None
