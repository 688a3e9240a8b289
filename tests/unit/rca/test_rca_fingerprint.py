"""Fingerprints: equal for the same error from different runs, different for different errors."""

from __future__ import annotations

import pytest

from shared.rca.fingerprint import fingerprint, normalize_error_text

RUN_A = ("Operation on target CopySales failed: ErrorCode=UserErrorSourceBlobNotExist, The required Blob is missing. "
         "ContainerName: raw, path: raw/sales/2024/03/01/part-00000-3f2a1b9c-1111-2222-3333-444455556666.csv. "
         "RequestId:76046c7d-701e-00a4-0a6a-1a1219000000 Time:2024-03-01T02:00:13.5506730Z Activity ID: 9e1c2d3f-aaaa-bbbb-cccc-000011112222")
RUN_B = ("Operation on target CopySales failed: ErrorCode=UserErrorSourceBlobNotExist, The required Blob is missing. "
         "ContainerName: raw, path: raw/sales/2024/03/02/part-00000-0a0b0c0d-9999-8888-7777-666655554444.csv. "
         "RequestId:11111111-2222-3333-4444-555555555555 Time:2024-03-02T02:00:09.1234567Z Activity ID: 00000000-1111-2222-3333-444444444444")


def test_same_error_in_different_runs_shares_a_fingerprint() -> None:
    assert fingerprint("adf", "2200", RUN_A) == fingerprint("adf", "2200", RUN_B)


def test_databricks_run_ids_urls_and_cluster_ids_do_not_change_the_fingerprint() -> None:
    a = ("Run 918273 of job 55 on cluster 1021-013622-bused793 failed: java.lang.OutOfMemoryError: Java heap space "
         "at Chauffeur.scala:1478, see https://adb-1234567890123456.7.azuredatabricks.net/?o=1#job/55/run/918273")
    b = ("Run 918999 of job 55 on cluster 0311-094501-abcd1234 failed: java.lang.OutOfMemoryError: Java heap space "
         "at Chauffeur.scala:1502, see https://adb-1234567890123456.7.azuredatabricks.net/?o=1#job/55/run/918999")
    assert fingerprint("databricks_job", "RUN_EXECUTION_ERROR", a) == fingerprint("databricks_job", "RUN_EXECUTION_ERROR", b)


def test_partition_values_in_paths_are_variable_parts() -> None:
    a = "Path does not exist: abfss://lake@acct.dfs.core.windows.net/bronze/orders/ingest_date=2024-05-01/hour=03"
    b = "Path does not exist: abfss://lake@acct.dfs.core.windows.net/bronze/orders/ingest_date=2024-05-02/hour=17"
    assert fingerprint("databricks_job", None, a) == fingerprint("databricks_job", None, b)


def test_different_error_code_gives_a_different_fingerprint() -> None:
    assert fingerprint("adf", "2200", RUN_A) != fingerprint("adf", "2011", RUN_A)


def test_different_service_gives_a_different_fingerprint() -> None:
    assert fingerprint("adf", "2200", RUN_A) != fingerprint("synapse", "2200", RUN_A)


@pytest.mark.parametrize("other", [
    "Operation on target CopySales failed: ErrorCode=UserErrorSourceBlobNotExist, The required Blob is missing. ContainerName: curated",
    "Operation on target CopySales failed: ErrorCode=AzureBlobOperationFailed, The remote server returned an error: (403) Forbidden.",
    "Login failed for user 'etl_reader'.",
])
def test_different_errors_get_different_fingerprints(other: str) -> None:
    assert fingerprint("adf", "2200", RUN_A) != fingerprint("adf", "2200", other)


def test_numbers_that_name_the_error_are_kept() -> None:
    a = "Cannot connect to SQL Database. SqlErrorNumber=47073"
    b = "Cannot connect to SQL Database. SqlErrorNumber=40615"
    assert fingerprint("adf", "SqlFailedToConnect", a) != fingerprint("adf", "SqlFailedToConnect", b)
    assert normalize_error_text("ORA-39776: fatal error") != normalize_error_text("ORA-01017: fatal error")
    assert normalize_error_text("exit code 137") != normalize_error_text("exit code 1")


def test_table_names_are_kept_because_a_different_table_is_a_different_incident() -> None:
    a = "[TABLE_OR_VIEW_NOT_FOUND] The table or view `main`.`sales`.`orders` cannot be found."
    b = "[TABLE_OR_VIEW_NOT_FOUND] The table or view `main`.`sales`.`customers` cannot be found."
    assert fingerprint("databricks_job", None, a) != fingerprint("databricks_job", None, b)


def test_normalization_removes_the_variable_parts() -> None:
    text = normalize_error_text(RUN_A)
    for gone in ("2024", "3f2a1b9c", "76046c7d", "13.5506730", "copysales"):
        assert gone not in text
    assert "usererrorsourceblobnotexist" in text and "containername: raw" in text


def test_case_and_whitespace_do_not_matter() -> None:
    assert fingerprint("ADF", "2200 ", "Login  failed\nfor user 'x'") == fingerprint("adf", "2200", "login failed for user 'x'")


def test_empty_text_is_fine_and_stable() -> None:
    assert normalize_error_text(None) == ""
    assert fingerprint("adf", None, None) == fingerprint("adf", None, "")
    assert len(fingerprint("adf", None, None)) == 32
