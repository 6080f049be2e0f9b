"""Combine the snapshots of N shards into the one snapshot an unsharded fetch would give."""

from __future__ import annotations

from collections import Counter

from gldash_static.errors import UsageError
from gldash_static.fetch.info import fetch_info
from gldash_static.model import Group, Project, Snapshot, Source


def merge_snapshots(parts: list[Snapshot], origins: list[str]) -> Snapshot:
    """Merge shard snapshots; every shard 1..N must be present exactly once."""
    if not parts:
        raise UsageError("merge needs at least one shard snapshot")
    seen: dict[int, str] = {}
    totals = set()
    for part, origin in zip(parts, origins, strict=True):
        shard = part["fetch"].get("shard")
        if not shard:
            raise UsageError(f"{origin}: not a shard snapshot (fetched without --shard)")
        totals.add(shard["total"])
        if shard["index"] in seen:
            raise UsageError(
                f"{origin}: shard {shard['index']} also given as {seen[shard['index']]}"
            )
        seen[shard["index"]] = origin
    if len(totals) != 1:
        raise UsageError(f"shards come from different splits: totals {sorted(totals)}")
    total = totals.pop()
    missing = sorted(set(range(1, total + 1)) - set(seen))
    if missing:
        raise UsageError(f"missing shard(s) {', '.join(map(str, missing))} of {total}")

    sources: dict[str, Source] = {}
    groups: dict[str, dict[int, Group]] = {}
    projects: dict[str, dict[int, Project]] = {}
    for part in parts:
        for source in part["sources"]:
            url = source["url"]
            if url not in sources:
                sources[url] = {**source, "groups": [], "projects": []}
                groups[url], projects[url] = {}, {}
            else:
                # The merged data is only as fresh as the oldest shard.
                marks = [m for m in (sources[url]["watermark"], source["watermark"]) if m]
                sources[url]["watermark"] = min(marks) if marks else None
            groups[url].update((g["id"], g) for g in source["groups"])
            projects[url].update((p["id"], p) for p in source["projects"])
    merged_sources: list[Source] = []
    for url, source in sources.items():
        source["groups"] = sorted(groups[url].values(), key=lambda g: g["full_path"])
        source["projects"] = sorted(projects[url].values(), key=lambda p: p["path_with_namespace"])
        merged_sources.append(source)

    calls: Counter[str] = Counter()
    for part in parts:
        calls.update(part["fetch"]["api_calls"])
    fetches = [p["fetch"] for p in parts]
    return {
        "schema_version": parts[0]["schema_version"],
        "generated_at": max(p["generated_at"] for p in parts),
        "generator": parts[0]["generator"],
        "sources": merged_sources,
        "fetch": fetch_info(
            "merge",
            started_at=min(f["started_at"] for f in fetches),
            finished_at=max(f["finished_at"] for f in fetches),
            duration_s=max(f["duration_s"] for f in fetches),
            api_calls=calls,
            retries=sum(f["retries"] for f in fetches),
            rate_limited=sum(f["rate_limited"] for f in fetches),
            errors=[e for f in fetches for e in f["errors"]],
        ),
    }
