"""Word lists and seeded helpers behind realistic, deterministic names."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime

TEAMS = [
    "platform", "payments", "identity", "search", "mobile", "data", "infra", "security",
    "growth", "billing", "checkout", "analytics", "ml", "frontend", "devtools", "sre",
    "observability", "content", "logistics", "support",
]  # fmt: skip
AREAS = [
    "backend", "web", "services", "libraries", "tooling", "experiments", "apps", "pipelines",
    "ops", "sdk", "api", "docs",
]  # fmt: skip
NOUNS = [
    "gateway", "ledger", "router", "indexer", "scheduler", "notifier", "exporter", "crawler",
    "renderer", "resolver", "importer", "worker", "proxy", "cache", "vault", "catalog",
    "tracker", "uploader", "reporter", "monitor", "builder", "compiler", "parser", "bridge",
    "sync", "auth", "ingest", "store", "queue", "console", "portal", "agent", "relay", "cli",
]  # fmt: skip
ADJECTIVES = [
    "fast", "legacy", "core", "shared", "internal", "public", "async", "edge", "batch",
    "realtime", "secure", "tiny", "smart", "open", "cloud", "next", "classic", "lite",
]  # fmt: skip
TOPICS = [
    "python", "go", "rust", "typescript", "java", "kubernetes", "terraform", "docker",
    "grpc", "graphql", "postgres", "kafka", "react", "vue", "ansible", "ml", "cli", "api",
]  # fmt: skip
FIRST = [
    "Ada", "Björn", "Chiara", "Dmitri", "Élodie", "Farah", "Gustavo", "Hana", "Ivan", "Jürgen",
    "Kaito", "Leïla", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Søren", "Tomás",
    "Uma", "Valentina", "Wei", "Xiomara", "Yusuf", "Zofia", "Amara", "Ben", "Carmen", "Dev",
]  # fmt: skip
LAST = [
    "Okafor", "Lindqvist", "Rossi", "Petrov", "Dubois", "Haddad", "Silva", "Sato", "Novak",
    "Müller", "Tanaka", "Benali", "García", "Kowalski", "Nowak", "Sharma", "Moreau", "Ortiz",
    "Nørgaard", "Ferreira", "Iyer", "Bianchi", "Zhang", "Castillo", "Demir", "Wiśniewska",
]  # fmt: skip
VERBS = [
    "Fix", "Add", "Refactor", "Update", "Remove", "Improve", "Speed up", "Document", "Rework",
    "Harden", "Simplify", "Bump",
]  # fmt: skip
THINGS = [
    "retry logic", "login flow", "cache invalidation", "CI config", "error messages",
    "pagination", "rate limiting", "dependency versions", "flaky test", "startup time",
    "logging", "metrics export", "Dockerfile", "README", "timeouts", "config loading",
    "unicode handling", "database migration",
]  # fmt: skip
BRANCH_PREFIXES = ["feature/", "fix/", "chore/", "docs/", "experiment/", ""]
BRANCH_WORDS = [
    "login", "retry", "cache", "ci-speedup", "überarbeitung", "café-menu", "日本語-docs",
    "naïve-parser", "señal", "pagination", "metrics", "deps", "cleanup", "größe", "api-v2",
]  # fmt: skip
DEFAULT_BRANCHES = ["main"] * 14 + ["master"] * 4 + ["develop", "trunk"]
LABELS = ["bug", "feature", "backend", "frontend", "security", "tech debt", "documentation"]
FAILURE_REASONS = [
    "script_failure", "script_failure", "script_failure", "runner_system_failure",
    "stuck_or_timeout_failure", "api_failure", "job_execution_timeout",
]  # fmt: skip
# (stage, job names) templates: each project picks one.
STAGE_TEMPLATES: list[list[tuple[str, list[str]]]] = [
    [("build", ["build"]), ("test", ["unit", "lint"]), ("deploy", ["deploy"])],
    [("test", ["pytest", "mypy", "ruff"]), ("package", ["wheel"])],
    [("build", ["compile", "docker-image"]), ("test", ["test", "integration"]),
     ("release", ["publish"]), ("deploy", ["staging", "production"])],
    [("lint", ["eslint"]), ("test", ["jest"]), ("build", ["bundle"]), ("pages", ["pages"])],
    [("check", ["fmt", "clippy"]), ("test", ["cargo-test"])],
]  # fmt: skip


def ms(dt: datetime) -> datetime:
    """`dt` cut to the millisecond: GitLab's API shows no finer times, so neither do we store."""
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)


def rng(*parts: object) -> random.Random:
    """A `random.Random` seeded by the string form of `parts` (stable across runs)."""
    return random.Random(":".join(map(str, parts)))


def unit(*parts: object) -> float:
    """A number in [0, 1) derived from `parts`: a cheap first draw for rare decisions."""
    digest = hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:13], 16) / 16**13


def fake_sha(*parts: object) -> str:
    """A 40-hex-digit commit sha derived from `parts`."""
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


def slug(text: str) -> str:
    """A URL path for a display name."""
    return "-".join(text.lower().replace("/", " ").split())


def commit_title(r: random.Random) -> str:
    """A plausible commit or merge request title."""
    return f"{r.choice(VERBS)} {r.choice(THINGS)}"
