"""enrich(): orchestration over (possibly missing) adapters, on the sample runs."""

from datetime import UTC, datetime

from enrich_stubs import FACTORY_ID, NOW, StubAdf, StubDatabricks, fixture, permanent, retryable, ticket

from shared.enrich.databricks_steps import failed_tasks, parse_run_page_url
from shared.enrich.model import EnrichStatus
from shared.enrich.service import enrich


def job_ticket(**kw):
    return ticket(**{"source": "databricks_job", "job_id": "123456789012345", "run_id": "987654321098765", **kw})


def adf_ticket(**kw):
    return ticket(**{"source": "adf", "pipeline": "PL_Ingest_Sales", "resource_id": FACTORY_ID, **kw})


def test_multitask_run_yields_the_failed_task_with_its_real_error():
    dbx = StubDatabricks.with_samples()
    result = enrich(job_ticket(), dbx, None, NOW)
    assert result.status == EnrichStatus.OK, result.notes
    assert [s.name for s in result.failed_steps] == ["transform_sales"]  # not the SKIPPED or SUCCESS ones
    step = result.failed_steps[0]
    assert step.run_id == "556677889900112" and step.kind == "notebook"
    assert step.error_message.startswith("AnalysisException: [TABLE_OR_VIEW_NOT_FOUND]")
    assert "\x1b" not in step.error_trace and "spark.table" in step.error_trace
    assert step.termination_code == "RUN_EXECUTION_ERROR" and step.termination_type == "CLIENT_ERROR"
    assert result.run.termination_code == "RUN_EXECUTION_ERROR"
    assert result.run.run_page_url.endswith("#job/123456789012345/run/987654321098765")
    assert result.run.start == datetime(2025, 6, 3, 2, 0, 0, 123000, tzinfo=UTC)
    assert result.cluster is None  # a code error: no cluster lookup
    assert result.tags == {"cost_center": "CC-4711", "owner": "sales-analytics", "env": "prod"}
    assert ("get_run_output", "987654321098765") not in dbx.calls
    assert ("get_cluster", "0603-020012-abcd1234") not in dbx.calls


def test_cluster_caused_failure_fetches_the_cluster_termination_reason():
    dbx = StubDatabricks.with_samples()
    result = enrich(job_ticket(run_id="987654321098999"), dbx, None, NOW)
    assert result.status == EnrichStatus.OK, result.notes
    assert result.cluster.cluster_id == "0604-021503-xyz98765"
    assert result.cluster.termination_code == "CLOUD_PROVIDER_LAUNCH_FAILURE"
    assert result.cluster.termination_type == "CLOUD_FAILURE"
    assert result.cluster.termination_parameters["azure_error_code"] == "OperationNotAllowed"
    assert "Cores quota" in result.cluster.termination_message
    step = result.failed_steps[0]
    assert step.name == "ingest_sales" and step.termination_code == "CLUSTER_ERROR"
    assert "CLOUD_PROVIDER_LAUNCH_FAILURE" in step.error_message  # no `error` in its output: termination message
    assert result.tags["cost_center"] == "CC-4711" and result.tags["team"] == "data-platform"


def test_doc_sample_run_with_internal_error_tasks():
    dbx = StubDatabricks()
    run = fixture("databricks/runs_get_2.1_doc_sample.json")
    dbx.runs[str(run["run_id"])] = run
    result = enrich(job_ticket(run_id=str(run["run_id"])), dbx, None, NOW)
    assert [t["task_key"] for t in failed_tasks(run)] == ["Orders_Ingest", "Sessionize"]
    assert "'Manage' permissions are required" in result.failed_steps[0].error_message
    assert result.status == EnrichStatus.PARTIAL  # no outputs / job / cluster in this stub: noted
    assert any("output of task Orders_Ingest unavailable: 400 from Databricks" in n for n in result.notes)


def test_run_fetch_failure_degrades_with_a_note_and_no_secret():
    dbx = StubDatabricks.with_samples()
    dbx.errors["get_run"] = permanent()
    result = enrich(job_ticket(), dbx, None, NOW)
    assert result.status == EnrichStatus.UNAVAILABLE and not result.retryable
    assert result.notes == ["enrichment unavailable: 403 from Databricks (PERMISSION_DENIED)"]
    dbx.errors["get_run"] = retryable()
    again = enrich(job_ticket(), dbx, None, NOW)
    assert again.retryable and again.notes == ["enrichment unavailable: 503 from Databricks"]


def test_task_output_failure_is_partial_and_keeps_the_termination_message():
    dbx = StubDatabricks.with_samples()
    dbx.errors["get_run_output"] = retryable(status=429)
    result = enrich(job_ticket(), dbx, None, NOW)
    assert result.status == EnrichStatus.PARTIAL and result.retryable
    assert result.failed_steps[0].error_message == "Workload failed, see run output for details"
    assert "output of task transform_sales unavailable: 429 from Databricks" in result.notes


def test_unconfigured_or_unknown_sources_are_skipped():
    assert enrich(job_ticket(), None, None, NOW).notes == ["Databricks not configured"]
    assert enrich(adf_ticket(run_id="x"), None, None, NOW).notes == ["ADF not configured"]
    assert enrich(ticket(source="azure_function"), None, None, NOW).status == EnrichStatus.SKIPPED
    assert enrich(job_ticket(run_id=None), StubDatabricks(), None, NOW).status == EnrichStatus.SKIPPED


def test_unexpected_shapes_never_raise():
    dbx = StubDatabricks()
    dbx.runs["1"] = {"run_id": 1, "tasks": "not a list"}
    result = enrich(job_ticket(run_id="1"), dbx, None, NOW)
    assert result.status == EnrichStatus.UNAVAILABLE
    assert result.notes[0].startswith("enrichment failed: internal error")


