"""Check a loaded config.yml against the schema, collecting every problem before failing once."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gldash_static.config import settings
from gldash_static.config.kinds import Invalid, Problems, Section, render_path, shown
from gldash_static.config.schema import ROOT, SOURCE
from gldash_static.config.yaml_lines import ConfigPath, YamlSyntaxError, load
from gldash_static.errors import ConfigError
from gldash_static.rules.urls import safe_url

# GitLab token prefixes (personal, deploy, runner, trigger, feed, OAuth, agent, CI build, ...).
TOKEN_PATTERN = re.compile(
    r"\b(?:gl(?:pat|dt|rt|rtr|ptt|ft|soat|imt|agent|oas|cbt|wt|ffct|sa)-[0-9A-Za-z_\-]{8,}"
    r"|GR1348941[0-9A-Za-z_\-]{8,})"
)
FORBIDDEN_KEYS = frozenset(SOURCE.forbidden)
# The longest honest configs list a few thousand groups or projects (~100 KB); reading
# stops here, so `-c /dev/zero` or a mistaken multi-GB file cannot hold validation up.
MAX_CONFIG_BYTES = 1_000_000
TOKEN_ADVICE = (
    "looks like a GitLab token; never put a token in config.yml: store it in a masked "
    "CI/CD variable and name that variable with token_env"
)


def check_section(section: Section, value: Any, path: ConfigPath, problems: Problems) -> Any:
    """Validate a mapping against `section`, returning a dict of converted values."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise Invalid(f"expected a mapping of settings, got {shown(value)}")
    known = {key.name: key for key in section.keys}
    for name in value:
        if name in known:
            continue
        if name in section.forbidden:
            problems.add((*path, name), section.forbidden[name])
            continue
        hint = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; known keys: {', '.join(known)}"
        problems.add((*path, name), f"unknown key{suggestion}")
    out: dict[str, Any] = {}
    for key in section.keys:
        child = (*path, key.name)
        if key.name not in value or (value[key.name] is None and isinstance(key.kind, Section)):
            if key.required:
                problems.add(child, "required key is missing")
                continue
            raw = None if isinstance(key.kind, Section) else key.default
            if raw is None and not isinstance(key.kind, Section):
                out[key.name] = None
                continue
        else:
            raw = value[key.name]
        try:
            out[key.name] = key.kind.check(raw, child, problems)
        except Invalid as exc:
            problems.add(child, str(exc))
    return out


