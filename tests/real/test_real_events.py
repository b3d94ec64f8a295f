"""Every Event Grid sample Microsoft publishes (tests/data/real/events) through the CLI and through the parser.

An API event names its API (revision suffix stripped) and yields a finding; every other event is acknowledged as
ignored with a reason, never a crash. Placeholders are mapped onto the seeded estate in memory; ``myapi`` is not in
the estate, so the CLI's finding on it is ``api_not_found``, which is all the classification needs.
"""

from __future__ import annotations

import io
import json

import pytest

from monitors import events
from monitors.cli import main
from monitors.errors import EventError
from tests.real.event_expectations import API_EVENTS, OTHER_EVENTS
from tests.real.payloads import file_of, manifest_files, real_text, with_estate_ids


def _events(name: str) -> list[object]:
    return list(events.load_payload(with_estate_ids(real_text(name))))


def _target(event: object) -> tuple[object, bool] | None:
    """What the parser acts on, or None when it acknowledges the event without acting (irrelevant or malformed)."""
    try:
        parsed = events.parse_event(event)
    except EventError:
        return None
    return (parsed.target, parsed.deleted) if isinstance(parsed, events.ParsedEvent) else None


@pytest.fixture
def handle_event(arm, monkeypatch, emulator_env, tmp_path):
    """Run ``python -m monitors handle-event`` on a sample with its placeholders mapped onto the seeded estate."""
    for key, value in emulator_env.items():
        monkeypatch.setenv(key, value)

    def run(name: str) -> tuple[int, list[dict[str, object]], str]:
        path = tmp_path / name.replace("/", "_")
        path.write_text(with_estate_ids(real_text(name)), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        code = main(["handle-event", str(path), "--format", "json"], stdout=out, stderr=err)
        return code, json.loads(out.getvalue())["findings"], err.getvalue()

    return run


def test_every_event_sample_has_an_expectation() -> None:
    tabled = sorted(file_of(p.values) for p in API_EVENTS + OTHER_EVENTS)
    assert tabled == manifest_files("event")


@pytest.mark.parametrize(("name", "api", "deleted"), API_EVENTS)
def test_parser_names_the_api_of_an_api_event(name, api, deleted) -> None:
    assert [_target(event) for event in _events(name)] == [(api, deleted)]


@pytest.mark.parametrize("name", OTHER_EVENTS)
def test_parser_acts_on_no_other_event(name) -> None:
    assert [_target(event) for event in _events(name)] == [None]


@pytest.mark.parametrize(("name", "api", "deleted"), API_EVENTS)
def test_cli_reports_a_finding_on_the_api_of_an_api_event(handle_event, name, api, deleted) -> None:
    code, findings, err = handle_event(name)
    assert (code, [f["resource_id"] for f in findings], "Traceback" in err) == (0, [api.resource_id], False)


@pytest.mark.parametrize("name", OTHER_EVENTS)
def test_cli_acknowledges_any_other_event_as_ignored_with_a_reason(handle_event, name) -> None:
    code, findings, err = handle_event(name)
    assert (code, findings, err.count(": ignored: "), "Traceback" in err) == (0, [], 1, False)
