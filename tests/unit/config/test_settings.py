"""Settings: contract names, both connection forms, defaults, and clear errors that never echo secrets."""

from datetime import UTC

import pytest

from shared.config import SettingsError, load_settings


def test_defaults_match_the_contract(monkeypatch):
    s = load_settings()
    assert (s.enrich_queue, s.analyze_queue, s.notify_queue) == ("alerts-enrich", "alerts-analyze", "alerts-notify")
    assert [s.sla_seconds(p) for p in ("P1", "P2", "P3", "P4")] == [900, 1800, 7200, 86400]
    assert s.arm_base_url == "https://management.azure.com"
    assert not (s.jira_enabled or s.slack_enabled or s.gemini_enabled or s.databricks_enabled)


def test_identity_based_connections_are_recognised(monkeypatch):
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "staiops")
    monkeypatch.setenv("ServiceBusConnection__fullyQualifiedNamespace", "sb-aiops.servicebus.windows.net")
    s = load_settings()
    assert s.storage_uses_identity and s.servicebus_uses_identity
    assert s.storage_account_name == "staiops"


def test_identity_settings_make_adapters_use_default_azure_credential(monkeypatch):
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "staiops")
    import shared.adapters.storage_clients as clients

    used = []
    class Credential:
        def get_token(self, *scopes, **kwargs):  # never called: building a client makes no request
            raise AssertionError("no token expected")

    monkeypatch.setattr(clients, "azure_credential", lambda client_id=None: used.append(client_id) or Credential())
    service = clients.table_service(load_settings())
    assert used == [None] and service.url.startswith("https://staiops.table.core.windows.net")


@pytest.mark.parametrize("name,value,fragment", [
    ("ServiceBusConnection", "Endpoint=http://nope;SharedAccessKey=s3cr3t", "ServiceBusConnection"),
    ("SLA_SECONDS_P1", "-5", "SLA_SECONDS_P1"),
    ("JIRA_STATUS_MAP", "{not json", "JIRA_STATUS_MAP"),
    ("JIRA_BASE_URL", "jira.example.com", "JIRA_BASE_URL"),
    ("TEAM_RULES", '[{"pattern": "(unclosed"}]', "TEAM_RULES"),
])
def test_malformed_values_name_the_setting(monkeypatch, name, value, fragment):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert fragment in str(err.value)
    assert "s3cr3t" not in str(err.value)


def test_an_unresolved_key_vault_reference_counts_as_unset(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/slack-bot-token)")
    assert load_settings().slack_enabled is False


def test_team_rules_match_on_word_boundaries(monkeypatch):
    from datetime import datetime

    from shared.attribution import attribute
    from shared.tickets import Ticket

    monkeypatch.setenv("TEAM_RULES", '[{"pattern": "hr", "team": "people"}, {"pattern": "(?P<team>sales)-.*"}]')
    settings = load_settings()
    now = datetime(2026, 12, 4, tzinfo=UTC)

    def team_of(pipeline: str, **tags: str) -> str:
        ticket = Ticket(id="T20261204-000000-AAAA", dedup_key="k", source="adf", title="t", pipeline=pipeline,
                        first_seen_at=now, last_seen_at=now, created_at=now, tags=tags)
        return attribute(ticket, settings)[0]

    assert team_of("throttle_orders") == "unassigned"
    assert team_of("hr-payroll-load") == "people"
    assert team_of("sales-daily") == "sales"
    assert team_of("sales-daily", team="finance") == "finance"  # real metadata wins over naming rules
