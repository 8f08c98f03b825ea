"""Write the endpoint list of docs/api.md from the app's own OpenAPI schema (between its
``<!-- endpoints -->`` markers), so that the page cannot drift from the routes; a test checks
that the page is what this writes.

    .venv/bin/python scripts/api_docs.py [--check]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "api.md"
START, END = "<!-- endpoints: written by scripts/api_docs.py -->", "<!-- /endpoints -->"


def endpoints() -> str:
    """The endpoint table: method, path and the first line of each route's description."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["LITFEED_DATA_DIR"] = folder
        from litfeed.config import load_settings
        from litfeed.web import create_app

        schema = create_app(load_settings()).openapi()
    rows = ["| method | path | what it does |", "|---|---|---|"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            text = " ".join((operation.get("description") or operation["summary"]).split())
            first = (text.split(". ")[0].rstrip(".") + ".").replace("|", "\\|")
            rows.append(f"| {method.upper()} | `{path}` | {first} |")
    return "\n".join(rows)


def written(page: str) -> str:
    before, _, rest = page.partition(START)
    _, _, after = rest.partition(END)
    return f"{before}{START}\n{endpoints()}\n{END}{after}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Exit 1 when the page is stale.")
    check = parser.parse_args().check
    page = PAGE.read_text(encoding="utf-8")
    fresh = written(page)
    if check:
        sys.exit(0 if fresh == page else 1)
    PAGE.write_text(fresh, encoding="utf-8")


if __name__ == "__main__":
    main()
