#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the grading image; the
# autograder zip is unpacked at /autograder/source when it does.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV=/opt/nn100-venv

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Python 3.10 or later: Ubuntu 22.04's own python3 (3.10) will do (requirements.txt adds
# tomli there, the TOML parser that is tomllib from 3.11 on); venv is its own package.
apt-get install -y -qq python3 python3-venv >/dev/null
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
    echo "setup.sh: the nn100 grader needs Python 3.10 or later, found $(python3 --version 2>&1)" >&2
    exit 1
}

# A venv outside /root, readable by everyone: the unprivileged user that runs
# student code must be able to start this interpreter and import numpy.
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -r "$SOURCE/requirements.txt"
chmod -R a+rX "$VENV"

# Student code runs as this unprivileged user: the grader, started as root, drops its
# sandboxed children to `nobody` (Ubuntu has it; create it where an image does not).
id -u nobody >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin nobody

# The reference solution, the hidden checks and the data are root's alone.
chmod -R go= "$SOURCE"
