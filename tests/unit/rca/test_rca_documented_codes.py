"""Documented error codes map to the category an on-call engineer acts on first (per the corpus labeling rules)."""

from __future__ import annotations

import pytest

from shared.rca.catalog import classify
from shared.rca.evidence import FailureEvidence
from shared.rca.model import Category as C

# (service, code, shortened documented message, expected). Messages paraphrase the public docs' templates.
DOCUMENTED = [
    ("adf", "3200", "Error 403.", C.AUTH_FAILURE),
    ("adf", "3204", "Job execution failed.", C.UPSTREAM_DEPENDENCY_FAILURE),
    ("adf", "3201", "Node type Standard_D16S_v3 is not supported. Supported node types: Standard_DS3_v2", C.CONFIGURATION_ERROR),
    ("adf", "4121", "Request sent to Azure Machine Learning for operation 'x' failed with http status code '401'.", C.AUTH_FAILURE),
    ("adf", "4124", "Request sent to Azure Machine Learning for operation 'x' failed with http status code '404'.", C.RESOURCE_NOT_FOUND_INFRA),
    ("adf", "4125", "Request sent to Azure Machine Learning for operation 'x' failed with http status code '500'.", C.PLATFORM_TRANSIENT),
    ("adf", "2510", "An error occurred while sending the request.", C.CONFIGURATION_ERROR),
    ("adf", "3208", "An error occurred while sending the request.", C.NETWORK_CONNECTIVITY),
    ("adf", "2001", "The length of execution output is over limit (around 4MB currently).", C.THROTTLING_QUOTA),
    ("adf", "2010", "The Self-hosted Integration Runtime 'shir-01' is offline", C.NETWORK_CONNECTIVITY),
    ("adf", "2300", "Failed to submit the job 'j' to the cluster 'c'. Error: A task was canceled.", C.TIMEOUT),
    ("adf", "2300", "Failed to submit the job 'j' to the cluster 'c'. Error: The remote name could not be resolved.", C.NETWORK_CONNECTIVITY),
    ("adf", "UserErrorFailedBlobFSOperation", "BlobFS operation failed for: A task was canceled.", C.TIMEOUT),
    ("adf", "SqlOpenConnectionTimeout", "Open connection to database timeout after '30' seconds.", C.NETWORK_CONNECTIVITY),
    ("adf", "SqlBatchWriteTimeout", "Timeouts in SQL write operation.", C.TIMEOUT),
    ("adf", "SftpPermissionDenied", "Permission denied to access '/in'", C.PERMISSION_DENIED),
    ("adf", "ParquetInvalidDataFormat", "Incorrect format of abc for converting to Int32.", C.SCHEMA_MISMATCH),
    ("adf", "DF-Executor-OutOfDiskSpaceError", "Internal server error", C.OUT_OF_MEMORY),
    ("adf", "DF-Executor-SourceInvalidPayload", "Data preview, debug, and pipeline data flow execution failed because container does not exist",
     C.SOURCE_NOT_FOUND),
    ("adf", "DF-JSON-WrongDocumentForm", "Malformed records are detected in schema inference. Parse Mode: FAILFAST.", C.CONFIGURATION_ERROR),
    ("adf", "DF-Cosmos-FailToResetThroughput", "Throughput scale operation cannot be performed because another scale operation is in progress.",
     C.CONCURRENCY_CONFLICT),
    ("adf", "4511", "java.sql.SQLTransactionRollbackException. Deadlock found when trying to get lock.", C.CONCURRENCY_CONFLICT),
    ("databricks_job", "DRIVER_ERROR", "DRIVER_ERROR: The run encountered an error while communicating with the Spark Driver.", C.NETWORK_CONNECTIVITY),
    ("databricks_job", "MAX_JOB_QUEUE_SIZE_EXCEEDED", "The run was skipped due to reaching the job level queue size limit.", C.THROTTLING_QUOTA),
    ("databricks_job", "UPSTREAM_FAILED", "UPSTREAM_FAILED: The run was skipped because of an upstream failure.", C.UPSTREAM_DEPENDENCY_FAILURE),
    ("databricks_job", "DISABLED", "DISABLED: The run was never executed because it was disabled explicitly by the user.", C.CONFIGURATION_ERROR),
    ("databricks_cluster", "DRIVER_UNRESPONSIVE", "Azure Databricks was not able to access the Spark driver, because it was unresponsive.",
     C.CLUSTER_STARTUP_FAILURE),
    ("databricks_cluster", "DRIVER_UNREACHABLE", "Azure Databricks was not able to access the Spark driver, because it was not reachable.",
     C.NETWORK_CONNECTIVITY),
    ("databricks_cluster", None, "Cluster terminated. Reason: Cloud Provider Limit", C.THROTTLING_QUOTA),
    ("databricks_cluster", None, "Cluster terminated. Reason: Spark Startup Failure", C.CLUSTER_STARTUP_FAILURE),
    ("databricks_job", "DELTA_PROTOCOL_CHANGED", "[DELTA_PROTOCOL_CHANGED] ProtocolChangedException: changed by a concurrent update.",
     C.CONCURRENCY_CONFLICT),
    ("databricks_job", "DELTA_INVALID_PROTOCOL_VERSION", "[DELTA_INVALID_PROTOCOL_VERSION] Unsupported Delta protocol version.", C.DEPENDENCY_LIBRARY),
    ("databricks_job", "DELTA_PATH_DOES_NOT_EXIST", "[DELTA_PATH_DOES_NOT_EXIST] /mnt/x doesn't exist, or is not a Delta table.", C.SOURCE_NOT_FOUND),
    ("synapse", "Spark_User_ValueError_Invalid", "Spark_User_ValueError_Invalid: ValueError: invalid literal", C.CODE_ERROR),
]


@pytest.mark.parametrize(("service", "code", "message", "expected"), DOCUMENTED)
def test_documented_codes(service: str, code: str | None, message: str, expected: C) -> None:
    result = classify(FailureEvidence(service=service, error_code=code, message=message))
    assert result.category == expected, result.catalog_entry
