"""The value readers under the extractors: times, ids, dimension maps, ARM ids, source classification."""

from datetime import UTC, datetime

import pytest

from shared.alerts import SourceKind
from shared.extract.arm import parse_arm_id
from shared.extract.sources import classify_source
from shared.extract.values import identifier, string_map, text, to_utc


@pytest.mark.parametrize("raw, expected", [
    ("2025-06-03T02:18:05.7731004Z", datetime(2025, 6, 3, 2, 18, 5, 773100, tzinfo=UTC)),
    ("2021-11-16T08:27:36.1836909+00:00", datetime(2021, 11, 16, 8, 27, 36, 183690, tzinfo=UTC)),
    ("2025-06-03T04:00:00+02:00", datetime(2025, 6, 3, 2, 0, tzinfo=UTC)),
    ("2025-06-03T02:05:00", datetime(2025, 6, 3, 2, 5, tzinfo=UTC)),
    ("3/22/2019 1:36:31 PM", datetime(2019, 3, 22, 13, 36, 31, tzinfo=UTC)),
    ("12/1/2019 12:05:00 AM", datetime(2019, 12, 1, 0, 5, tzinfo=UTC)),
    ("yesterday", None), ("", None), (1717380000, None), (None, None), (["2025-06-03"], None),
])
def test_times_become_aware_utc_or_none(raw, expected):
    parsed = to_utc(raw)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC


@pytest.mark.parametrize("raw, expected", [
    ("  abc ", "abc"), (123, "123"), (1.0e15, "1000000000000000"), (0, "0"),
    (1.5, None), (True, None), (None, None), ("", None), ({"id": 1}, None), (float("nan"), None),
])
def test_identifiers(raw, expected):
    assert identifier(raw) == expected


def test_text_replaces_lone_surrogates_so_the_value_can_be_stored():
    assert text("a\ud800b") == "a\ufffdb"


def test_string_map_reads_objects_and_name_value_pairs():
    assert string_map([{"name": "Name", "value": "PL_A"}, {"name": "n", "value": 2}, {"name": None, "value": 1},
                       {"name": "gone", "value": None}, "junk", {"name": "x", "value": {"a": [1]}}]) == \
        {"Name": "PL_A", "n": "2", "x": '{"a":[1]}'}
    assert string_map({" k ": True, "f": 1.5}) == {"k": "true", "f": "1.5"}
    assert string_map("nope") == {} and string_map(None) == {}


def test_arm_ids():
    arm = parse_arm_id("/subscriptions/s1/resourcegroups/rg1/providers/Microsoft.DataFactory/factories/adf-x"
                       "/pipelines/PL_A")
    assert (arm.subscription_id, arm.resource_group, arm.resource_type, arm.resource_name) == (
        "s1", "rg1", "microsoft.datafactory/factories", "adf-x")
    subscription = parse_arm_id("/subscriptions/s1")
    assert subscription.subscription_id == "s1" and not subscription.is_resource
    assert parse_arm_id("a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1") is None
    assert parse_arm_id("/providers/Microsoft.Management/managementGroups/mg") is None
    assert parse_arm_id(42) is None


@pytest.mark.parametrize("types, tables, query, cluster, expected", [
    (["microsoft.operationalinsights/workspaces"], [], "ADFActivityRun | where Status == 'Failed'", False,
     SourceKind.ADF),
    ([], ["SynapseIntegrationPipelineRuns"], None, False, SourceKind.SYNAPSE),
    (["microsoft.databricks/workspaces"], [], None, False, SourceKind.DATABRICKS_JOB),
    (["microsoft.databricks/workspaces"], [], None, True, SourceKind.DATABRICKS_CLUSTER),
    ([], [], "DatabricksClusters | where ActionName == 'delete'", False, SourceKind.DATABRICKS_CLUSTER),
    (["Microsoft.Web/sites"], [], None, False, SourceKind.AZURE_FUNCTION),
    (["microsoft.insights/components"], [], "requests | where success == false", False, SourceKind.AZURE_FUNCTION),
    (["microsoft.insights/components"], [], "traces", False, SourceKind.OTHER),
    (["microsoft.compute/virtualmachines"], [], "Heartbeat", False, SourceKind.OTHER),
    ([None], [None], None, False, SourceKind.OTHER),
])
def test_source_classification(types, tables, query, cluster, expected):
    assert classify_source(types, tables, query, has_cluster=cluster) is expected
