#!/usr/bin/env bash
# The deployment guide's nginx example (docs/deployment.md §4) is checked with `nginx -t`
# by tests/functional/test_deployment_docs.py, so the tests need Debian's nginx binary.
# Only the binary is wanted: the package's own service is not started.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
echo "==> Installing Debian's nginx package (its service is not started) to check the guide's nginx example"
install_nginx() {
  # A policy-rc.d that answers 101 tells the package scripts not to start the service.
  local policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
}
if [ "$(id -u)" -eq 0 ]; then
  install_nginx
elif command -v sudo >/dev/null 2>&1; then
  sudo bash -c "$(declare -f install_nginx); install_nginx"
else
  echo "nginx is missing and this user cannot install it. Run: apt-get install nginx" >&2
  exit 1
fi
