"""The signed webhook: the findings contract plus alerts, signed per Standard Webhooks and verified independently."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from monitors.alerts.webhook import WebhookSink, render_webhook, sign, signing_key
from monitors.errors import SettingsError
from tests.alerts.factories import make_alert, many_alerts, outbox_item

ROOT = Path(__file__).resolve().parents[2]
FINDINGS_SCHEMA = json.loads((ROOT / "tests" / "data" / "findings.schema.json").read_text())
KEY = b"0123456789abcdef0123456789abcdef"
WHSEC = "whsec_" + base64.b64encode(KEY).decode()
FROZEN = 1_790_000_000.0


def verify_example():
    """The README's verification snippet, executed as written."""
    text = (ROOT / "README.md").read_text().split("### Verifying the signed webhook", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", text, re.S)
    assert snippet is not None
    namespace: dict[str, Any] = {}
    exec(snippet.group(1), namespace)
    return namespace["verify_webhook"]


def delivered(receiver, alerts=None, secret=WHSEC, clock=time.time):
    alerts = alerts or (make_alert(),)
    WebhookSink(receiver.url, secret, clock=clock).send(outbox_item(alerts, sink="webhook", item_id="msg_abc"))
    return receiver.requests[-1]


def test_signature_verifies_with_the_standardwebhooks_library(receiver):
    seen = delivered(receiver)

    payload = Webhook(WHSEC).verify(seen.body, seen.headers)

    assert payload["findings"][0]["api"] == "orders"


def test_tampered_body_fails_standardwebhooks_verification(receiver):
    seen = delivered(receiver)

    with pytest.raises(WebhookVerificationError):
        Webhook(WHSEC).verify(seen.body.replace(b"orders", b"0rders"), seen.headers)


@pytest.mark.parametrize(
    ("secret", "reference"),
    [
        pytest.param(WHSEC, Webhook(WHSEC), id="whsec-base64"),
        pytest.param("whsec_" + base64.b64encode(KEY).decode().rstrip("="), Webhook(KEY), id="whsec-unpadded"),
        pytest.param("plain-shared-secret", Webhook(b"plain-shared-secret"), id="plain-utf8"),
    ],
)
def test_sign_matches_the_reference_implementation(secret, reference):
    body = b'{"a":1}'

    headers = sign(secret, "msg_1", 1_700_000_000, body)

    assert headers["webhook-signature"] == reference.sign(
        "msg_1", dt.datetime.fromtimestamp(1_700_000_000, dt.UTC), '{"a":1}'
    )


def test_headers_carry_item_id_timestamp_and_content_type(receiver):
    seen = delivered(receiver, clock=lambda: FROZEN)

    assert {k: seen.headers[k] for k in ("webhook-id", "webhook-timestamp", "content-type")} == {
        "webhook-id": "msg_abc",
        "webhook-timestamp": "1790000000",
        "content-type": "application/json",
    }


def test_body_is_the_findings_contract_plus_alerts(receiver):
    body = json.loads(delivered(receiver, many_alerts(25)).body)

    contract = {k: v for k, v in body.items() if k != "alerts"}
    jsonschema.Draft202012Validator(FINDINGS_SCHEMA).validate(contract)
    assert list(body) == ["schema", "generated_at", "summary", "findings", "alerts"]


def test_body_alerts_name_id_kind_and_resource():
    alert = make_alert()

    body = json.loads(render_webhook((alert,), "2026-11-27T09:00:00+00:00"))

    assert body["alerts"] == [{"alert_id": alert.alert_id, "kind": "new", "resource_id": alert.finding.resource_id}]


def test_body_generated_at_is_the_send_time(receiver):
    body = json.loads(delivered(receiver, clock=lambda: FROZEN).body)

    assert body["generated_at"] == "2026-09-21T14:13:20+00:00"


def test_digest_is_one_request_with_every_alert(receiver):
    delivered(receiver, many_alerts(300))

    assert (len(receiver.requests), len(json.loads(receiver.requests[0].body)["alerts"])) == (1, 300)


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param("whsec_not*base64!", id="whsec-not-base64"),
        pytest.param("whsec_", id="whsec-empty"),
        pytest.param("", id="empty"),
    ],
)
def test_malformed_secret_is_a_settings_error_that_hides_the_value(secret):
    with pytest.raises(SettingsError, match=r"^MONITOR_WEBHOOK_SECRET: ") as caught:
        signing_key(secret)

    assert secret == "" or secret not in str(caught.value)


def test_sink_rejects_a_malformed_secret_at_start():
    with pytest.raises(SettingsError):
        WebhookSink("https://hooks.example/x", "whsec_%%%")


def test_readme_snippet_accepts_a_fresh_signed_request(receiver):
    seen = delivered(receiver)

    assert verify_example()(WHSEC, seen.headers, seen.body)["schema"] == "apim-defender-monitor/findings@2"


def test_readme_snippet_accepts_a_plain_secret(receiver):
    seen = delivered(receiver, secret="plain-shared-secret")

    assert verify_example()("plain-shared-secret", seen.headers, seen.body)["schema"].startswith("apim-defender")


@pytest.mark.parametrize(
    ("age", "tampered", "error"),
    [
        pytest.param(301, False, "timestamp outside the 5-minute tolerance", id="older-than-5-minutes"),
        pytest.param(0, True, "no valid signature", id="tampered-body"),
    ],
)
def test_readme_snippet_rejects_old_or_tampered_requests(receiver, age, tampered, error):
    seen = delivered(receiver, clock=lambda: time.time() - age)
    body = seen.body + b" " if tampered else seen.body

    with pytest.raises(ValueError, match=error):
        verify_example()(WHSEC, seen.headers, body)
