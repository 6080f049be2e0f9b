"""config.yml: the declared schema, loading with line numbers, and validation."""

from gldash_static.config.settings import (
    ArchiveSettings,
    Config,
    FetchSettings,
    RetentionSettings,
    SiteSettings,
    SourceSettings,
)
from gldash_static.config.validate import load_config, parse_config

__all__ = [
    "ArchiveSettings",
    "Config",
    "FetchSettings",
    "RetentionSettings",
    "SiteSettings",
    "SourceSettings",
    "load_config",
    "parse_config",
]
