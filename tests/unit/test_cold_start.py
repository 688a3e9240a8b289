"""Importing function_app (a cold start) builds no client, opens no socket and loads no heavy SDK."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("azure.data.tables", "azure.storage.blob", "azure.servicebus", "azure.identity", "databricks",
         "google.genai", "slack_sdk", "requests")

PROBE = textwrap.dedent("""
    import json, socket, sys
    opened = []
    real_connect = socket.socket.connect
    def refuse(self, address):
        opened.append(str(address))
        raise OSError("no network at import time")
    socket.socket.connect = refuse
    socket.create_connection = lambda *a, **k: refuse(None, a[0] if a else None)
    import function_app
    names = [f.get_function_name() for f in function_app.app.get_functions()]
    import shared.bootstrap as bootstrap, shared.config as config
    print(json.dumps({"opened": opened, "functions": names,
                      "heavy": [m for m in sys.modules if m.split(".")[0] in {h.split(".")[0] for h in HEAVY}
                                and any(m == h or m.startswith(h + ".") for h in HEAVY)],
                      "services_built": bootstrap.get_services.cache_info().currsize,
                      "settings_read": config.get_settings.cache_info().currsize}))
""")


def test_importing_the_app_is_cheap_and_offline():
    import json

    code = f"HEAVY = {HEAVY!r}\n" + PROBE
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["opened"] == []
    assert report["heavy"] == []
    assert report["services_built"] == 0 and report["settings_read"] == 0
    assert {"ingest_azure_monitor", "ingest_databricks", "enrich_stage", "analyze_stage", "notify_stage",
            "sla_monitor", "tickets_list", "negotiate", "health"} <= set(report["functions"])
