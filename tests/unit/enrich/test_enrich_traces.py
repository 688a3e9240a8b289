"""Trace cleaning: ANSI codes gone, long traces cut to the lines that identify the failure."""

import json
from pathlib import Path

from shared.enrich.traces import MAX_TRACE_CHARS, clean_message, clean_trace, strip_ansi

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "api" / "databricks"


def trace(name: str) -> str:
    return (FIXTURES / "traces" / name).read_text()


def test_strip_ansi_removes_colour_cursor_and_title_sequences():
    text = "\x1b[0;31mAnalysisException\x1b[0m: \x1b[38;5;28;01mboom\x1b[39;00m\x1b]0;title\x07 \x1b[2K!"
    assert strip_ansi(text) == "AnalysisException: boom !"


def test_short_notebook_trace_is_kept_whole_without_colour_codes():
    output = json.loads((FIXTURES / "runs_get_output_failed_notebook_task.json").read_text())
    cleaned = clean_trace(output["error_trace"])
    assert "\x1b" not in cleaned and "[0;31m" not in cleaned
    assert cleaned.startswith("-----")
    assert 'df = spark.table("raw.sales_2025_06_02")' in cleaned
    assert "AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] The table or view `raw`.`sales_2025_06_02`" in cleaned
    assert cleaned.endswith("SQLSTATE: 42P01;")


def test_long_py4j_trace_keeps_user_cell_exception_and_causes():
    raw = trace("notebook_py4j_oom.txt")
    cleaned = clean_trace(raw)
    assert len(raw) > MAX_TRACE_CHARS >= len(cleaned)
    assert "\x1b" not in cleaned
    # the user's own cell and its failing line
    assert "File <command-2253829140012345>, line 12" in cleaned
    assert '---> 12 enriched.write.mode("overwrite").saveAsTable("curated.orders_enriched")' in cleaned
    # the exception lines, the first "Caused by" and the innermost one
    assert "Py4JJavaError: An error occurred while calling o412.saveAsTable." in cleaned
    assert ": org.apache.spark.SparkException: Job aborted due to stage failure: Task 7 in stage 21.0" in cleaned
    assert "Caused by: org.apache.spark.SparkException: Job aborted" in cleaned
    assert "Caused by: java.lang.OutOfMemoryError: Java heap space" in cleaned
    # library frames are trimmed away
    assert "DAGScheduler.scala" not in cleaned
    assert "pyspark/sql/readwriter.py" not in cleaned
    assert "lines trimmed" in cleaned


def test_jvm_trace_keeps_the_innermost_user_frames_first():
    cleaned = clean_trace(trace("jar_task_nested_causes.txt"))
    assert "at com.contoso.etl.jobs.LoadCustomers$.readSource(LoadCustomers.scala:88)" in cleaned
    assert "at com.contoso.etl.Main$.main(Main.scala:17)" in cleaned
    assert "Caused by: com.microsoft.sqlserver.jdbc.SQLServerException: Login failed for user 'etl_reader'" in cleaned
    assert "Caused by: java.net.SocketTimeoutException: Read timed out" in cleaned
    assert "SQLServerConnection.java" not in cleaned  # driver internals are not user code
    assert cleaned.index("readSource") < cleaned.index("Caused by:")


def test_python_traceback_keeps_last_user_frames_with_source_and_the_chain():
    cleaned = clean_trace(trace("wheel_task_chained.txt"))
    assert "KeyError: 'CHF'" in cleaned
    assert cleaned.rstrip().endswith("ValueError: no exchange rate for currency CHF")
    assert 'File "/Workspace/Repos/data-platform/etl/src/sales/transform.py", line 92, in normalise_amounts' in cleaned
    assert "raise ValueError(" in cleaned
    assert "site-packages/pyspark" not in cleaned


def test_cap_holds_for_enormous_single_lines():
    raw = "java.lang.IllegalStateException: " + "x" * 50_000 + "\n" + "\tat org.apache.spark.X.y(X.scala:1)\n" * 500
    cleaned = clean_trace(raw, limit=1000)
    assert len(cleaned) <= 1000
    assert cleaned.startswith("java.lang.IllegalStateException: ")


def test_empty_and_message_helpers():
    assert clean_trace(None) is None and clean_trace("") is None
    assert clean_message("  \x1b[31mboom\x1b[0m  ") == "boom"
    assert clean_message("y" * 5000, limit=100).endswith("…")
