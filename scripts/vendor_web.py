"""Copy the dashboard's third-party browser code from node_modules into the git-ignored web/vendor/."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "web" / "vendor"
SIGNALR = ROOT / "node_modules" / "@microsoft" / "signalr"
FILES = ("signalr.min.js", "signalr.min.js.map")


def vendor_signalr(package: Path = SIGNALR, target: Path = VENDOR) -> list[Path]:
    """Copy the browser bundle and its source map; write a licence note from the package manifest."""
    manifest_path = package / "package.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{package} is missing: run `npm ci` first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in FILES:
        copied.append(Path(shutil.copy2(package / "dist" / "browser" / name, target / name)))
    # The npm package ships no LICENSE file, so record where the code came from and under which licence.
    note = target / "signalr.LICENSE.txt"
    repository = manifest.get("repository")
    repository_url = repository.get("url") if isinstance(repository, dict) else repository
    note.write_text(f"{manifest['name']} {manifest['version']}\nLicense: {manifest.get('license', 'unknown')}\n"
                    f"Homepage: {manifest.get('homepage', '')}\nRepository: {repository_url or ''}\n"
                    "Copied from node_modules by scripts/vendor_web.py; not committed.\n", encoding="utf-8")
    copied.append(note)
    return copied


def main() -> int:
    try:
        copied = vendor_signalr()
    except (FileNotFoundError, KeyError) as exc:
        print(f"vendor_web: error: {exc}", file=sys.stderr)
        return 1
    for path in copied:
        print(f"vendor_web: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
