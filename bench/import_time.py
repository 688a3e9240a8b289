"""Benchmark: cold import time of `function_app` (what a Functions cold start pays), median of fresh processes."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Runs in the child: only the import is timed, not the interpreter start-up.
PROBE = ("import time, importlib; started = time.perf_counter(); importlib.import_module({module!r}); "
         "print(time.perf_counter() - started)")


def measure_once(module: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # let the warm-up cache bytecode
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"importing {module} failed:\n{result.stderr.strip()}")
    return float(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--module", default="function_app")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    measure_once(args.module)  # warm the OS file cache and __pycache__ so runs compare like with like
    samples = [measure_once(args.module) for _ in range(max(1, args.runs))]
    print(json.dumps({"bench": "import_time", "module": args.module, "seconds": round(statistics.median(samples), 4),
                      "runs": len(samples), "min": round(min(samples), 4), "max": round(max(samples), 4)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
