"""Check the knowledge-base TOML files and print what they hold: ``python -m briefings.analysis.kb [DIR]``.

Exit status 0 when the data loads, 1 with the problems listed when it does not (for data editors and CI).
"""

from __future__ import annotations

import sys
from collections import Counter

from briefings.analysis.kb import HERE, KnowledgeBaseError, load_kb


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    directory = args[0] if args else HERE
    try:
        kb = load_kb(directory)
    except KnowledgeBaseError as exc:
        print(f"knowledge base: {exc}", file=sys.stderr)
        return 1
    ents = list(kb.entities.values())
    kinds = Counter(e.kind for e in ents)
    services = Counter(e.service for e in ents if e.kind == "company")
    agencies = {e.country for e in ents if e.kind == "agency" and e.country and not e.parent and not e.department}
    print(f"knowledge base {directory}: {len(ents)} entities, {len(kb._surface)} names")
    print(f"  spaceports {kinds['spaceport']}, national space agencies of {len(agencies)} countries, "
          f"military {kinds['military']}, regulators {kinds['regulator']}")
    print("  companies: " + ", ".join(f"{k} {v}" for k, v in sorted(services.items())))
    print(f"  countries {kinds['country']} ({len(kb._translated)} names in other languages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
