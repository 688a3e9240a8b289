"""ArmDataFactory against the fake ARM / Synapse endpoints: request shapes, paging, retries, errors."""

import time
from datetime import UTC, datetime

import pytest

from shared.adapters.http import retrying_session
from shared.enrich.adf import ArmDataFactory, parse_resource_id
from shared.errors import PermanentError, RetryableError

SUB, RG, FACTORY = "11111111-2222-3333-4444-555555555555", "rg-dataplatform-prod", "adf-contoso-prod"
FACTORY_ID = f"/subscriptions/{SUB}/resourcegroups/{RG}/providers/microsoft.datafactory/factories/{FACTORY}"
SYNAPSE_ID = f"/subscriptions/{SUB}/resourcegroups/{RG}/providers/microsoft.synapse/workspaces/syn-contoso-prod"
RUN = "7a3c9e21-4b8d-4f6e-9c12-5d0e8f3a6b77"
START = datetime(2025, 6, 3, 2, 6, 30, tzinfo=UTC)
END = datetime(2025, 6, 3, 2, 21, 30, tzinfo=UTC)


def test_scope_from_a_resource_id_or_the_settings(adf):
    scope = adf.scope_for(FACTORY_ID)
    assert scope.kind == "adf" and scope.api_version == "2018-06-01"
    assert scope.base_url.endswith(f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.DataFactory/factories/{FACTORY}")
    assert adf.scope_for(None) is None
    adf.default_factory = (SUB, RG, FACTORY)
    assert adf.scope_for(None) == scope
    assert parse_resource_id(SYNAPSE_ID) == ("synapse", SUB, RG, "syn-contoso-prod")


def test_query_pipeline_runs_sends_window_filters_and_api_version(adf, arm_server):
    runs = adf.query_pipeline_runs(adf.scope_for(FACTORY_ID), "PL_Ingest_Sales", START, END)
    assert [r["runId"] for r in runs] == [RUN, "b4d2f6a8-1c3e-4f5a-8b7c-9d0e1f2a3b4c"]
    (call,) = arm_server.requests_to(r"/queryPipelineRuns$", "POST")
    assert call.query["api-version"] == ["2018-06-01"]
    assert call.headers["authorization"] == f"Bearer {arm_server.arm_token}"
    body = call.json()
    assert body["lastUpdatedAfter"] == "2025-06-03T02:06:30.000000Z"
    assert body["lastUpdatedBefore"] == "2025-06-03T02:21:30.000000Z"
    assert {"operand": "PipelineName", "operator": "Equals", "values": ["PL_Ingest_Sales"]} in body["filters"]
    assert {"operand": "Status", "operator": "Equals", "values": ["Failed"]} in body["filters"]
    assert arm_server.errors == []


def test_continuation_tokens_are_followed(adf, arm_server):
    arm_server.page_size = 1
    runs = adf.query_pipeline_runs(adf.scope_for(FACTORY_ID), "PL_Ingest_Sales", START, END)
    assert len(runs) == 2
    calls = arm_server.requests_to(r"/queryPipelineRuns$")
    assert "continuationToken" not in calls[0].json() and calls[1].json()["continuationToken"] == "1"


def test_activity_runs_and_pipeline_run_and_tags(adf, arm_server):
    scope = adf.scope_for(FACTORY_ID)
    run = adf.get_pipeline_run(scope, RUN)
    assert run["status"] == "Failed"
    acts = adf.query_activity_runs(scope, RUN, datetime(2025, 6, 3, 1, 55, tzinfo=UTC),
                                   datetime(2025, 6, 3, 3, 17, tzinfo=UTC))
    assert {a["activityType"] for a in acts} == {"Copy", "DatabricksNotebook", "AzureFunctionActivity"}
    assert adf.get_resource_tags(scope) == {"cost_center": "CC-1200", "env": "prod", "owner": "data-platform"}
    assert arm_server.errors == []


def test_the_fake_rejects_a_query_without_the_window(adf, arm_server):
    scope = adf.scope_for(FACTORY_ID)
    with pytest.raises(PermanentError) as err:
        adf._request(scope, "POST", "/queryPipelineRuns", {"filters": []})
    assert err.value.status == 400
    assert "lastUpdatedAfter is required" in arm_server.errors[0]


def test_synapse_uses_the_workspace_endpoint_its_api_version_and_audience(adf, arm_server):
    scope = adf.scope_for(SYNAPSE_ID)
    assert scope.kind == "synapse" and scope.base_url == f"{arm_server.url}/synapse/syn-contoso-prod"
    runs = adf.query_pipeline_runs(scope, "PL_Load_DW", datetime(2025, 6, 3, 3, 51, tzinfo=UTC),
                                   datetime(2025, 6, 3, 4, 6, tzinfo=UTC))
    run_id = runs[0]["runId"]
    acts = adf.query_activity_runs(scope, run_id, datetime(2025, 6, 3, 3, 50, tzinfo=UTC),
                                   datetime(2025, 6, 3, 5, tzinfo=UTC), pipeline="PL_Load_DW")
    assert acts[0]["activityName"] == "SP_Merge_Sales"
    assert adf.get_resource_tags(scope) == {"cost_center": "CC-3300"}  # through ARM, not the workspace
    calls = arm_server.requests_to(r"^/synapse/")
    assert {c.query["api-version"][0] for c in calls} == {"2020-12-01"}
    assert {c.headers["authorization"] for c in calls} == {f"Bearer {arm_server.synapse_token}"}
    assert calls[1].path == f"/synapse/syn-contoso-prod/pipelines/PL_Load_DW/pipelineruns/{run_id}/queryActivityruns"
    assert arm_server.errors == []


def test_429_retry_after_is_honoured_then_succeeds(adf, arm_server):
    arm_server.fail_next(r"/queryPipelineRuns$", 429, times=1, headers={"Retry-After": "1"})
    started = time.monotonic()
    runs = adf.query_pipeline_runs(adf.scope_for(FACTORY_ID), "PL_Ingest_Sales", START, END)
    assert time.monotonic() - started >= 0.95 and len(runs) == 2
    assert len(arm_server.requests_to(r"/queryPipelineRuns$")) == 2


def test_5xx_exhausting_retries_is_retryable(adf, arm_server):
    arm_server.fail_next(r"/pipelineruns/", 503, times=10)
    with pytest.raises(RetryableError) as err:
        adf.get_pipeline_run(adf.scope_for(FACTORY_ID), RUN)
    assert err.value.status == 503 and err.value.system == "ADF"
    assert len(arm_server.requests_to(r"/pipelineruns/")) == 3  # first try + 2 retries


def test_403_is_permanent_with_the_arm_code_only(adf, arm_server):
    arm_server.fail_next(r"/pipelineruns/", 403, body={"error": {"code": "AuthorizationFailed",
                         "message": "The client 'x' with object id 'y' does not have authorization ..."}})
    with pytest.raises(PermanentError) as err:
        adf.get_pipeline_run(adf.scope_for(FACTORY_ID), RUN)
    assert err.value.status == 403 and err.value.detail == "403 AuthorizationFailed"


def test_a_hanging_endpoint_times_out_as_retryable(arm_server):
    session = retrying_session(total=1, backoff=0.01, timeout=0.2)
    adf = ArmDataFactory(arm_server.url, lambda scope: arm_server.arm_token, session=session)
    arm_server.fail_next(r"/pipelineruns/", 200, times=5, delay=0.6)
    with pytest.raises(RetryableError) as err:
        adf.get_pipeline_run(adf.scope_for(FACTORY_ID), RUN)
    assert err.value.detail == "timed out"


def test_a_missing_credential_is_permanent_and_quiet(arm_server):
    def no_identity(scope: str) -> str:
        raise RuntimeError("ManagedIdentityCredential: no identity endpoint (secret=abc)")

    adf = ArmDataFactory(arm_server.url, no_identity)
    with pytest.raises(PermanentError) as err:
        adf.get_pipeline_run(adf.scope_for(FACTORY_ID), RUN)
    assert "secret" not in str(err.value) and arm_server.requests == []


def test_no_token_in_any_log_record(adf, arm_server, caplog):
    caplog.set_level("DEBUG")
    arm_server.fail_next(r"/pipelineruns/", 403)
    with pytest.raises(PermanentError):
        adf.get_pipeline_run(adf.scope_for(FACTORY_ID), RUN)
    adf.get_pipeline_run(adf.scope_for(FACTORY_ID), RUN)
    assert caplog.records and all(arm_server.arm_token not in r.getMessage() for r in caplog.records)
