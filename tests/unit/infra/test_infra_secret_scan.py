"""No credential literal is committed anywhere in the repository (documented public test vectors excepted)."""

from __future__ import annotations

import pytest

from tests.unit.infra.bicep_reader import REPO
from tests.unit.infra.secret_scan import PATTERNS, digest, scan_repository, scan_text, tracked_files

# Built at run time so that this file holds no literal the scanner would flag.
SAMPLES = {
    "slack token": "xox" + "b-" + "1234567890" + "-" + "9876543210" + "-" + "Ab" * 12,
    "slack app token": "xa" + "pp-1-A0123BCDE-1234567890-" + "0f" * 32,
    "slack webhook url": "https://hooks.slack.com/services/" + "T0123ABCD/B0123ABCD/" + "x" * 24,
    "atlassian api token": "ATA" + "TT3x" + "Ff" * 40,
    "aws access key id": "AK" + "IA" + "ABCDEFGHIJKLMNOP",
    "azure storage account key": "Account" + "Key=" + "k" * 86 + "==",
    "azure storage key (bare)": 'KEY = "' + "Q" * 86 + '=="',
    "azure sas key": "SharedAccess" + "Key=" + "s" * 44 + "=",
    "azure sas signature": "https://a.blob.core.windows.net/c?sv=2022&s" + "ig=" + "A" * 44,
    "entra client secret": "abc" + "8Q~" + "a" * 34,
    "function key in url": "https://f.azurewebsites.net/api/x?co" + "de=" + "Z" * 54 + "==",
    "google api key": "AI" + "za" + "S" * 35,
    "databricks token": "da" + "pi" + "0123456789abcdef" * 2,
    "github token": "gh" + "p_" + "a" * 36,
    "private key": "-----BEGIN " + "RSA PRIVATE" + " KEY-----",
}
HARMLESS = [
    "xoxb-test-token",                       # placeholders in the fakes
    "dapi-fake-0123456789abcdef",
    "SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE",
    "integrity: sha512-" + "q" * 86 + "==",  # npm lock file hashes
    "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/slack-bot-token/)",
]
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.mark.parametrize("kind", sorted(PATTERNS))
def test_each_pattern_catches_its_kind(kind: str) -> None:
    kinds = {f.kind for f in scan_text("src/app.py", SAMPLES[kind])}
    assert kind in kinds


@pytest.mark.parametrize("text", HARMLESS)
def test_placeholders_and_references_are_not_findings(text: str) -> None:
    assert scan_text("src/app.py", text) == []


def test_the_public_azurite_key_is_allowed_and_only_that_one() -> None:
    assert scan_text("devhost/azurite.py", f'KEY = "{AZURITE_KEY}"') == []
    assert scan_text("x.py", f"AccountKey={AZURITE_KEY}") == []
    other = AZURITE_KEY[:-3] + "A=="
    assert scan_text("x.py", f'KEY = "{other}"')


def test_findings_name_the_place_but_not_the_secret() -> None:
    (finding,) = scan_text("a/b.txt", "line one\n" + SAMPLES["google api key"])
    assert (finding.path, finding.line, finding.kind) == ("a/b.txt", 2, "google api key")
    assert SAMPLES["google api key"] not in str(finding) and finding.digest == digest(SAMPLES["google api key"])


def test_no_secret_literal_is_tracked_in_the_repository() -> None:
    assert len(tracked_files(REPO)) > 10
    findings = scan_repository(REPO)
    assert [str(f) for f in findings] == []
