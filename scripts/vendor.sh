#!/usr/bin/env bash
# Copy the npm packages the pages load into portal/static/vendor (git ignores it).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=portal/static/vendor
rm -rf "$dest"
mkdir -p "$dest/krds" "$dest/htmx"
cp -R node_modules/krds-uiux/resources/css node_modules/krds-uiux/resources/fonts \
      node_modules/krds-uiux/resources/img "$dest/krds/"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx/"
