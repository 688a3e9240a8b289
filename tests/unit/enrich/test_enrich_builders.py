"""Adapter builders from settings, and the cached Entra ID token provider."""

from types import SimpleNamespace

from shared.config import load_settings
from shared.enrich.adf import DEFAULT_SYNAPSE_ENDPOINT, build_adf
from shared.enrich.databricks import DatabricksRuns, build_databricks
from shared.enrich.tokens import ARM_SCOPE, SYNAPSE_SCOPE, entra_token_provider, static_token


class FakeCredential:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def get_token(self, scope: str):
        self.calls.append(scope)
        return SimpleNamespace(token=f"tok-{scope}-{len(self.calls)}", expires_on=1000.0 + 3600)


def test_entra_tokens_are_cached_per_scope_until_close_to_expiry():
    now = [1000.0]
    cred = FakeCredential()
    provide = entra_token_provider(cred, clock=lambda: now[0])
    first = provide(ARM_SCOPE)
    assert provide(ARM_SCOPE) == first and cred.calls == [ARM_SCOPE]
    provide(SYNAPSE_SCOPE)
    assert cred.calls == [ARM_SCOPE, SYNAPSE_SCOPE]
    now[0] = 1000.0 + 3600 - 200  # inside the five-minute refresh margin
    assert provide(ARM_SCOPE) != first and cred.calls[-1] == ARM_SCOPE


def test_build_databricks_prefers_the_pat_and_needs_a_host():
    assert build_databricks(load_settings(DATABRICKS_HOST=None)) is None
    pat = build_databricks(load_settings(DATABRICKS_HOST="https://adb-1.7.azuredatabricks.net",
                                         DATABRICKS_TOKEN="dapi-secret"))
    assert isinstance(pat, DatabricksRuns) and pat._token == "dapi-secret" and "dapi" not in repr(pat)
    msi = build_databricks(load_settings(DATABRICKS_HOST="https://adb-1.7.azuredatabricks.net", DATABRICKS_TOKEN=None),
                           credential=FakeCredential())
    assert msi._token is None and msi._token_provider is not None


def test_build_adf_takes_the_default_factory_and_synapse_endpoint_from_settings():
    settings = load_settings(ADF_SUBSCRIPTION_ID="sub", ADF_RESOURCE_GROUP="rg", ADF_FACTORY_NAME="f",
                             ARM_BASE_URL="http://127.0.0.1:9")
    assert build_adf(settings) is None  # no way to get a token
    adf = build_adf(settings, token_provider=static_token("t"))
    assert adf.default_factory == ("sub", "rg", "f") and adf.base_url == "http://127.0.0.1:9"
    assert adf.scope_for(None).base_url == "http://127.0.0.1:9/subscriptions/sub/resourceGroups/rg/providers/Microsoft.DataFactory/factories/f"
    assert adf.synapse_endpoint == (getattr(settings, "synapse_endpoint", None) or DEFAULT_SYNAPSE_ENDPOINT)
    custom = build_adf(settings, token_provider=static_token("t"), synapse_endpoint="http://127.0.0.1:9/syn/{workspace}")
    assert custom.synapse_scope("ws1").base_url == "http://127.0.0.1:9/syn/ws1"
    assert build_adf(load_settings(ADF_SUBSCRIPTION_ID=None), token_provider=static_token("t")).default_factory is None