def test_adf_run_lists_only_failed_activities_and_follows_the_notebook():
    adf, dbx = StubAdf.with_samples(), StubDatabricks.with_samples()
    result = enrich(adf_ticket(run_id="7a3c9e21-4b8d-4f6e-9c12-5d0e8f3a6b77"), dbx, adf, NOW)
    assert result.status == EnrichStatus.OK, result.notes
    names = [s.name for s in result.failed_steps]
    assert names[0] == "Copy_Sales_From_Blob"  # the activity the run message blames
    assert sorted(names) == ["AF_Notify_Start", "Copy_Sales_From_Blob", "NB_Transform_Sales"]
    nb = next(s for s in result.failed_steps if s.name == "NB_Transform_Sales")
    assert nb.error_code == "3204" and nb.kind == "DatabricksNotebook"
    assert nb.error_message.startswith("AnalysisException: [TABLE_OR_VIEW_NOT_FOUND]")  # not "Job execution failed."
    assert "spark.table" in nb.error_trace
    assert nb.run_page_url.endswith("/run/556677889900112")
    assert result.run.run_page_url.startswith("https://adf.azure.com/monitoring/pipelineruns/7a3c9e21-")
    assert result.tags["cost_center"] == "CC-1200" and result.tags["owner"] == "data-platform"


def test_adf_notebook_not_followed_without_databricks_is_partial():
    result = enrich(adf_ticket(run_id="7a3c9e21-4b8d-4f6e-9c12-5d0e8f3a6b77"), None, StubAdf.with_samples(), NOW)
    assert result.status == EnrichStatus.PARTIAL
    assert "Databricks not configured: run 987654321098765 of NB_Transform_Sales not followed" in result.notes
    assert len(result.failed_steps) == 3


def test_runless_alert_discovers_failed_runs_in_the_window():
    adf = StubAdf.with_samples()
    alert = {"window_start": "2025-06-03T02:11:30.000Z", "window_end": "2025-06-03T02:16:30.000Z"}
    result = enrich(adf_ticket(enrichment={"alert": alert}), None, adf, NOW)
    _, pipeline, start, end = adf.calls[0]
    assert pipeline == "PL_Ingest_Sales"
    assert start == datetime(2025, 6, 3, 2, 6, 30, tzinfo=UTC)
    assert end == NOW  # never past now
    assert [r.run_id for r in result.discovered_runs] == ["7a3c9e21-4b8d-4f6e-9c12-5d0e8f3a6b77",
                                                          "b4d2f6a8-1c3e-4f5a-8b7c-9d0e1f2a3b4c"]
    assert result.discovered_runs[0].resource_id.endswith("/factories/adf-contoso-prod")
    assert result.run.run_id == "7a3c9e21-4b8d-4f6e-9c12-5d0e8f3a6b77"  # the first run's evidence
    assert result.failed_steps and "found 2 failed run(s) of PL_Ingest_Sales in the alert window" in result.notes


def test_runless_alert_with_no_run_found_is_partial():
    adf = StubAdf.with_samples()
    alert = {"window_start": "2025-06-04T02:11:30Z", "window_end": "2025-06-04T02:16:30Z"}
    result = enrich(adf_ticket(enrichment={"alert": alert}), None, adf, datetime(2025, 6, 4, 3, tzinfo=UTC))
    assert result.status == EnrichStatus.PARTIAL and result.discovered_runs == []
    assert result.notes[0].startswith("no failed run of PL_Ingest_Sales found between")


def test_adf_scope_needs_a_resource_id_or_settings():
    adf = StubAdf.with_samples()
    result = enrich(ticket(source="adf", run_id="7a3c9e21-4b8d-4f6e-9c12-5d0e8f3a6b77"), None, adf, NOW)
    assert result.status == EnrichStatus.SKIPPED and "no factory" in result.notes[0]


def test_run_page_url_forms():
    assert parse_run_page_url("https://adb-1.7.azuredatabricks.net/?o=1#job/123/run/456") == "456"
    assert parse_run_page_url("https://adb-1.7.azuredatabricks.net/jobs/123/runs/789?o=1") == "789"
    assert parse_run_page_url("https://example.com/nothing") is None


def test_metric_alert_not_split_by_pipeline_discovers_every_failed_run_in_the_window():
    adf = StubAdf.with_samples()
    alert = {"window_start": "2025-06-03T02:11:30Z", "window_end": "2025-06-03T02:16:30Z"}
    result = enrich(adf_ticket(pipeline=None, enrichment={"alert": alert}), None, adf, NOW)
    assert adf.calls[0][1] is None  # no PipelineName filter
    assert {r.pipeline for r in result.discovered_runs} == {"PL_Ingest_Sales", "PL_Export_Finance"}
    assert "found 3 failed run(s) of any pipeline in the alert window" in result.notes


def test_a_runless_alert_without_pipeline_or_window_is_not_guessed_at():
    adf = StubAdf.with_samples()
    result = enrich(adf_ticket(pipeline=None), None, adf, NOW)
    assert result.status == EnrichStatus.SKIPPED and adf.calls == []


def test_error_notes_carry_status_and_code_but_no_body():
    from shared.enrich.service import describe_error
    from shared.errors import PermanentError, RetryableError

    body = PermanentError("ADF", "403 The client 'abc' with object id 'x' has no access", status=403)
    assert describe_error(body) == "403 from ADF"
    assert describe_error(PermanentError("ADF", "403 AuthorizationFailed", status=403)) == "403 from ADF (AuthorizationFailed)"
    assert describe_error(RetryableError("Databricks", "timed out (runs/get)")) == "Databricks timed out"
