#!/usr/bin/env bash
# `npm run vscode:host`: installs a real VS Code for offline tests: the npm package code-server (it bundles VS
# Code's server and workbench) into .tools/code-server/, built by Node 24, and Debian's Chromium that drives
# it in the tests. The install logic is scripts/lib/install.sh's (scripts/test-vscode and scripts/demo call
# it themselves); nothing happens when both are there.
#
#   bash scripts/vscode-host.sh          install what is missing, print the server-main.js path
#   MAILOPS_CODE_SERVER_VERSION=…        another code-server version (default 4.139.1 = VS Code 1.139.1)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/node.sh
source "$ROOT/scripts/lib/node.sh"
# shellcheck source=lib/install.sh
source "$ROOT/scripts/lib/install.sh"
mailops_ensure_node
mailops_ensure_chromium "the VS Code tests"
mailops_ensure_code_server "the VS Code tests"
mailops_code_server_main
echo
