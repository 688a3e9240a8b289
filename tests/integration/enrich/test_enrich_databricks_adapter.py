"""DatabricksRuns through the real databricks-sdk against the fake workspace."""

import pytest

from shared.enrich.databricks import DatabricksRuns
from shared.errors import PermanentError, RetryableError
from tests.fakes_http.databricks_server import DatabricksServer, load_fixture

RUN, TASK = 987654321098765, 556677889900112


def test_get_run_sends_a_well_formed_pat_and_returns_the_rest_shape(databricks, dbx_server):
    run = databricks.get_run(str(RUN))
    assert run["run_id"] == RUN and len(run["tasks"]) == 3
    assert run["tasks"][1]["status"]["termination_details"]["code"] == "RUN_EXECUTION_ERROR"
    calls = dbx_server.requests_to(r"/jobs/runs/get$")
    assert calls[0].headers["authorization"] == f"Bearer {dbx_server.token}"
    assert calls[0].query["run_id"] == [str(RUN)]
    assert dbx_server.errors == [] and dbx_server.auth_failures == []


def test_task_output_cluster_and_job(databricks, dbx_server):
    output = databricks.get_run_output(TASK)
    assert output["error"].startswith("AnalysisException") and "\x1b[0;31m" in output["error_trace"]
    cluster = databricks.get_cluster("0604-021503-xyz98765")
    assert cluster["termination_reason"]["code"] == "CLOUD_PROVIDER_LAUNCH_FAILURE"
    assert cluster["custom_tags"]["cost_center"] == "CC-4711"
    assert databricks.get_job(123456789012345)["settings"]["tags"]["owner"] == "sales-analytics"
    assert dbx_server.parent_output_requests == []


def test_get_output_on_a_multitask_parent_is_rejected_like_the_real_api(databricks, dbx_server):
    with pytest.raises(PermanentError) as err:
        databricks.get_run_output(RUN)
    assert err.value.status == 400 and "INVALID_PARAMETER_VALUE" in err.value.detail
    assert dbx_server.parent_output_requests == [RUN]


def test_runs_with_more_than_a_page_of_tasks_are_paged_by_the_sdk(databricks, dbx_server):
    dbx_server.tasks_page_size = 2
    run = databricks.get_run(RUN)
    assert [t["task_key"] for t in run["tasks"]] == ["ingest_sales", "transform_sales", "publish_sales"]
    assert len(dbx_server.requests_to(r"/jobs/runs/get$")) == 2


def test_429_retry_after_is_honoured_then_succeeds(databricks, dbx_server, sdk_clock):
    dbx_server.throttle(r"/jobs/runs/get$", times=2, retry_after=7)
    assert databricks.get_run(RUN)["run_id"] == RUN
    assert len(dbx_server.requests_to(r"/jobs/runs/get$")) == 3
    assert len(sdk_clock.sleeps) == 2 and all(s >= 7 for s in sdk_clock.sleeps)


def test_503_until_the_retry_budget_is_spent_is_retryable(databricks, dbx_server):
    dbx_server.fail_next(r"/jobs/runs/get$", 503, times=1000)
    with pytest.raises(RetryableError) as err:
        databricks.get_run(RUN)
    assert err.value.status == 503 and err.value.system == "Databricks"
    assert len(dbx_server.requests_to(r"/jobs/runs/get$")) > 1


def test_500_is_retryable_without_sdk_retries(databricks, dbx_server):
    dbx_server.fail_next(r"/jobs/runs/get$", 500, times=1)
    with pytest.raises(RetryableError) as err:
        databricks.get_run(RUN)
    assert err.value.status == 500


def test_403_is_permanent_and_names_no_secret(dbx_server, sdk_clock):
    client = DatabricksRuns(dbx_server.url, token="dapi-wrong-token", http_timeout=0.5, retry_timeout=5,
                            clock=sdk_clock)
    with pytest.raises(PermanentError) as err:
        client.get_run(RUN)
    assert err.value.status == 403
    assert "dapi" not in str(err.value) and "dapi" not in repr(client)
    assert dbx_server.auth_failures == ["/api/2.2/jobs/runs/get: wrong token"]


def test_a_hanging_workspace_times_out_as_retryable(dbx_server, sdk_clock):
    client = DatabricksRuns(dbx_server.url, token=dbx_server.token, http_timeout=0.2, retry_timeout=3,
                            clock=sdk_clock)
    dbx_server.fail_next(r"/jobs/runs/get$", 200, times=20, delay=0.6)
    with pytest.raises(RetryableError) as err:
        client.get_run(RUN)
    assert "timed out" in err.value.detail


def test_entra_token_provider_is_asked_for_the_azure_databricks_scope(dbx_server, sdk_clock):
    scopes: list[str] = []

    def provider(scope: str) -> str:
        scopes.append(scope)
        return dbx_server.token

    client = DatabricksRuns(dbx_server.url, token_provider=provider, http_timeout=0.5, retry_timeout=5,
                            clock=sdk_clock)
    assert client.get_run(RUN)["run_id"] == RUN
    assert scopes and set(scopes) == {"2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default"}


def test_the_client_is_built_lazily_and_once(dbx_server, sdk_clock):
    client = DatabricksRuns(dbx_server.url, token=dbx_server.token, clock=sdk_clock)
    assert dbx_server.requests == []  # constructing the adapter makes no call
    client.get_run(RUN)
    client.get_run_output(TASK)
    probes = dbx_server.requests_to(r"/\.well-known/databricks-config")
    assert len(probes) <= 1


def test_fake_answers_a_task_run_id_as_a_one_task_run():
    server = DatabricksServer()
    server.add_output(TASK, load_fixture("runs_get_output_failed_notebook_task.json"))
    with server:
        run = DatabricksRuns(server.url, token=server.token).get_run(TASK)
    assert run["run_id"] == TASK and run["job_run_id"] == RUN


def test_no_token_in_any_log_record_even_at_debug(dbx_server, sdk_clock, caplog):
    caplog.set_level("DEBUG")
    client = DatabricksRuns(dbx_server.url, token=dbx_server.token, http_timeout=0.5, retry_timeout=3,
                            clock=sdk_clock)
    client.get_run(RUN)
    dbx_server.fail_next(r"/jobs/runs/get$", 403)
    with pytest.raises(PermanentError):
        client.get_run(RUN)
    assert caplog.records and all(dbx_server.token not in r.getMessage() for r in caplog.records)
