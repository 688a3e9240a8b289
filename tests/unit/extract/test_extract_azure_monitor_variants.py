"""Hand-made Azure Monitor variants: several rows, dropped statuses, missing/null fields, odd types."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.alerts import AlertEvent, SourceKind
from shared.extract import PayloadError, extract_azure_monitor

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "azure_monitor"
FACTORY = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.DataFactory/factories/adf-x"


def load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def refusal(payload: object) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        extract_azure_monitor(payload)
    return caught.value


def v1_with_rows(columns: list[str], rows: list[list], query: str = "ADFPipelineRun") -> dict:
    payload = load("derived_adf_activity_failed_log_alert_v1_searchresults.json")
    context = payload["data"]["alertContext"]
    context["SearchQuery"] = query
    context["SearchResults"] = {"tables": [{"name": "PrimaryResult",
                                            "columns": [{"name": c, "type": "string"} for c in columns],
                                            "rows": rows}]}
    return payload


PIPELINE_COLUMNS = ["TimeGenerated", "PipelineName", "RunId", "Status", "FailureType", "ErrorCode",
                    "ErrorMessage", "_ResourceId"]


def pipeline_row(run: str, status: str, pipeline: str = "PL_A") -> list:
    return ["2025-06-03T02:16:52Z", pipeline, run, status, "UserError", "2200", f"failed {run}", FACTORY]


def test_v1_pipeline_rows_keep_only_failed_ones_one_alert_each():
    payload = v1_with_rows(PIPELINE_COLUMNS, [pipeline_row("r1", "InProgress"), pipeline_row("r1", "Failed"),
                                              pipeline_row("r2", "Succeeded"), pipeline_row("r3", "Failed", "PL_B"),
                                              pipeline_row("r4", "Queued")])
    alerts = extract_azure_monitor(payload)
    assert [(a.pipeline, a.run_id, a.error_message) for a in alerts] == [("PL_A", "r1", "failed r1"),
                                                                         ("PL_B", "r3", "failed r3")]
    assert {a.source for a in alerts} == {SourceKind.ADF} and alerts[0].resource_name == "adf-x"
    assert alerts[0].resource_group == "rg1" and alerts[0].error_code == "2200"


def test_v1_with_only_non_failed_rows_falls_back_to_one_alert_level_alert():
    payload = v1_with_rows(PIPELINE_COLUMNS, [pipeline_row("r1", "Succeeded"), pipeline_row("r2", "InProgress")])
    [alert] = extract_azure_monitor(payload)
    assert alert.run_id is None and alert.pipeline is None and alert.source is SourceKind.ADF


def test_v1_repeated_identical_rows_are_one_failure():
    payload = v1_with_rows(PIPELINE_COLUMNS, [pipeline_row("r1", "Failed")] * 3)
    assert [a.run_id for a in extract_azure_monitor(payload)] == ["r1"]


def test_v1_without_search_results_gives_one_alert_level_alert():
    payload = load("derived_adf_activity_failed_log_alert_v1_searchresults.json")
    payload["data"]["alertContext"]["SearchResults"] = None  # V1 drops rows past 256 KB
    [alert] = extract_azure_monitor(payload)
    assert alert.source is SourceKind.ADF and alert.activity is None and alert.links.search_results_api


def test_v1_activity_error_column_json_fills_code_and_message():
    error = json.dumps({"errorCode": "3608", "message": "Call to provided Azure function failed",
                        "failureType": "UserError", "target": "AF_Notify"})
    payload = v1_with_rows(["PipelineRunId", "ActivityName", "ActivityType", "Status", "Error"],
                           [["r9", "AF_Notify", "AzureFunctionActivity", "Failed", error]], query="ADFActivityRun")
    [alert] = extract_azure_monitor(payload)
    assert (alert.run_id, alert.activity, alert.error_code) == ("r9", "AF_Notify", "3608")
    assert (alert.error_message, alert.failure_type) == ("Call to provided Azure function failed", "UserError")


def test_v1_databricks_cluster_rows_identify_each_termination_by_row_time():
    rows = [["2025-06-03T05:04:00Z", "deleteResult", json.dumps({"cluster_id": "c-1", "cluster_name": "etl"})],
            ["2025-06-03T05:08:00Z", "deleteResult", json.dumps({"clusterId": "c-2", "clusterName": "bi"})]]
    payload = v1_with_rows(["TimeGenerated", "ActionName", "RequestParams"], rows, query="DatabricksClusters")
    alerts = extract_azure_monitor(payload)
    assert [(a.source, a.cluster_id, a.cluster_name, a.termination_event) for a in alerts] == [
        (SourceKind.DATABRICKS_CLUSTER, "c-1", "etl", "deleteResult@2025-06-03T05:04:00Z"),
        (SourceKind.DATABRICKS_CLUSTER, "c-2", "bi", "deleteResult@2025-06-03T05:08:00Z"),
    ]


def test_v1_databricks_job_rows_use_the_parent_run_and_skip_successes():
    failed = json.dumps({"jobId": 11, "runId": 222, "multitaskParentRunId": 111, "taskKey": "load"})
    succeeded = json.dumps({"jobId": 11, "runId": 333})
    rows = [["2025-06-03T05:04:00Z", "runFailed", failed], ["2025-06-03T05:05:00Z", "runSucceeded", succeeded]]
    payload = v1_with_rows(["TimeGenerated", "ActionName", "RequestParams"], rows, query="DatabricksJobs")
    [alert] = extract_azure_monitor(payload)
    assert alert.source is SourceKind.DATABRICKS_JOB
    assert (alert.job_id, alert.run_id, alert.task_run_id, alert.activity) == ("11", "111", "222", "load")


def test_v1_table_column_names_the_source_table():
    payload = v1_with_rows(["$table", "RunId", "PipelineName", "Status"],
                           [["SynapseIntegrationPipelineRuns", "s1", "PL_S", "Failed"]], query="union *")
    [alert] = extract_azure_monitor(payload)
    assert (alert.source, alert.run_id) == (SourceKind.SYNAPSE, "s1")


def test_two_criteria_on_distinct_pipelines_give_two_alerts_same_pipeline_one():
    payload = load("derived_adf_pipeline_failed_metric_alert_fired.json")
    criteria = payload["data"]["alertContext"]["condition"]["allOf"]
    other = json.loads(json.dumps(criteria[0]))
    other["dimensions"][0]["value"] = "PL_Other"
    criteria.append(other)
    assert [a.pipeline for a in extract_azure_monitor(payload)] == ["PL_Ingest_Sales", "PL_Other"]
    criteria[1] = json.loads(json.dumps(criteria[0]))
    assert [a.pipeline for a in extract_azure_monitor(payload)] == ["PL_Ingest_Sales"]


def test_missing_configuration_items_and_targets():
    payload = load("derived_adf_pipeline_failed_metric_alert_fired.json")
    essentials = payload["data"]["essentials"]
    del essentials["configurationItems"]
    assert extract_azure_monitor(payload)[0].resource_name == "adf-contoso-prod"
    essentials["configurationItems"] = ["adf-contoso-prod"]
    essentials["alertTargetIDs"] = None
    [alert] = extract_azure_monitor(payload)
    assert (alert.resource_name, alert.resource_id, alert.source) == ("adf-contoso-prod", None, SourceKind.ADF)
    essentials["configurationItems"] = None
    assert extract_azure_monitor(payload)[0].resource_name is None


def test_null_or_missing_alert_rule_id():
    payload = load("derived_adf_pipeline_failed_metric_alert_fired.json")
    payload["data"]["essentials"]["alertRuleId"] = None
    assert extract_azure_monitor(payload)[0].alert_rule_id is None
    del payload["data"]["essentials"]["alertRuleId"]
    assert extract_azure_monitor(payload)[0].alert_rule_id is None


@pytest.mark.parametrize("name, path", [
    ("derived_adf_pipeline_failed_metric_alert_fired.json", ("condition", "allOf", 0, "threshold")),
    ("derived_adf_pipeline_failed_log_alert_v2.json", ("condition", "allOf", 0, "threshold")),
    ("derived_adf_activity_failed_log_alert_v1_searchresults.json", ("Threshold",)),
])
@pytest.mark.parametrize("threshold", [0, "0", 0.5, "0.5", None])
def test_threshold_as_number_or_string_does_not_matter(name, path, threshold):
    original = extract_azure_monitor(load(name))
    payload = load(name)
    node = payload["data"]["alertContext"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = threshold
    assert extract_azure_monitor(payload) == original


def test_target_ids_as_a_lone_string_and_custom_properties_win_over_context_properties():
    payload = load("derived_adf_pipeline_failed_log_alert_v2.json")
    payload["data"]["essentials"]["alertTargetIDs"] = FACTORY
    payload["data"]["customProperties"] = {"team": "override", "count": 3, "on": True, "gone": None}
    [alert] = extract_azure_monitor(payload)
    assert alert.tags == {"team": "override", "count": "3", "on": "true"}


@pytest.mark.parametrize("raw, expected", [("Sev0", "Sev0"), ("sev2", "Sev2"), ("3", "Sev3"), (4, "Sev4"),
                                           ("Critical", None), (None, None), (9, None)])
def test_severity_normalized(raw, expected):
    payload = load("derived_adf_pipeline_failed_metric_alert_fired.json")
    payload["data"]["essentials"]["severity"] = raw
    assert extract_azure_monitor(payload)[0].azure_severity == expected


def test_times_with_offsets_become_utc_and_padding_is_trimmed():
    payload = load("derived_adf_pipeline_failed_log_alert_v2.json")
    payload["data"]["essentials"]["firedDateTime"] = "2025-06-03T04:21:14+02:00"
    payload["data"]["essentials"]["alertRule"] = "  adf-pipeline-failed-log \n"
    payload["data"]["alertContext"]["condition"]["allOf"][0]["dimensions"][1]["value"] = f"  {'r-1'}  "
    [alert] = extract_azure_monitor(payload)
    assert alert.fired_at == datetime(2025, 6, 3, 2, 21, 14, tzinfo=UTC)
    assert alert.alert_rule == "adf-pipeline-failed-log" and alert.run_id == "r-1"


def test_activity_log_failure_on_a_factory_reads_the_status_message():
    payload = load("common_schema_activity_log_administrative_test_action.json")
    payload["data"]["essentials"]["alertTargetIDs"] = [FACTORY]
    context = payload["data"]["alertContext"]
    context["authorization"]["scope"] = FACTORY
    context["status"] = "Failed"
    context["properties"]["statusMessage"] = json.dumps(
        {"error": {"code": "AuthorizationFailed", "message": "The client does not have authorization"}})
    [alert] = extract_azure_monitor(payload)
    assert (alert.source, alert.error_code, alert.resource_name) == (SourceKind.ADF, "AuthorizationFailed", "adf-x")
    assert alert.error_message == "The client does not have authorization" and alert.dimensions["status"] == "Failed"


def test_resource_health_available_is_a_resolved_notice():
    payload = load("common_schema_activity_log_administrative_test_action.json")
    payload["data"]["essentials"]["monitoringService"] = "Resource Health"
    payload["data"]["alertContext"] = {"status": "Active", "properties": {
        "title": "Factory unavailable", "details": "Platform issue", "currentHealthStatus": "Available",
        "previousHealthStatus": "Unavailable", "type": "Downtime", "cause": "PlatformInitiated"}}
    [alert] = extract_azure_monitor(payload)
    assert (alert.signal, alert.event, alert.error_message) == ("resource_health", AlertEvent.RESOLVED,
                                                                "Platform issue")
    assert alert.dimensions["currentHealthStatus"] == "Available"


def test_unknown_monitoring_service_still_gives_an_alert_level_alert():
    payload = load("derived_function_app_http5xx_metric_alert.json")
    payload["data"]["essentials"]["monitoringService"] = "Smart Detector"
    payload["data"]["alertContext"] = "not an object"
    [alert] = extract_azure_monitor(payload)
    assert (alert.signal, alert.source, alert.resource_name) == ("other", SourceKind.AZURE_FUNCTION,
                                                                 "func-contoso-ingest")


def test_common_schema_without_schema_id_is_accepted():
    payload = load("derived_adf_pipeline_failed_metric_alert_fired.json")
    del payload["schemaId"]
    assert extract_azure_monitor(payload)[0].pipeline == "PL_Ingest_Sales"


def test_essentials_problems_are_all_reported():
    payload = load("derived_adf_pipeline_failed_metric_alert_fired.json")
    del payload["data"]["essentials"]["alertId"]
    payload["data"]["essentials"]["monitorCondition"] = "Activated"
    error = refusal(payload)
    assert error.code == "invalid_alert" and error.details == [
        {"field": "data.essentials.alertId", "problem": "missing"},
        {"field": "data.essentials.monitorCondition", "problem": "expected 'Fired' or 'Resolved'"},
    ]


@pytest.mark.parametrize("payload, code, field", [
    ([1, 2], "invalid_alert", "$"),
    ({"schemaId": "azureMonitorCommonAlertSchema"}, "invalid_alert", "data"),
    ({"schemaId": "azureMonitorCommonAlertSchema", "data": {"essentials": []}}, "invalid_alert", "data.essentials"),
    ({"schemaId": 5, "data": {}}, "invalid_alert", "schemaId"),
    ({"schemaId": "SomethingElse", "data": {}}, "unsupported_schema", "schemaId"),
    ({"data": {"status": "Activated", "context": {}}}, "non_common_schema", "schemaId"),
    ({}, "invalid_alert", "schemaId"),
])
def test_unusable_payloads(payload, code, field):
    error = refusal(payload)
    assert error.code == code and error.details[0]["field"] == field
    assert error.to_response() == {"error": {"code": code, "message": error.message, "details": error.details}}
