"""Helpers of the derivation scripts: find the line that evidences an edge, record the commit, write JSON.

Sources: each repository's newest stored snapshot, fetched with the session's ``fetch`` tool into
``$REALSYS_MIRRORS/<owner>+<name>/repo`` (bare git, default ``/work/.mirror``), its text blobs copied to
``$REALSYS_SRC/<owner>+<name>/`` (default ``/tmp/rs``) by ``extract.sh``.  Run from this directory:
``python3 <system>.py`` rewrites ``../data/<system>.json``.
"""

import json
import os
import re
import subprocess
from pathlib import Path

ROOT = Path(os.environ.get("REALSYS_SRC", "/tmp/rs"))
MIRRORS = Path(os.environ.get("REALSYS_MIRRORS", "/work/.mirror"))
OUT = Path(__file__).resolve().parent.parent / "data"
OUT.mkdir(parents=True, exist_ok=True)

def ln(tree, path, pattern, nth=1):
    """'path:line' of the nth line of ROOT/tree/path containing pattern (regex)."""
    p = ROOT / tree / path
    k = 0
    for i, line in enumerate(p.read_text(errors="replace").splitlines(), 1):
        if re.search(pattern, line):
            k += 1
            if k == nth:
                return f"{path}:{i}"
    raise SystemExit(f"pattern {pattern!r} not in {tree}/{path}")

def commit(tree):
    return subprocess.check_output(["git", "-C", str(MIRRORS / tree / "repo"), "rev-parse", "HEAD"], text=True).strip()

def write(name, doc):
    seen = set()
    for e in doc["edges"]:
        key = (e["client"], e["server"], e["port"])
        assert key not in seen, key
        seen.add(key)
        assert e["client"] != e["server"], key
        if isinstance(e["evidence"], str):
            e["evidence"] = [e["evidence"]]
    doc["edges"].sort(key=lambda e: (e["client"], e["server"], e["port"]))
    (OUT / f"{name}.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    pairs = {(e["client"], e["server"]) for e in doc["edges"]}
    nodes = {n for p in pairs for n in p}
    print(name, "services", len(nodes), "pairs", len(pairs), "edges", len(doc["edges"]))

def near(tree, path, first, second, span=2):
    """'path:line' of the first line matching `first` whose next `span` lines (inclusive) contain `second`."""
    lines = (ROOT / tree / path).read_text(errors="replace").splitlines()
    for i, line in enumerate(lines):
        if re.search(first, line) and any(re.search(second, x) for x in lines[i:i + span]):
            return f"{path}:{i + 1}"
    raise SystemExit(f"{first!r}+{second!r} not in {tree}/{path}")
