#!/usr/bin/env bash
# Checks the GitHub Actions workflows with actionlint, installed at a pinned version with `go install` into
# .tools/bin when missing. Usage: npm run lint:workflows
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12
TOOLS="$PWD/.tools/bin"
mkdir -p "$TOOLS"
if ! [ -x "$TOOLS/actionlint" ] || [ "$(cat "$TOOLS/actionlint.version" 2>/dev/null)" != "$ACTIONLINT_VERSION" ]; then
    echo "installing actionlint $ACTIONLINT_VERSION (go install github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION)"
    GOBIN="$TOOLS" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
    echo "$ACTIONLINT_VERSION" > "$TOOLS/actionlint.version"
fi

echo "== self-test: actionlint must reject test/fixtures/bad-workflow.yml"
if "$TOOLS/actionlint" -no-color test/fixtures/bad-workflow.yml > /dev/null 2>&1; then
    echo "FAIL: actionlint accepted test/fixtures/bad-workflow.yml"
    exit 1
fi
echo "actionlint rejects the bad workflow: ok"

echo "== .github/workflows"
"$TOOLS/actionlint" -no-color
echo "actionlint: no finding"
