"""The schema conformance run at length: many generated requests per API operation, at random.

The suite's run (tests/coalgov/test_schema_conformance.py) sends a few requests per operation with a fixed seed;
this one runs the same test with many, as the district office and as an inspector, and reports every answer that
is a server error or one the schema does not document. It uses the test database, like the suite:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalgov .venv/bin/python bench/schemathesis_long.py --examples 200

Hypothesis prints the seed of a failing run, to repeat it.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="generated requests per operation (default 200)")
    args = parser.parse_args()
    env = {**os.environ, "SCHEMATHESIS_EXAMPLES": str(args.examples)}
    test = "tests/coalgov/test_schema_conformance.py"
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
