#!/usr/bin/env bash
# Copy the npm packages the pages load into portal/static/vendor (git ignores it).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=portal/static/vendor
rm -rf "$dest"
mkdir -p "$dest/krds" "$dest/htmx" "$dest/chartjs"
cp -R node_modules/krds-uiux/resources/css node_modules/krds-uiux/resources/fonts \
      node_modules/krds-uiux/resources/img "$dest/krds/"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx/"
# Chart.js (MIT) for the coordinators' dashboards: the UMD build defines window.Chart.
cp node_modules/chart.js/dist/chart.umd.min.js "$dest/chartjs/"
cp node_modules/chart.js/LICENSE.md "$dest/chartjs/LICENSE.md"
# Korean TrueType fonts (SIL OFL 1.1) for the PDFs the portal draws: certificates and
# sign-in sheets. fpdf2 embeds them, so nothing depends on fonts installed on the server.
mkdir -p "$dest/fonts"
for family in nanum-myeongjo:NanumMyeongjo nanum-gothic:NanumGothic; do
  pkg=${family%%:*}; name=${family##*:}
  cp "node_modules/@expo-google-fonts/$pkg/400Regular/${name}_400Regular.ttf" "$dest/fonts/$name-Regular.ttf"
  cp "node_modules/@expo-google-fonts/$pkg/700Bold/${name}_700Bold.ttf" "$dest/fonts/$name-Bold.ttf"
  cp "node_modules/@expo-google-fonts/$pkg/LICENSE_FONT" "$dest/fonts/$name-OFL.txt"
done
