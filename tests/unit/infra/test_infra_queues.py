"""The stage queues carry the delivery contract the code and host.json assume."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from tests.unit.infra.bicep_reader import INFRA, REPO, load

SERVICE_BUS = load(INFRA / "app" / "servicebus.bicep")
HOST_JSON = REPO / "host.json"

EXPECTED = {
    "lockDuration": "'PT1M'",
    "maxDeliveryCount": "5",
    "requiresDuplicateDetection": "true",
    "duplicateDetectionHistoryTimeWindow": "'PT10M'",
    "deadLetteringOnMessageExpiration": "true",
    "defaultMessageTimeToLive": "'P14D'",
    "requiresSession": "false",
}


def queue_properties() -> dict[str, str]:
    decl = SERVICE_BUS.get("var", "queueProperties")
    return SERVICE_BUS.object_keys(decl.body[0])


def iso_duration(value: str) -> timedelta:
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", value.strip("'"))
    assert match, value
    d, h, m, s = (int(g or 0) for g in match.groups())
    return timedelta(days=d, hours=h, minutes=m, seconds=s)


def host_timespan(value: str) -> timedelta:
    parts = value.split(":")
    days, _, hours = parts[0].rpartition(".")
    return timedelta(days=int(days or 0), hours=int(hours), minutes=int(parts[1]), seconds=float(parts[2]))


def host() -> dict:
    if not HOST_JSON.exists():
        pytest.skip("host.json is not in the checkout yet")
    return json.loads(HOST_JSON.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("prop", "value"), sorted(EXPECTED.items()))
def test_queue_property_is_in_the_single_shared_definition(prop: str, value: str) -> None:
    assert queue_properties()[prop] == value


def test_every_queue_uses_the_shared_definition() -> None:
    decl = SERVICE_BUS.get("resource", "queues")
    body = SERVICE_BUS.body_text(decl)
    assert "for queue in queueNames" in body and "properties: queueProperties" in body
    assert "'Microsoft.ServiceBus/namespaces/queues@" in decl.text


def test_functions_trigger_only_on_the_declared_queues() -> None:
    main = load(INFRA / "main.bicep")
    queues = set(re.findall(r"'([^']+)'", main.body_text(main.get("var", "queues"))))
    for path in (REPO / "functions").glob("*.py"):
        for setting in re.findall(r'queue_name="%(\w+)%(?:/\$DeadLetterQueue)?"', path.read_text(encoding="utf-8")):
            assert setting in {"ENRICH_QUEUE", "ANALYZE_QUEUE", "NOTIFY_QUEUE"}, f"{path.name}: {setting}"
    assert queues == {"alerts-enrich", "alerts-analyze", "alerts-notify"}


def test_lock_renewal_outlasts_the_lock_and_the_function_timeout_fits_in_it() -> None:
    service_bus = host().get("extensions", {}).get("serviceBus", {})
    lock = iso_duration(queue_properties()["lockDuration"])
    renewal = service_bus.get("maxAutoLockRenewalDuration")
    if renewal is not None:
        assert host_timespan(renewal) >= lock
        timeout = host().get("functionTimeout")
        if timeout is not None:
            # A run longer than the renewal window loses its lock and is delivered again mid-flight.
            assert host_timespan(timeout) <= host_timespan(renewal) + lock


def test_host_json_states_nothing_that_contradicts_the_queues() -> None:
    def walk(node: object) -> list[tuple[str, object]]:
        if isinstance(node, dict):
            return [(k, v) for k, v in node.items()] + [kv for v in node.values() for kv in walk(v)]
        return []

    props = queue_properties()
    for key, value in walk(host()):
        if key == "maxDeliveryCount":
            assert str(value) == props["maxDeliveryCount"]
        if key == "lockDuration":
            assert iso_duration(str(value)) == iso_duration(props["lockDuration"])
    service_bus = host().get("extensions", {}).get("serviceBus", {})
    # The stages settle messages through the host (complete on success, abandon on exception).
    assert service_bus.get("autoCompleteMessages", True) is True


def test_host_json_fits_flex_consumption_and_the_dashboard_backend() -> None:
    data = host()
    bundle = data.get("extensionBundle", {})
    assert bundle.get("id") == "Microsoft.Azure.Functions.ExtensionBundle"
    lower = re.match(r"\[(\d+)", bundle.get("version", ""))
    assert lower and int(lower[1]) >= 4, "Flex Consumption needs extension bundle 4.x or later"
    # A Static Web Apps linked backend proxies /api/... unchanged.
    assert data.get("extensions", {}).get("http", {}).get("routePrefix", "api") == "api"


def test_duration_parsers() -> None:
    assert iso_duration("'PT1M'") == timedelta(minutes=1)
    assert iso_duration("P14D") == timedelta(days=14)
    assert host_timespan("00:05:00") == timedelta(minutes=5)
    assert host_timespan("1.02:00:00") == timedelta(days=1, hours=2)
