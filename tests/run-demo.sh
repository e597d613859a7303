#!/bin/sh
# run-demo.sh: the README's first command. Installs what is missing, builds, runs the demo.
set -e
. "$(dirname "$0")/setup-debian.sh"
exec bash tests/demo.sh
