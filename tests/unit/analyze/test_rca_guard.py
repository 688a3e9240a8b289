"""Severity floors, plain-text recommendations and quoted evidence."""

import pytest

from shared.rca.guard import (
    apply_floor,
    azure_floor,
    clean_recommendations,
    most_urgent,
    plain_text,
    quoted_evidence,
)
from shared.rca.model import Severity
from tests.unit.analyze.stand_in import evidence, stand_in_classify


@pytest.mark.parametrize("azure, expected", [
    ("Sev0", Severity.CRITICAL), ("Sev1", Severity.HIGH), ("sev2", Severity.MEDIUM),
    ("Sev3", Severity.LOW), ("Sev4", Severity.LOW), (None, None), ("bogus", None),
])
def test_azure_severity_maps_to_a_floor(azure, expected):
    assert azure_floor(azure) == expected


@pytest.mark.parametrize("rca_sev, azure, severity, priority", [
    (Severity.LOW, "Sev0", Severity.CRITICAL, "P1"),
    (Severity.LOW, "Sev1", Severity.HIGH, "P2"),
    (Severity.HIGH, "Sev3", Severity.HIGH, "P2"),
    (Severity.LOW, "Sev4", Severity.LOW, "P4"),
    (Severity.MEDIUM, None, Severity.MEDIUM, "P3"),
])
def test_floor_raises_but_never_lowers(rca_sev, azure, severity, priority):
    rca = stand_in_classify(evidence()).model_copy(update={"severity": rca_sev, "priority": "P4"})
    floored = apply_floor(rca, azure)
    assert (floored.severity, floored.priority) == (severity, priority)


def test_most_urgent_picks_the_highest():
    assert most_urgent(Severity.LOW, None, Severity.HIGH) == Severity.HIGH


def test_plain_text_strips_control_and_bidi_characters():
    assert plain_text("Re-run\x1b[31m the\u202e job\u200b\n\n now") == "Re-run [31m the job now"


def test_destructive_recommendations_are_dropped_and_counted():
    kept, dropped = clean_recommendations([
        "Recommend deleting the table sales_raw", "DROP TABLE sales", "rm -rf /dbfs/data",
        "Re-run the pipeline", "Re-run the pipeline", "Check the upstream delivery",
    ])
    assert kept == ["Re-run the pipeline", "Check the upstream delivery"]
    assert dropped == 3


def test_evidence_keeps_only_real_quotes():
    texts = ["ErrorCode=UserErrorFileNotFound:  path 'raw/x.csv'\ndoes not exist."]
    kept, dropped = quoted_evidence(["path 'raw/x.csv' does not exist", "the key vault is down", "ab"], texts)
    assert kept == ["path 'raw/x.csv' does not exist"]
    assert dropped == 2
