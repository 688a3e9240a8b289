"""Build Table/Blob service clients from settings: a connection string locally, managed identity in Azure."""

from __future__ import annotations

from typing import Any

from shared.config import Settings

__all__ = ["table_service", "blob_service", "azure_credential", "AZURITE_BLOB_API_VERSION"]

# azure-storage-blob 12.31 defaults to an API version Azurite 3.35 rejects; this one works on both.
AZURITE_BLOB_API_VERSION = "2025-11-05"


def azure_credential(client_id: str | None = None) -> Any:
    """DefaultAzureCredential, pinned to a user-assigned identity when its client id is given."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(managed_identity_client_id=client_id) if client_id else DefaultAzureCredential()


def _transport(settings: Settings) -> Any:
    """One connection pool per client, big enough for the host's concurrent invocations."""
    if settings.storage_transport == "pooled":
        from shared.adapters.pooled_transport import PooledHttpTransport

        return PooledHttpTransport(connection_timeout=10, read_timeout=30)
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    session.trust_env = False  # re-reading proxy variables on every request is a measurable CPU cost
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=64, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return RequestsTransport(session=session, session_owner=False, use_env_settings=False,
                             connection_timeout=10, read_timeout=30)


def _is_emulator(conn: str) -> bool:
    return "UseDevelopmentStorage=true" in conn or "devstoreaccount1" in conn


def table_service(settings: Settings) -> Any:
    from azure.data.tables import TableServiceClient

    if settings.storage_connection:
        return TableServiceClient.from_connection_string(settings.storage_connection, transport=_transport(settings))
    endpoint = settings.storage_table_uri or f"https://{settings.storage_account_name}.table.core.windows.net"
    return TableServiceClient(endpoint=endpoint, credential=azure_credential(settings.storage_client_id),
                              transport=_transport(settings))


def blob_service(settings: Settings) -> Any:
    from azure.storage.blob import BlobServiceClient

    if settings.storage_connection:
        conn = settings.storage_connection
        kwargs = {"api_version": AZURITE_BLOB_API_VERSION} if _is_emulator(conn) else {}
        return BlobServiceClient.from_connection_string(conn, transport=_transport(settings), **kwargs)
    endpoint = settings.storage_blob_uri or f"https://{settings.storage_account_name}.blob.core.windows.net"
    return BlobServiceClient(account_url=endpoint, credential=azure_credential(settings.storage_client_id),
                             transport=_transport(settings))
