"""Resource ids from alerts become request URLs: only names Azure allows may pass."""

import pytest

from shared.enrich.adf import parse_resource_id

BASE = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-data/providers/"


@pytest.mark.parametrize("name", ["attacker.example#", "evil.com@x", "x?y=1", "ws name", "a.b"])
def test_names_that_could_redirect_a_call_are_refused(name):
    assert parse_resource_id(BASE + "Microsoft.Synapse/workspaces/" + name) is None


def test_real_names_parse():
    assert parse_resource_id(BASE + "Microsoft.Synapse/workspaces/syn-contoso-prod")[3] == "syn-contoso-prod"
    assert parse_resource_id(BASE + "microsoft.datafactory/factories/ADF-Contoso-01/pipelines/p")[3] == "ADF-Contoso-01"


def test_a_synapse_call_never_leaves_the_synapse_domain():
    from shared.enrich.adf import ArmDataFactory

    client = ArmDataFactory("https://management.azure.com", lambda scope: "token")
    assert client.scope_for(BASE + "Microsoft.Synapse/workspaces/attacker.example#") is None
