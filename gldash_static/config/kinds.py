"""Value kinds of config keys: each checks and converts one value and describes itself for docs."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gldash_static.config.yaml_lines import ConfigPath


class Problems:
    """Collects every problem found, each as one `file:line: key: message` line."""

    def __init__(self, file: str, lines: Any, base_dir: Path) -> None:
        self.file = file
        self._lines = lines
        self.base_dir = base_dir
        self.items: list[tuple[int, str]] = []
        self.paths: set[ConfigPath] = set()

    def add(self, path: ConfigPath, message: str) -> None:
        """Record a problem at `path`."""
        self.paths.add(path)
        line = self._lines.line_of(path) if self._lines is not None else 1
        self.items.append((line, f"{self.file}:{line}: {render_path(path)}: {message}"))

    def lines(self) -> list[str]:
        """Problems in file order."""
        return [text for _, text in sorted(self.items, key=lambda item: item[0])]


def render_path(path: ConfigPath) -> str:
    """('sources', 0, 'url') → 'sources[0].url'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


def shown(value: Any) -> str:
    """A short, safe rendering of a found value for an error message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Invalid(Exception):
    """A value does not fit its kind; the message says what was expected and found."""


class Kind:
    """Base of all value kinds."""

    doc = "value"

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        """Return the converted value or raise Invalid."""
        raise NotImplementedError


@dataclass(frozen=True)
class Str(Kind):
    """A non-empty string, optionally matching a pattern."""

    pattern: str | None = None
    what: str = "a non-empty string"

    @property
    def doc(self) -> str:  # type: ignore[override]
        return "string"

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise Invalid(f"expected {self.what}, got {shown(value)}")
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise Invalid(f"expected {self.what}, got {shown(value)}")
        return value


@dataclass(frozen=True)
class Int(Kind):
    """An integer within bounds."""

    minimum: int | None = None
    maximum: int | None = None

    @property
    def doc(self) -> str:  # type: ignore[override]
        return "integer" + _bounds(self.minimum, self.maximum)

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(
                f"expected an integer{_bounds(self.minimum, self.maximum)}, got {shown(value)}"
            )
        _check_bounds(value, self.minimum, self.maximum)
        return value


@dataclass(frozen=True)
class Number(Kind):
    """A number (integer or decimal) within bounds; `positive` excludes zero."""

    minimum: float | None = None
    maximum: float | None = None
    positive: bool = False

    @property
    def doc(self) -> str:  # type: ignore[override]
        return "number" + (" > 0" if self.positive else _bounds(self.minimum, self.maximum))

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise Invalid(f"expected a number, got {shown(value)}")
        if self.positive and value <= 0:
            raise Invalid(f"expected a number greater than 0, got {shown(value)}")
        _check_bounds(value, self.minimum, self.maximum)
        return float(value)


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""


def _check_bounds(value: float, minimum: float | None, maximum: float | None) -> None:
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise Invalid(f"expected a value{_bounds(minimum, maximum)}, got {shown(value)}")


@dataclass(frozen=True)
class Bool(Kind):
    """true or false."""

    doc = "boolean"

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        if not isinstance(value, bool):
            raise Invalid(f"expected true or false, got {shown(value)}")
        return value


@dataclass(frozen=True)
class Url(Kind):
    """An absolute http(s) URL without credentials; trailing slashes dropped."""

    doc = "http(s) URL"

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        if not isinstance(value, str):
            raise Invalid(f"expected an http(s) URL, got {shown(value)}")
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid(f"expected an http(s) URL, got {shown(value)}")
        if parts.username or parts.password:
            raise Invalid("credentials in the URL are not allowed; use token_env")
        if parts.query or parts.fragment:
            raise Invalid(f"expected a URL without query or fragment, got {shown(value)}")
        return value.strip().rstrip("/")


@dataclass(frozen=True)
class Choice(Kind):
    """One of a fixed set of strings."""

    choices: tuple[str, ...]

    @property
    def doc(self) -> str:  # type: ignore[override]
        return " \\| ".join(f"`{c}`" for c in self.choices)

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        if value not in self.choices:
            raise Invalid(f"expected one of {', '.join(self.choices)}, got {shown(value)}")
        return value


@dataclass(frozen=True)
class Regex(Kind):
    """A Python regular expression, compiled."""

    doc = "regular expression"

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        if not isinstance(value, str) or not value:
            raise Invalid(f"expected a regular expression, got {shown(value)}")
        try:
            return re.compile(value)
        except re.error as exc:
            raise Invalid(f"invalid regular expression {shown(value)}: {exc}") from None


@dataclass(frozen=True)
class Timezone(Kind):
    """An IANA time zone name such as Europe/Berlin."""

    doc = "IANA time zone"

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        if not isinstance(value, str) or not value:
            raise Invalid(f"expected a time zone name such as Europe/Berlin, got {shown(value)}")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid(
                f"unknown time zone {shown(value)}; use a name such as Europe/Berlin or UTC"
            ) from None
        return value


@dataclass(frozen=True)
class PathKind(Kind):
    """A file system path, resolved against the config file's folder."""

    must_be: str | None = None  # "dir" or "file": must exist as that

    @property
    def doc(self) -> str:  # type: ignore[override]
        return {"dir": "path to an existing folder", "file": "path to an existing file"}.get(
            self.must_be or "", "path"
        )

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise Invalid(f"expected a path, got {shown(value)}")
        resolved = (problems.base_dir / Path(value).expanduser()).resolve()
        if self.must_be == "dir" and not resolved.is_dir():
            raise Invalid(f"folder not found: {resolved}")
        if self.must_be == "file" and not resolved.is_file():
            raise Invalid(f"file not found: {resolved}")
        return resolved


