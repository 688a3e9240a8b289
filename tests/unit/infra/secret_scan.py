"""Finds secret-looking literals in the files git tracks; documented public test vectors are allowed by hash."""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PATTERNS", "Finding", "scan_text", "tracked_files", "scan_repository", "allowed"]

# Each pattern names a credential format that is unambiguous enough to fail the build on sight.
PATTERNS: dict[str, re.Pattern[str]] = {
    # Real Slack tokens carry numeric ids before the secret part (xoxb-<team>-<bot>-<secret>);
    # placeholders such as "xoxb-test-token" in the fakes do not.
    "slack token": re.compile(r"\bxox[abposr]-(?:\d+-)+[0-9A-Za-z]{16,}"),
    "slack app token": re.compile(r"\bxapp-\d-[0-9A-Z]+-\d+-[0-9a-f]{32,}"),
    "slack webhook url": re.compile(r"hooks\.slack\.com/services/T[0-9A-Z]{6,}/B[0-9A-Z]{6,}/[0-9A-Za-z]{16,}"),
    "atlassian api token": re.compile(r"\bATATT[0-9A-Za-z_\-=]{30,}"),
    "aws access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "azure storage account key": re.compile(r"AccountKey=[A-Za-z0-9+/]{40,}={0,2}"),
    # A bare 64-byte key (88 base64 characters); npm's sha512 integrity hashes have the same shape.
    "azure storage key (bare)": re.compile(r"(?<![A-Za-z0-9+/=-])(?<!sha512-)[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])"),
    "azure sas key": re.compile(r"SharedAccessKey=[A-Za-z0-9+/]{40,}={0,2}"),
    "azure sas signature": re.compile(r"[?&]sig=[A-Za-z0-9%+/]{40,}"),
    "entra client secret": re.compile(r"(?<![0-9A-Za-z_~.-])[0-9A-Za-z_~.-]{3}\dQ~[0-9A-Za-z_~.-]{31,34}"),
    "function key in url": re.compile(r"[?&]code=[A-Za-z0-9_\-]{40,}==?"),
    "google api key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"),
    "databricks token": re.compile(r"\bdapi[0-9a-f]{32}(?:-\d+)?\b"),
    "github token": re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----"),
}

# SHA-256 of matches that are public on purpose. Stored as hashes so this file carries no literal.
ALLOWED_EVERYWHERE = {
    # Azurite's well-known devstoreaccount1 key (published in the Azurite and Azure Storage docs),
    # bare and as "AccountKey=<key>".
    "0011cc25eb4320717494d2703e8cba85743e71b500283c21c8b88147992f9059",
    "900e6c2bf8ce6c14dbfdcbd6d7402e8fadd53c5464b0ffae66dce9ac06c0e061",
}
# Matches allowed only under tests/fixtures/ (documented test vectors copied from vendor docs).
ALLOWED_IN_FIXTURES: set[str] = set()
FIXTURES = "tests/fixtures/"
MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str
    digest: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind} (sha256 {self.digest[:12]}…)"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def allowed(path: str, value: str) -> bool:
    h = digest(value)
    return h in ALLOWED_EVERYWHERE or (path.startswith(FIXTURES) and h in ALLOWED_IN_FIXTURES)


def scan_text(path: str, text: str) -> list[Finding]:
    findings = []
    for kind, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            if not allowed(path, match[0]):
                findings.append(Finding(path, text.count("\n", 0, match.start()) + 1, kind, digest(match[0])))
    return findings


def tracked_files(repo: Path) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True).stdout
    return [p for p in out.decode().split("\0") if p]


def scan_repository(repo: Path) -> list[Finding]:
    findings = []
    for rel in tracked_files(repo):
        path = repo / rel
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        findings.extend(scan_text(rel, data.decode("utf-8", errors="replace")))
    return findings
