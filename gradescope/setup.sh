#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the grading image; the
# autograder zip is unpacked at /autograder/source when it does.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV=/opt/nn100-venv

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Python 3.11 (the grader uses tomllib and enum.StrEnum); Ubuntu 22.04's python3 is 3.10,
# its 3.11 comes from the universe component.
apt-get install -y -qq python3.11 python3.11-venv >/dev/null

# A venv outside /root, readable by everyone: the unprivileged user that runs
# student code must be able to start this interpreter and import numpy.
python3.11 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -r "$SOURCE/requirements.txt"
chmod -R a+rX "$VENV"

# Student code runs as this unprivileged user: the grader, started as root, drops its
# sandboxed children to `nobody` (Ubuntu has it; create it where an image does not).
id -u nobody >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin nobody

# The reference solution, the hidden checks and the data are root's alone.
chmod -R go= "$SOURCE"