@dataclass(frozen=True)
class Nullable(Kind):
    """Either null or the inner kind."""

    inner: Kind

    @property
    def doc(self) -> str:  # type: ignore[override]
        return f"{self.inner.doc} or null"

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        return None if value is None else self.inner.check(value, path, problems)


@dataclass(frozen=True)
class ListOf(Kind):
    """A list whose items are each checked; a single scalar is not silently accepted."""

    item: Kind
    unique: bool = False

    @property
    def doc(self) -> str:  # type: ignore[override]
        return f"list of {self.item.doc}"

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        # Declared defaults are tuples; values from YAML are lists.
        if not isinstance(value, list | tuple):
            raise Invalid(f"expected a list of {self.item.doc}, got {shown(value)}")
        out = []
        seen: set[Any] = set()
        for index, item in enumerate(value):
            try:
                checked = self.item.check(item, (*path, index), problems)
            except Invalid as exc:
                problems.add((*path, index), str(exc))
                continue
            key = checked.pattern if isinstance(checked, re.Pattern) else checked
            if self.unique and isinstance(key, str | int | Path):
                if key in seen:
                    problems.add((*path, index), f"duplicate entry {shown(item)}")
                    continue
                seen.add(key)
            out.append(checked)
        return tuple(out)


@dataclass(frozen=True)
class Key:
    """One declared config key: its kind, default and one-line help."""

    name: str
    kind: Kind
    help: str
    default: Any = None
    required: bool = False
    default_doc: str | None = None  # how the docs show a computed default


@dataclass(frozen=True)
class Section(Kind):
    """A mapping of declared keys; unknown keys are errors with a did-you-mean hint."""

    keys: tuple[Key, ...]
    help: str = ""
    doc: str = "mapping"
    forbidden: dict[str, str] = field(default_factory=dict)

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        from gldash_static.config.validate import check_section

        return check_section(self, value, path, problems)


@dataclass(frozen=True)
class SectionList(Kind):
    """A non-empty list of sections."""

    section: Section

    @property
    def doc(self) -> str:  # type: ignore[override]
        return "list of mappings"

    def check(self, value: Any, path: ConfigPath, problems: Problems) -> Any:
        if not isinstance(value, list) or not value:
            raise Invalid(f"expected a non-empty list of mappings, got {shown(value)}")
        return tuple(self.section.check(item, (*path, i), problems) for i, item in enumerate(value))
