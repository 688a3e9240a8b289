"""docs/DEPLOY.md covers what a platform team needs, and names only scripts and settings that exist."""

from __future__ import annotations

import json
import re

import pytest

from tests.unit.infra.bicep_reader import INFRA, REPO, load

DOC = (REPO / "docs" / "DEPLOY.md").read_text(encoding="utf-8")

TOPICS = {
    "azd up": "azd up",
    "Databricks notification destination": "Notification destinations",
    "Jira webhook secret": "X-Hub-Signature",
    "Slack scopes": "chat:write",
    "Slack interactivity URL": "/api/webhooks/slack",
    "Slack signing secret": "slack-signing-secret",
    "Gemini key in Key Vault": "set-secret.sh gemini-api-key",
    "function key rotation": "## Rotating the function keys",
    "dashboard roles": "aiops-responder",
    "cost at idle": "Idle",
    "cost at 10,000 alerts a day": "10,000 alerts/day",
}


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_deploy_guide_covers(topic: str) -> None:
    assert TOPICS[topic] in re.sub(r"\s+", " ", DOC)


def test_scripts_the_guide_mentions_exist() -> None:
    for script in set(re.findall(r"infra/hooks/[\w.-]+\.sh", DOC)):
        assert (REPO / script).is_file(), script


def test_settings_the_guide_tells_you_to_set_are_parameters() -> None:
    data = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    env = {re.match(r"\$\{(\w+)", spec["value"])[1] for spec in data["parameters"].values()}
    outputs = {o.name for o in load(INFRA / "main.bicep").of_kind("output")}
    for name in set(re.findall(r"azd env set (\w+)", DOC)):
        assert name in env, f"`azd env set {name}` has no effect: not in main.parameters.json"
    for name in set(re.findall(r"\$\{?(AZURE_[A-Z_]+|DASHBOARD_URL|INGEST_BASE_URL)", DOC)):
        assert name in outputs | {"AZURE_LOCATION"}, name


def test_every_secret_name_in_the_guide_is_one_the_script_accepts() -> None:
    script = (INFRA / "hooks" / "set-secret.sh").read_text(encoding="utf-8")
    for name in set(re.findall(r"set-secret\.sh ([a-z-]+)", DOC)):
        assert name in script, name
