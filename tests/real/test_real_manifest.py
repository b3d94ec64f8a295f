"""tests/data/real/MANIFEST.json names the source of every stored payload, and the payloads are still as published."""

from __future__ import annotations

import hashlib

import pytest

from tests.real.payloads import REAL, manifest

ENTRIES = [pytest.param(entry, id=entry["file"]) for entry in manifest()]
SOURCE_FIELDS = {"file", "kind", "repository", "path", "commit", "license", "git_blob", "api_version"}
KIND_FIELDS = {"arm-example": {"operation"}, "event": {"event_type", "schema"}}


def test_every_payload_file_is_in_the_manifest() -> None:
    stored = sorted(str(p.relative_to(REAL)) for p in REAL.rglob("*.json") if p.name != "MANIFEST.json")
    assert stored == sorted(entry["file"] for entry in manifest())


@pytest.mark.parametrize("entry", ENTRIES)
def test_manifest_entry_names_its_source(entry) -> None:
    assert SOURCE_FIELDS | KIND_FIELDS[entry["kind"]] <= entry.keys()


@pytest.mark.parametrize("entry", ENTRIES)
def test_payload_is_unchanged_since_it_was_copied(entry) -> None:
    """The git blob hash recorded when the file was copied; for repository files it is also the upstream blob's."""
    data = (REAL / entry["file"]).read_bytes()
    assert hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == entry["git_blob"]
