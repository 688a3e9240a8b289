"""Phenomenon-level patterns recognise messages worded differently from any catalog example.

Every message here was written for these tests in the style of real ADF, Synapse, Databricks,
Spark and SQL Server errors; none is taken from the evaluation data.
"""

from __future__ import annotations

import time

import pytest

from shared.rca.catalog import classify
from shared.rca.catalog_load import load_catalog
from shared.rca.catalog_match import match_evidence
from shared.rca.evidence import FailedStep, FailureEvidence
from shared.rca.model import Category as C

WORDED_DIFFERENTLY = [
    # timeout: a run, query or command over its time limit (rule 4)
    ("adf", None, "Operation on target CopyOrders failed: the activity exceeded its configured timeout of 02:00:00 and was stopped.",
     C.TIMEOUT),
    ("databricks_job", None, "java.util.concurrent.TimeoutException: Futures timed out after [300 seconds]", C.TIMEOUT),
    ("synapse", None, "The query took longer than the allowed 3600 seconds and was stopped by the workload group.", C.TIMEOUT),
    ("adf", None, "System.Threading.Tasks.TaskCanceledException: A task was canceled. Source=System.Net.Http", C.TIMEOUT),
    ("databricks_job", None, "Execution of command 7 was cancelled: the statement exceeded the maximum execution time.", C.TIMEOUT),
    ("databricks_job", None, "Thrift session closed: the SQL warehouse session has expired after 900 seconds idle.", C.TIMEOUT),
    # ...but a connection that cannot be opened in time is connectivity
    ("adf", None, "java.net.SocketTimeoutException: connect timed out while opening jdbc:sqlserver://sql-prod:1433", C.NETWORK_CONNECTIVITY),
    # dependency_library
    ("databricks_job", None, "ImportError: cannot import name 'soft_unicode' from 'markupsafe' (/databricks/python3/lib/python3.9/site-packages)",
     C.DEPENDENCY_LIBRARY),
    ("databricks_cluster", None, "Library resolution failed for com.crealytics:spark-excel_2.12:3.3.1_0.18.5 from Maven Central.",
     C.DEPENDENCY_LIBRARY),
    ("databricks_job", None, "Failed to attach library dbfs:/FileStore/wheels/etl_utils-1.4.0-py3-none-any.whl to the cluster: "
     "libraries are not yet installed", C.DEPENDENCY_LIBRARY),
    ("databricks_job", None, "java.lang.NoClassDefFoundError: org/apache/spark/sql/catalyst/expressions/Alias$", C.DEPENDENCY_LIBRARY),
    ("adf", None, "The JDBC driver class oracle.jdbc.OracleDriver could not be loaded on the self-hosted integration runtime node.",
     C.DEPENDENCY_LIBRARY),
    ("databricks_job", None, "subprocess.CalledProcessError: Command '['/databricks/python/bin/pip', 'install', 'etl-utils==2.0.1']' "
     "returned non-zero exit status 1.", C.DEPENDENCY_LIBRARY),
    # out_of_memory
    ("databricks_job", None, "ExecutorLostFailure (executor 3 exited caused by one of the running tasks) Reason: Container killed by YARN "
     "for exceeding memory limits.", C.OUT_OF_MEMORY),
    ("databricks_job", None, "The Python kernel crashed while running cell 14; the driver was restarted.", C.OUT_OF_MEMORY),
    ("synapse", None, "Not enough memory available on the Spark pool node to complete the aggregation.", C.OUT_OF_MEMORY),
    # throttling_quota
    ("adf", None, "Key Vault returned (429): Rate limit is exceeded. Try again in 12 seconds.", C.THROTTLING_QUOTA),
    ("databricks_job", None, "The workspace has hit the limit of 2000 concurrently running tasks; new runs are queued.", C.THROTTLING_QUOTA),
    ("databricks_cluster", None, "Cluster is up, but 6 of 8 workers could not be acquired in westeurope.", C.THROTTLING_QUOTA),
    # cluster_startup_failure / network inner cause (rule 7)
    ("databricks_cluster", None, "The Spark driver failed to start: container exited during setup on instance i-7f3.", C.CLUSTER_STARTUP_FAILURE),
    ("databricks_cluster", None, "Cluster failed to start because the workspace storage account could not be reached from the data plane.",
     C.NETWORK_CONNECTIVITY),
    # upstream_dependency_failure only when nothing names a cause (rule 1)
    ("adf", None, "Operation on target RunChild failed: the child pipeline run failed, see the child run for details.",
     C.UPSTREAM_DEPENDENCY_FAILURE),
    ("adf", None, "Operation on target RunChild failed: the child pipeline run failed: Login failed for user 'etl_svc'.",
     C.AUTH_FAILURE),
    # permission_denied, source_not_found, resource_not_found_infra
    ("synapse", None, "Spark job failed due to a permissions issue while listing abfss://raw@lake.dfs.core.windows.net/sales",
     C.PERMISSION_DENIED),
    ("adf", None, "Unable to open the file 'sales_2024_06_01.csv' in the landing folder; nothing was copied.", C.SOURCE_NOT_FOUND),
    ("adf", None, "The integration runtime 'shir-finance' referenced by linked service 'ls_erp' was not found.",
     C.RESOURCE_NOT_FOUND_INFRA),
    ("databricks_job", None, "Instance pool 'etl-large' has been deleted; the job cluster could not be created.", C.RESOURCE_NOT_FOUND_INFRA),
    # code_error, data_quality, schema_mismatch
    ("synapse", None, "The SQL statement is invalid near 'FROM dbo.orders WHERE'.", C.CODE_ERROR),
    ("adf", None, "Key column 'order_id' value can't be null for an upsert into the sink.", C.DATA_QUALITY),
    ("databricks_job", None, "The file abfss://raw@lake.dfs.core.windows.net/sales/part-0001.parquet is corrupted and cannot be read.",
     C.DATA_QUALITY),
    ("adf", "2200", "ErrorCode=SqlOperationFailed,'Message=String or binary data would be truncated in table 'dbo.orders', column 'status'.'",
     C.SCHEMA_MISMATCH),
    ("synapse", None, "Arithmetic overflow error converting numeric to data type numeric.", C.SCHEMA_MISMATCH),
    # auth_failure vs platform_transient on token acquisition
    ("adf", None, "Managed identity token request failed: the identity could not be found for this resource.", C.AUTH_FAILURE),
    ("adf", None, "Failed to acquire a token from Entra ID: MSAL error temporarily unavailable, (503) Service Unavailable.",
     C.PLATFORM_TRANSIENT),
    # keyword families: "schema", a bare "invalid <setting>", a notebook wrapper with no inner cause
    ("synapse", None, "Source schema differs from the sink definition for 3 fields; the copy stopped.", C.SCHEMA_MISMATCH),
    ("databricks_job", None, "java.io.IOException: wasbs://raw@lake.blob.core.windows.net has an invalid endpoint suffix",
     C.CONFIGURATION_ERROR),
    ("databricks_job", None, "com.databricks.WorkflowException: com.databricks.NotebookExecutionException: FAILED",
     C.UPSTREAM_DEPENDENCY_FAILURE),
    # network keyword family
    ("adf", None, "The on-premises SQL Server is offline or unreachable from the integration runtime host.", C.NETWORK_CONNECTIVITY),
]


