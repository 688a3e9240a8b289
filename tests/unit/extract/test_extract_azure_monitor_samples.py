"""Every Azure Monitor sample payload: the exact fields extracted, or the PayloadError code."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.alerts import AlertEvent, SourceKind
from shared.extract import PayloadError, extract_azure_monitor

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "azure_monitor"
SUB = "11111111-2222-3333-4444-555555555555"
FACTORY_ID = f"/subscriptions/{SUB}/resourcegroups/rg-dataplatform-prod/providers/microsoft.datafactory/factories/adf-contoso-prod"
RUN = "7a3c9e21-4b8d-4f6e-9c12-5d0e8f3a6b77"


def load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def only(name: str):
    alerts = extract_azure_monitor(load(name))
    assert len(alerts) == 1, alerts
    return alerts[0]


def test_adf_pipeline_failed_metric_alert_names_the_pipeline_but_no_run():
    alert = only("derived_adf_pipeline_failed_metric_alert_fired.json")
    assert (alert.source, alert.event, alert.signal) == (SourceKind.ADF, AlertEvent.FAILURE, "metric")
    assert alert.pipeline == "PL_Ingest_Sales" and alert.run_id is None and alert.activity is None
    assert alert.failure_type == "UserError" and alert.metric == "PipelineFailedRuns"
    assert alert.alert_id.endswith("/alerts/5c1e4a7b-9d2f-4e63-8a10-3b7f6d2e9c41")
    assert alert.alert_rule == "adf-pipeline-failed-runs"
    assert alert.alert_rule_id.endswith("/metricAlerts/adf-pipeline-failed-runs")
    assert alert.azure_severity == "Sev1" and alert.monitor_condition == "Fired"
    assert alert.fired_at == datetime(2025, 6, 3, 2, 17, 41, 209311, tzinfo=UTC)
    assert (alert.window_start, alert.window_end) == (utc("2025-06-03T02:11:30"), utc("2025-06-03T02:16:30"))
    assert alert.resource_id == FACTORY_ID and alert.resource_name == "adf-contoso-prod"
    assert (alert.subscription_id, alert.resource_group) == (SUB, "rg-dataplatform-prod")
    assert alert.dimensions == {"Name": "PL_Ingest_Sales", "FailureType": "UserError"}
    assert alert.tags == {"team": "data-platform", "runbook": "https://wiki.contoso.example/runbooks/adf"}
    assert alert.resolved_at is None


def test_adf_pipeline_metric_resolved_keeps_the_alert_id_and_says_resolved():
    fired = only("derived_adf_pipeline_failed_metric_alert_fired.json")
    resolved = only("derived_adf_pipeline_failed_metric_alert_resolved.json")
    assert resolved.event is AlertEvent.RESOLVED and resolved.monitor_condition == "Resolved"
    assert resolved.alert_id == fired.alert_id and resolved.pipeline == "PL_Ingest_Sales"
    assert resolved.resolved_at == datetime(2025, 6, 3, 2, 37, 12, 551890, tzinfo=UTC)
    assert resolved.window_end == utc("2025-06-03T02:36:30")


def test_adf_activity_metric_maps_name_to_the_activity():
    alert = only("derived_adf_activity_failed_metric_alert.json")
    assert (alert.source, alert.metric) == (SourceKind.ADF, "ActivityFailedRuns")
    assert (alert.pipeline, alert.activity, alert.activity_type) == ("PL_Ingest_Sales", "NB_Transform_Sales",
                                                                      "DatabricksNotebook")
    assert alert.failure_type == "UserError" and alert.run_id is None and alert.azure_severity == "Sev2"
    assert alert.tags == {}  # customProperties and alertContext.properties are both null


def test_adf_pipeline_log_v2_carries_run_id_and_filtered_links():
    alert = only("derived_adf_pipeline_failed_log_alert_v2.json")
    assert (alert.source, alert.signal, alert.event) == (SourceKind.ADF, "log_v2", AlertEvent.FAILURE)
    assert (alert.pipeline, alert.run_id, alert.failure_type) == ("PL_Ingest_Sales", RUN, "UserError")
    # _ResourceId names the factory; the alert target is only the Log Analytics workspace
    assert alert.resource_id == FACTORY_ID and alert.resource_name == "adf-contoso-prod"
    assert alert.links.search_results_api.startswith("https://api.loganalytics.io/v1/workspaces/9f8e7d6c")
    assert "tostring%28RunId%29" in alert.links.search_results_api  # the filtered variant
    assert alert.links.search_results_ui.startswith("https://portal.azure.com#@aaaabbbb")
    assert alert.dimensions["RunId"] == RUN and alert.dimensions["_ResourceId"] == FACTORY_ID
    assert alert.tags == {"team": "data-platform"}
    assert alert.alert_rule_id is None and alert.azure_severity == "Sev1"
    assert (alert.window_start, alert.window_end) == (utc("2025-06-03T02:05:00"), utc("2025-06-03T02:20:00"))


def test_adf_activity_log_v1_gives_one_alert_per_failed_row():
    alerts = extract_azure_monitor(load("derived_adf_activity_failed_log_alert_v1_searchresults.json"))
    assert [a.activity for a in alerts] == ["Copy_Sales_From_Blob", "NB_Transform_Sales"]
    copy, notebook = alerts
    assert {a.source for a in alerts} == {SourceKind.ADF} and {a.signal for a in alerts} == {"log_v1"}
    assert {a.run_id for a in alerts} == {RUN} and {a.pipeline for a in alerts} == {"PL_Ingest_Sales"}
    assert (copy.error_code, copy.activity_type, copy.failure_type) == ("2200", "Copy", "UserError")
    assert copy.error_message.startswith("ErrorCode=UserErrorSourceBlobNotExists")
    assert copy.activity_run_id == "c2e4a6b8-0d1f-4e3a-9c5b-7d9f1b3d5e7a"
    assert (notebook.error_code, notebook.error_message) == ("3204", "Job execution failed.")
    assert notebook.activity_run_id == "e1f3a5c7-9b2d-4f6a-8c0e-2a4c6e8a0b2c"
    assert copy.resource_id == FACTORY_ID and copy.resource_name == "adf-contoso-prod"
    assert copy.window_start == utc("2025-06-03T02:05:00") and copy.window_end == utc("2025-06-03T02:20:00")
    assert copy.links.search_results_api.startswith("https://api.loganalytics.io/v1/workspaces/9f8e7d6c")
    assert copy.alert_id == notebook.alert_id and copy.azure_severity == "Sev2"


def test_synapse_metric_names_the_pipeline_from_the_pipeline_dimension():
    alert = only("derived_synapse_pipeline_failed_metric_alert.json")
    assert (alert.source, alert.pipeline, alert.failure_type) == (SourceKind.SYNAPSE, "PL_Load_DW", "UserError")
    assert alert.metric == "IntegrationPipelineRunsEnded" and alert.dimensions["Result"] == "Failed"
    assert alert.resource_name == "syn-contoso-prod" and alert.run_id is None


def test_databricks_cluster_termination_v2_identifies_the_termination():
    alert = only("derived_databricks_cluster_terminated_log_alert_v2.json")
    assert alert.source is SourceKind.DATABRICKS_CLUSTER and alert.signal == "log_v2"
    assert (alert.cluster_id, alert.cluster_name) == ("0603-041522-abcd1234",
                                                      "job-123456789012345-run-987654321098765")
    # No log row time in a V2 alert: the alert instance (shared by every window and the Resolved) names it.
    assert alert.termination_event == "deleteResult@alert-6e8a0c2e-4f6b-4d8f-b1a3-c5e7f9b1d3f5"
    assert alert.resource_name == "dbw-contoso-prod" and alert.azure_severity == "Sev3"
    assert alert.run_id is None and alert.job_id is None  # not invented from the cluster name
    assert alert.tags == {}


def test_function_app_http5xx_metric_is_an_azure_function_alert():
    alert = only("derived_function_app_http5xx_metric_alert.json")
    assert (alert.source, alert.metric, alert.resource_name) == (SourceKind.AZURE_FUNCTION, "Http5xx",
                                                                 "func-contoso-ingest")
    assert alert.dimensions == {"Instance": "dw0SmallDedicatedWebWorkerRole_hr0HostRole-0-VM-12"}
    assert alert.pipeline is None and alert.error_code is None


def test_function_app_failed_requests_v2_names_the_function_and_result_code():
    alert = only("derived_function_app_failed_requests_log_alert_v2.json")
    assert alert.source is SourceKind.AZURE_FUNCTION
    assert (alert.activity, alert.error_code, alert.resource_name) == ("IngestBlob", "500", "func-contoso-ingest")
    assert alert.resource_id.endswith("/microsoft.insights/components/appi-contoso-ingest")
    assert alert.tags == {"team": "integration"} and alert.azure_severity == "Sev2"


def test_doc_metric_alert_resolved():
    alert = only("common_schema_metric_alert_resolved.json")
    assert (alert.source, alert.event, alert.monitor_condition) == (SourceKind.OTHER, AlertEvent.RESOLVED,
                                                                    "Resolved")
    assert alert.resolved_at == datetime(2019, 3, 22, 14, 3, 16, 224631, tzinfo=UTC)
    assert alert.metric == "Percentage CPU" and alert.azure_severity == "Sev3"
    assert alert.dimensions == {"ResourceId": "a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1"}
    assert alert.resource_name == "wcus-r2-gen2" and alert.resource_group == "pipelinealertrg"
    assert alert.tags == {"Key1": "Value1", "Key2": "Value2"} and alert.description is None


@pytest.mark.parametrize("name, rule, dims", [
    ("common_schema_metric_static_test_action.json", "test-metricAlertRule", {"ApiName": "GetBlob"}),
    ("common_schema_metric_dynamic_test_action.json", "test-dynamicMetricAlertRule", {}),
])
def test_doc_metric_test_actions(name, rule, dims):
    alert = only(name)
    assert (alert.source, alert.event, alert.metric, alert.alert_rule) == (SourceKind.OTHER, AlertEvent.FAILURE,
                                                                           "Transactions", rule)
    assert alert.dimensions == dims and alert.resource_name == "test-storageAccount"
    assert alert.tags == {"customKey1": "value1", "customKey2": "value2"}
    assert alert.window_end is not None and alert.window_end.tzinfo is UTC


def test_doc_log_v2_test_action():
    alert = only("common_schema_log_v2_test_action.json")
    assert (alert.source, alert.signal, alert.azure_severity) == (SourceKind.OTHER, "log_v2", "Sev4")
    assert alert.dimensions == {"Computer": "test-computer"} and alert.run_id is None
    assert "tostring%28Computer%29" in alert.links.search_results_api
    assert alert.tags == {"customKey1": "value1", "customKey2": "value2"}
    assert alert.resource_name == "test-logAnalyticsWorkspace"


def test_doc_log_v2_resource_logs_without_configuration_items():
    alert = only("common_schema_log_v2_resource_logs_2021_08_01.json")
    assert alert.signal == "log_v2" and alert.source is SourceKind.OTHER
    assert (alert.resource_name, alert.resource_group) == ("testvm", "TEST")  # from the ResourceId dimension
    assert alert.links.search_results_api.startswith("https://api.loganalytics.io/v1/subscriptions/")
    assert alert.fired_at == datetime(2020, 7, 9, 14, 4, 49, 996450, tzinfo=UTC)
    assert alert.tags == {"name1": "value1", "name2": "value2"}


@pytest.mark.parametrize("name, rule", [
    ("common_schema_log_v1_metric_measurement_test_action.json", "test-logAlertRule-v1-metricMeasurement"),
    ("common_schema_log_v1_number_of_results_test_action.json", "test-logAlertRule-v1-numResults"),
])
def test_doc_log_v1_rows_that_name_no_failure_give_one_alert_level_alert(name, rule):
    alert = only(name)
    assert (alert.signal, alert.alert_rule, alert.source) == ("log_v1", rule, SourceKind.OTHER)
    assert alert.run_id is None and alert.pipeline is None and alert.error_message is None
    assert alert.links.search_results_api.startswith("https://api.loganalytics.io/v1/workspaces/dddd3333")
    assert alert.links.search_results_ui.startswith("https://portal.azure.com#@cccc2222")
    assert alert.window_start is not None


def test_doc_activity_log_administrative():
    alert = only("common_schema_activity_log_administrative_test_action.json")
    assert (alert.signal, alert.source, alert.azure_severity) == ("activity_log", SourceKind.OTHER, "Sev4")
    assert alert.dimensions["operationName"] == "Microsoft.Compute/virtualMachines/restart/action"
    assert alert.dimensions["status"] == "Succeeded" and alert.dimensions["caller"] == "user@contoso.com"
    assert alert.dimensions["eventCategory"] == "Administrative"
    assert alert.resource_name == "test-VM" and alert.resource_group == "test-RG"
    assert alert.tags == {}  # activity-log properties describe the event, they are not custom properties


def test_doc_service_health_resolved_stage():
    alert = only("common_schema_service_health_test_action_resolved.json")
    assert (alert.signal, alert.source, alert.event) == ("service_health", SourceKind.OTHER, AlertEvent.RESOLVED)
    assert alert.monitor_condition == "Fired"  # as sent; the stage says the incident is over
    assert alert.dimensions["trackingId"] == "TEST-TTT" and alert.dimensions["level"] == "3"
    assert alert.error_message == "TestActionGroup-TestServiceHealthAlert"
    assert alert.subscription_id == "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e" and alert.resource_name is None


@pytest.mark.parametrize("name, schema", [
    ("legacy_metric_alert_AzureMonitorMetricAlert.json", "AzureMonitorMetricAlert"),
    ("legacy_activity_log_administrative_Microsoft.Insights_activityLogs.json", "Microsoft.Insights/activityLogs"),
    ("legacy_log_alert_app_insights_Microsoft.Insights_LogAlert.json", "Microsoft.Insights/LogAlert"),
    ("legacy_log_alert_v1_metric_measurement_no_schemaId.json", None),
])
def test_legacy_schemas_are_refused_with_advice(name, schema):
    with pytest.raises(PayloadError) as caught:
        extract_azure_monitor(load(name))
    assert caught.value.code == "non_common_schema"
    assert "useCommonAlertSchema: true" in caught.value.message
    assert caught.value.details[0]["field"] == "schemaId"
    if schema:
        assert schema in caught.value.message


def test_fragments_alone_are_not_alerts():
    for name in ("fragment_alertcontext_log_v1_log_analytics.json", "fragment_alertcontext_simple_log_alert.json"):
        with pytest.raises(PayloadError) as caught:
            extract_azure_monitor(load(name))
        assert caught.value.code == "invalid_alert"
        assert {"field": "data.essentials", "problem": "missing"} in caught.value.details


def wrap(context: dict, service: str, target: str) -> dict:
    essentials = {"alertId": "/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/frag-1",
                  "alertRule": "fragment-rule", "severity": "Sev3", "monitorCondition": "Fired",
                  "monitoringService": service, "alertTargetIDs": [target],
                  "firedDateTime": "2019-03-22T13:52:00Z"}
    return {"schemaId": "azureMonitorCommonAlertSchema", "data": {"essentials": essentials, **context}}


def test_v1_fragment_in_an_envelope_reads_dotnet_dates_and_dimensions():
    workspace = "/subscriptions/s/resourcegroups/rg/providers/microsoft.operationalinsights/workspaces/test"
    payload = wrap(load("fragment_alertcontext_log_v1_log_analytics.json"), "Log Analytics", workspace)
    [alert] = extract_azure_monitor(payload)  # the rows are Computer counts: nothing that names a failure
    assert alert.window_start == utc("2019-03-22T13:36:31") and alert.window_end == utc("2019-03-22T13:51:31")
    assert alert.dimensions == {"Computer": "INC-Gen2Alert"} and alert.signal == "log_v1"
    assert alert.links.search_results_api == ("https://api.loganalytics.io/v1/workspaces/workspaceID/query?"
                                              "query=Heartbeat&timespan=2020-05-07T18%3a11%3a51.0000000Z%2f"
                                              "2020-05-07T18%3a16%3a51.0000000Z")


def test_simple_log_alert_fragment_in_an_envelope_reads_event_rows():
    component = "/subscriptions/s/resourceGroups/rg/providers/microsoft.insights/components/appi-orders"
    payload = wrap(load("fragment_alertcontext_simple_log_alert.json"), "Simple Log Alert", component)
    [alert] = extract_azure_monitor(payload)
    assert (alert.signal, alert.source) == ("log_simple", SourceKind.AZURE_FUNCTION)
    assert alert.activity == "GET /api/orders"
    assert alert.error_message == "Object reference not set to an instance of an object."
    assert alert.dimensions == {} and alert.window_start is None
    assert alert.links.search_results_api.startswith("https://api.applicationinsights.io/v1/apps/0MyAppId0")


def test_every_azure_monitor_sample_is_covered_by_a_test():
    source = Path(__file__).read_text()
    missing = [path.name for path in SAMPLES.glob("*.json") if f'"{path.name}"' not in source]
    assert SAMPLES.is_dir() and not missing