def _scan_for_tokens(value: Any, path: ConfigPath, problems: Problems) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in FORBIDDEN_KEYS:
                continue  # already refused by name; one line per problem
            _scan_for_tokens(item, (*path, key), problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _scan_for_tokens(item, (*path, index), problems)
    elif isinstance(value, str) and TOKEN_PATTERN.search(value):
        # Never echo the value: the message itself must not leak the token.
        problems.add(path, TOKEN_ADVICE)


def _build_sources(raw: tuple[dict[str, Any], ...], problems: Problems) -> list[Any]:
    sources = []
    seen_urls: dict[str, int] = {}
    for index, item in enumerate(raw):
        path: ConfigPath = ("sources", index)
        url = item.get("url") or os.environ.get("CI_SERVER_URL", "").rstrip("/") or None
        if url is None:
            if (*path, "url") in problems.paths:
                continue  # the bad value was already reported
            problems.add((*path, "url"), "required key is missing (and CI_SERVER_URL is not set)")
            continue
        reported = {(*path, "groups"), (*path, "projects")} & problems.paths
        if not item.get("groups") and not item.get("projects") and not reported:
            problems.add(path, "no groups and no projects: name at least one of either")
        normalised = url.lower()
        if normalised in seen_urls:
            problems.add(
                (*path, "url"),
                f"duplicate source URL {url!r} "
                f"(also sources[{seen_urls[normalised]}]); list its groups once",
            )
        seen_urls[normalised] = index
        # check_section filled in every default; a key it refused is absent (and reported).
        name = item.get("name") or urlsplit(url).hostname or url
        sources.append(settings.SourceSettings(**{**item, "url": url, "name": name}))
    return sources


def _check_folders(values: dict[str, Any], problems: Problems) -> None:
    # Paths only, no file system: whether a folder may be replaced is decided when writing.
    site_dir = (values.get("site") or {}).get("output_dir")
    archive = values.get("archive") or {}
    archive_dir = archive.get("dir")
    if not archive.get("enabled") or site_dir is None or archive_dir is None:
        return
    site_path, archive_path = Path(site_dir), Path(archive_dir)
    if archive_path == site_path:
        problems.add(
            ("archive", "dir"),
            "the same folder as site.output_dir; each is replaced whole, so they need two",
        )
    elif site_path in archive_path.parents or archive_path in site_path.parents:
        # The site is replaced whole and copies the archive into itself: one inside the
        # other would be deleted by the other's next swap.
        problems.add(
            ("archive", "dir"),
            "inside site.output_dir (or the other way round); each is replaced whole, so they "
            "need two separate folders",
        )


def parse_config(text: str, path: Path) -> settings.Config:
    """Validate config text read from `path` and return the typed Config, or raise ConfigError."""
    name = str(path)
    try:
        loaded = load(text)
    except YamlSyntaxError as exc:
        raise ConfigError([f"{name}:{exc.line}: {exc}"]) from None
    problems = Problems(name, loaded, path.parent.resolve())
    if loaded.value is None:
        raise ConfigError(
            [
                f"{name}:1: (top level): the file is empty; expected a mapping "
                "with at least 'sources'"
            ]
        )
    if not isinstance(loaded.value, dict):
        raise ConfigError(
            [f"{name}:1: (top level): expected a mapping of settings, got {shown(loaded.value)}"]
        )
    for dup_path, line in loaded.duplicates:
        problems.items.append(
            (
                line,
                f"{name}:{line}: {render_path(dup_path)}: "
                "duplicate key; the later value would silently win",
            )
        )
    _scan_for_tokens(loaded.value, (), problems)
    values = check_section(ROOT, loaded.value, (), problems)
    sources = _build_sources(values.get("sources") or (), problems)
    _check_folders(values, problems)
    if problems.items:
        raise ConfigError(problems.lines())
    fetch, site, archive = values["fetch"], values["site"], values["archive"]
    return settings.Config(
        path=path.resolve(),
        sources=tuple(sources),
        fetch=settings.FetchSettings(**fetch),
        site=settings.SiteSettings(
            **{
                **site,
                # The one rule for what the site's snapshot holds: URL carry-forward reads
                # the previous snapshot, job attempts included, back from the published site.
                "snapshot_job_attempts": site["snapshot_job_attempts"]
                or archive["carry_forward"] == "url",
            },
            stale_branch_days=fetch["stale_branch_days"],
            project_url=os.environ.get("CI_PROJECT_URL") or None,
            default_branch=os.environ.get("CI_DEFAULT_BRANCH") or "main",
            # An unusable address is no reason to fail a build: the 404 page stays relative.
            pages_url=safe_url(os.environ.get("CI_PAGES_URL")),
        ),
        snapshot=values["snapshot"],
        archive=settings.ArchiveSettings(
            **{k: v for k, v in archive.items() if k != "retention"},
            retention=settings.RetentionSettings(**archive["retention"]),
        ),
    )


def load_config(path: Path) -> settings.Config:
    """Read and validate the config file at `path`."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(
                [
                    f"{path}:1: (top level): the file is over {MAX_CONFIG_BYTES:,} bytes; "
                    "a config is far smaller (is this the right file?)"
                ]
            )
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: config file not found (use -c to name another)"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a folder, expected a config file"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}:1: (top level): the file is not UTF-8 text"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read config: {exc.strerror}"]) from None
    return parse_config(text, path)