@pytest.mark.parametrize(("service", "code", "message", "expected"), WORDED_DIFFERENTLY)
def test_messages_worded_differently(service: str, code: str | None, message: str, expected: C) -> None:
    result = classify(FailureEvidence(service=service, error_code=code, message=message))
    assert result.category == expected, (result.catalog_entry, result.note)


@pytest.mark.parametrize(("service", "code", "message", "not_expected"), [
    # "cancel" only means a time limit when nothing says someone cancelled it
    ("databricks_job", "UPSTREAM_CANCELED", "UPSTREAM_CANCELED: The run was skipped because an upstream task was canceled.", C.TIMEOUT),
    ("adf", None, "Pipeline run was cancelled by user ops@contoso.com from the monitoring view.", C.TIMEOUT),
    # a configuration remark about memory-optimized nodes is not an out-of-memory failure
    ("databricks_job", None, "Cluster policy 'etl' does not allow the memory-optimized node type Standard_E8ds_v4.", C.OUT_OF_MEMORY),
    # a settings path that mentions a network is not a network failure
    ("adf", None, "The linked service property 'connectVia' must be specified when the network configuration is private.",
     C.NETWORK_CONNECTIVITY),
])
def test_generic_families_do_not_overreach(service: str, code: str | None, message: str, not_expected: C) -> None:
    result = classify(FailureEvidence(service=service, error_code=code, message=message))
    assert result.category != not_expected, result.catalog_entry


def test_a_wrapper_step_with_an_inner_cause_is_classified_by_the_cause() -> None:
    evidence = FailureEvidence(service="databricks_job", termination_code="RUN_EXECUTION_ERROR",
                               message="Workload failed: a child notebook run failed.",
                               failed_steps=[FailedStep(name="load", error_message="ModuleNotFoundError: No module named 'delta_utils'")])
    assert classify(evidence).category == C.DEPENDENCY_LIBRARY


def test_matching_stays_fast_on_a_long_trace() -> None:
    # The broad families use bounded gaps ({0,40}) and literal prefilters, so a long trace stays cheap.
    trace = "\n".join(f"\tat org.apache.spark.scheduler.Task.run(Task.scala:{n})" for n in range(3000))
    message = "org.apache.spark.SparkException: Job aborted.\n" + trace + "\nCaused by: java.lang.OutOfMemoryError: Java heap space"
    evidence = FailureEvidence(service="databricks_job", message=message)
    catalog = load_catalog()
    started = time.perf_counter()
    for _ in range(20):
        matches = match_evidence(catalog, evidence)
    assert (time.perf_counter() - started) / 20 < 0.03
    assert matches[0].entry.category == C.OUT_OF_MEMORY
