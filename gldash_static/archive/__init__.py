"""Dated snapshot copies, retention, the history behind trend charts, and carry-forward."""

from gldash_static.archive.carry import CarryResult, Limits
from gldash_static.archive.core import Archive, PruneResult
from gldash_static.archive.store import SITE_DIR, IndexRow

__all__ = ["SITE_DIR", "Archive", "CarryResult", "IndexRow", "Limits", "PruneResult"]
