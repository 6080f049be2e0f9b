"""docs/configuration.md is generated from the schema and must stay in step with it."""

from __future__ import annotations

from pathlib import Path

from gldash_static.config.docs import all_keys, generate

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_configuration_doc_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == generate(), "run `make docs` and commit the result"


def test_every_key_is_documented_with_help() -> None:
    text = DOC.read_text(encoding="utf-8")
    keys = all_keys()
    assert len(keys) > 30
    for key in keys:
        assert f"| `{key}` |" in text, f"{key} is missing from docs/configuration.md"
    for row in (line for line in text.splitlines() if line.startswith("| `")):
        assert row.rstrip(" |").split("|")[-1].strip(), f"no help text: {row}"
