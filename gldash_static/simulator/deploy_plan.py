"""Which projects deploy where, how environments are named, and who may see them.

A project deploys from the jobs of its stage template (names.STAGE_TEMPLATES) that carry an
`environment:` keyword: `deploy` (to production, or to staging with a promotion to production
through the API hours later), `staging` and `production`, or `pages` (GitLab's Pages templates
say `environment: production`). On other branches one of them may deploy a review app,
`review/$CI_COMMIT_REF_SLUG`. Templates without such a job, and some projects with one (a
library published to a registry), have no environments at all. Every choice here comes from a
generator of its own (names.rng(seed, "env-plan", project id)), so the organisation's streams
stay as they were.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from gldash_static.simulator import names
from gldash_static.simulator.jobs import stage_template
from gldash_static.simulator.model import Project

PRODUCTION, STAGING = "production", "staging"
REVIEW_FOLDER = "review"
AUTO_STOP_DAYS = 7  # review apps say `auto_stop_in: 1 week`
# Environment#safe_external_url refuses these schemes on save (Gitlab::Utils::SanitizeNodeLink).
UNSAFE_SCHEMES = ("javascript", "data", "vbscript")
# external_url is at most 255 characters (Environment validates its length).
LONG_URL = "https://very-long.example.com/" + "a" * 225


@dataclass(frozen=True, slots=True)
class DeployPlan:
    """How one project's CI deploys."""

    targets: tuple[tuple[str, str], ...] = ()  # (job, environment) on the default branch, tags
    review_job: str | None = None  # deploys review/<ref slug> on other branches
    promote: bool = False  # staging is promoted to production through the API, hours later
    extra: str | None = None  # deployed through the API after each production deployment

    @property
    def deploys(self) -> bool:
        """Whether the project has any environment at all."""
        return bool(self.targets)

    def production_job(self) -> str | None:
        """The job that deploys production, if a job does (not the API)."""
        return next((job for job, env in self.targets if env == PRODUCTION), None)


def plan_for(seed: int, project: Project) -> DeployPlan:
    """The project's deploy plan (the same for the same seed and project)."""
    jobs = {name for _, names_ in stage_template(seed, project) for name in names_}
    r = names.rng(seed, "env-plan", project.id)
    roll, review, extra_roll = r.random(), r.random(), r.random()
    targets: tuple[tuple[str, str], ...] = ()
    review_job = extra = None
    promote = False
    if "deploy" in jobs:
        if roll < 0.65:
            staged = roll >= 0.35
            targets = (("deploy", STAGING if staged else PRODUCTION),)
            promote = staged
            review_job = "deploy" if review < 0.4 else None
    elif "production" in jobs:
        if roll < 0.9:
            targets = (("staging", STAGING), ("production", PRODUCTION))
            review_job = "staging" if review < 0.35 else None
            if extra_roll < 0.25:
                extra = "canary" if extra_roll < 0.1 else "production-eu"
    elif "pages" in jobs and roll < 0.6:
        targets = (("pages", PRODUCTION),)
    return DeployPlan(targets, review_job, promote, extra)


def access_level(seed: int, project_id: int) -> str:
    """environments_access_level: most leave it on, a few keep it to members or switch it off."""
    # A hash, not a generator: every project needs one when the organisation is built.
    u = names.unit(seed, "env-access", project_id)
    return "private" if u < 0.05 else "disabled" if u < 0.13 else "enabled"


# Jobs that name their tier (`environment: {name: canary, deployment_tier: production}`):
# GitLab keeps it, where its guess from the name would say "other".
EXPLICIT_TIERS = {"canary": "production"}


def tier_of(name: str) -> str:
    """The tier a deploy job names, else Environment#guess_tier's from the name."""
    if name in EXPLICIT_TIERS:
        return EXPLICIT_TIERS[name]
    low = name.lower()
    checks = (
        ("development", ("dev", "review", "trunk")),
        ("testing", ("test", "tst", "int", "acpt", "accept", "qa", "qc", "control", "quality")),
        ("staging", ("stag", "stg", "model", "modl", "pre", "demo", "non")),
        ("production", ("prod", "prd", "live")),
    )
    for tier, words in checks:
        if any(w in low for w in words):
            return tier
    return "other"


def ref_slug(ref: str) -> str:
    """CI_COMMIT_REF_SLUG (Gitlab::Utils.slugify): lowercase, [a-z0-9] kept, 63 at most."""
    out = "".join(c if c in "abcdefghijklmnopqrstuvwxyz0123456789" else "-" for c in ref.lower())
    return out[:63].strip("-")


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, k = divmod(n, 36)
        out = digits[k] + out
    return out or "0"


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()  # Digest::SHA2.hexdigest


def env_slug(name: str) -> str:
    """Gitlab::Slug::Environment#generate: 24 characters at most, a suffix when changed."""
    slug = "".join(c if c in "abcdefghijklmnopqrstuvwxyz0123456789" else "-" for c in name.lower())
    if not "a" <= slug[:1] <= "z":
        slug = "env-" + slug
    while "--" in slug:
        slug = slug.replace("--", "-")
    if len(slug) > 24 or slug != name:
        short = slug[:17]
        if not short.endswith("-"):
            short += "-"
        suffix = _base36(int(_digest(name), 16))[-6:]
        return short + suffix
    return slug.rstrip("-")


def external_url(seed: int, project: Project, name: str) -> str | None:
    """`environment:url` of the deploy job; some have none, a few are hostile."""
    r = names.rng(seed, "env-url", project.id, name)
    roll = r.random()
    if roll < 0.25:
        return None
    host = f"{r.choice(names.NOUNS)}-{project.id}"
    if roll < 0.29:
        # Saved before GitLab validated the scheme, or by an instance that does not: a client
        # must not trust it either way.
        return r.choice(
            (
                "javascript:alert(document.domain)",
                LONG_URL,
                'https://example.com/"><script>alert(1)</script>',
                "ftp://files.example.com/release",
            )
        )
    if name.startswith(f"{REVIEW_FOLDER}/"):
        return f"https://{env_slug(name)}.review.{host}.example.com"
    if name == PRODUCTION:
        return f"https://{host}.example.com"
    return f"https://{name}.{host}.example.com"


def description(seed: int, project: Project, name: str) -> str | None:
    """An environment's description, which few set."""
    r = names.rng(seed, "env-description", project.id, name)
    if name != PRODUCTION or r.random() < 0.8:
        return None
    return r.choice(("Customer-facing.", "Serves the EU region.", "Do not deploy on Fridays."))
