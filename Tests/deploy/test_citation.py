"""CITATION.cff against the Citation File Format 1.2.0 schema, and against the repository.

The schema is the one cffconvert (the format's own converter) ships; its wheel is fetched
from PyPI and only the schema is read from it, because cffconvert itself pins a jsonschema
older than the one the suite's other tools need. Also checked: the licence named is the
one in LICENSE, and the model version cited is the one datasets record.

    python3 Tests/deploy/test_citation.py
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

import jsonschema
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CFFCONVERT = "cffconvert==2.0.0"


def schema():
    with tempfile.TemporaryDirectory(prefix="morphic-cff-") as folder:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", folder, CFFCONVERT],
                       check=True, timeout=300)
        (wheel,) = glob.glob(os.path.join(folder, "*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            return json.loads(archive.read("cffconvert/schemas/1.2.0/schema.json"))


def main():
    citation = yaml.safe_load(open(os.path.join(ROOT, "CITATION.cff")))
    rules = schema()
    validator = jsonschema.validators.validator_for(rules)
    checker = validator(rules, format_checker=validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in checker.iter_errors(citation)]
    assert not errors, "CITATION.cff does not follow CFF 1.2.0:\n" + "\n".join(errors)
    # The check can fail: a citation without its title is refused.
    untitled = {k: v for k, v in citation.items() if k != "title"}
    assert any(True for _ in checker.iter_errors(untitled)), "the schema accepted a citation without a title"

    licence = open(os.path.join(ROOT, "LICENSE")).read()
    assert citation["license"] == "Apache-2.0" and "Apache License" in licence and "Version 2.0" in licence, (
        citation["license"], licence[:200])
    model = open(os.path.join(ROOT, "docs", "model.md")).read()
    cited = [r["version"] for r in citation.get("references", []) if "version" in r]
    assert cited and all(re.search(re.escape(v), model) for v in cited), (cited, "not named in docs/model.md")
    print(f"citation: CITATION.cff follows CFF 1.2.0; licence {citation['license']}; model {', '.join(cited)}: ok")


if __name__ == "__main__":
    main()
