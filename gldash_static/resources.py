"""Locate the built-in templates and assets, from a checkout or from an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    # A wheel carries the folders inside the package; a checkout keeps them at the top so
    # that a fork can restyle its dashboard without digging into the package.
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"built-in {name}/ folder not found next to {_PACKAGE_DIR}")


def templates_dir() -> Path:
    """Folder of the built-in Jinja templates."""
    return _find("templates")


def assets_dir() -> Path:
    """Folder of the built-in static assets (CSS, JavaScript, icons)."""
    return _find("assets")
