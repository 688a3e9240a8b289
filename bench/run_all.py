"""Run every benchmark in turn (each prints JSON lines); `make bench`. Slow: minutes, not seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["import_time.py", "servicebus_throughput.py", "ingest_storm.py", "rca_cost.py", "dashboard.py"]


def main() -> int:
    failed = 0
    for name in sys.argv[1:] or BENCHES:
        print(f"# {name}", flush=True)
        failed += subprocess.call([sys.executable, str(HERE / name)], cwd=HERE.parent) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
