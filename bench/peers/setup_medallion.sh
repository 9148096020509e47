#!/usr/bin/env bash
# Prepare OASIS medallion (reference TAXII 2.1 server) + gunicorn in a venv
# OUTSIDE the repository, for bench/peers/medallion_ingest.py.
#
# Usage: bench/peers/setup_medallion.sh [MIRROR_GIT_DIR]
#
#   Default: install the pinned release from PyPI (reproducible).
#   MIRROR_GIT_DIR (optional): a bare git directory of
#   github.com/oasis-open/cti-taxii-server, used only if PyPI cannot provide
#   the pinned release. Its HEAD is exported to a temp dir and pip-installed.
#
# Environment overrides:
#   PUENTE_BENCH_DIR    (default /tmp/puente-bench)
#   MEDALLION_VERSION   (default 3.0.0)
#   GUNICORN_SPEC       (default "gunicorn>=21,<24")
#   PYTHON              (default python3.11, else python3)
set -euo pipefail

BENCH_DIR="${PUENTE_BENCH_DIR:-/tmp/puente-bench}"
VENV="$BENCH_DIR/medallion-venv"
MEDALLION_VERSION="${MEDALLION_VERSION:-3.0.0}"
GUNICORN_SPEC="${GUNICORN_SPEC:-gunicorn>=21,<24}"
MIRROR="${1:-}"
PYTHON_BIN="${PYTHON:-$(command -v python3.11 || command -v python3)}"

mkdir -p "$BENCH_DIR"

if [[ -x "$VENV/bin/python" ]] &&
    "$VENV/bin/python" -c 'import medallion, gunicorn' 2>/dev/null; then
    echo "medallion venv already present: $VENV" >&2
else
    rm -rf "$VENV"
    "$PYTHON_BIN" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    if "$VENV/bin/python" -m pip install --quiet "medallion==$MEDALLION_VERSION" "$GUNICORN_SPEC"; then
        echo "pypi medallion==$MEDALLION_VERSION" >"$VENV/puente-install-source.txt"
        echo "installed medallion==$MEDALLION_VERSION from PyPI" >&2
    elif [[ -n "$MIRROR" && -d "$MIRROR" ]]; then
        echo "PyPI install failed; falling back to mirror $MIRROR" >&2
        SRC="$(mktemp -d "$BENCH_DIR/medallion-src.XXXXXX")"
        git --git-dir="$MIRROR" archive HEAD | tar -x -C "$SRC"
        "$VENV/bin/python" -m pip install --quiet "$SRC" "$GUNICORN_SPEC"
        echo "git-mirror cti-taxii-server@$(git --git-dir="$MIRROR" rev-parse HEAD)" \
            >"$VENV/puente-install-source.txt"
        echo "installed medallion from mirror HEAD (its version string says 3.0.0 too)" >&2
    else
        echo "error: cannot install medallion==$MEDALLION_VERSION from PyPI and no mirror given" >&2
        exit 1
    fi
fi

"$VENV/bin/python" - <<'EOF'
import importlib.metadata as md
import sys

print(
    "medallion", md.version("medallion"),
    "| gunicorn", md.version("gunicorn"),
    "| flask", md.version("flask"),
    "| python", sys.version.split()[0],
    file=sys.stderr,
)
EOF
echo "$VENV"
