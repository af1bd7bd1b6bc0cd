#!/usr/bin/env bash
# The README's Requirements table against the packages as packed: every package has a row, every row a package,
# and each row names exactly the package's dependencies (package and framework references, from the .nuspec that
# went into the package), with the lowest version each asks for. JobTracking's own packages are named without a
# version (they go together).
#
#   bash .ci/package-smoke/requirements.sh <folder of the packed .nuspec files>
set -euo pipefail
cd "$(dirname "$0")/../.."

nuspecs=$1
readme=README.md
problems=0
problem() { echo "requirements: $*"; problems=$((problems + 1)); }

# The table's rows: "| `Package` | depends on |" between the section's heading and the next one.
rows=$(awk '/^## Requirements/ { inside = 1; next } /^## / { inside = 0 } inside && /^\| `/' "$readme")
[ -n "$rows" ] || { echo "requirements: $readme has no Requirements table"; exit 1; }

packed=()
for nuspec in "$nuspecs"/*.nuspec; do
  case "$nuspec" in *.symbols.nuspec) continue ;; esac
  id=$(sed -n 's:.*<id>\(.*\)</id>.*:\1:p' "$nuspec" | head -n 1)
  packed+=("$id")
  row=$(echo "$rows" | grep -F "| \`$id\` |" || true)
  if [ -z "$row" ]; then
    problem "$id is packed but has no row in the README's Requirements table"
    continue
  fi
  named=$(echo "$row" | cut -d'|' -f3 | grep -oE '`[^`]+`' | tr -d '`' | sort -u)

  dependencies=$( { grep -oE '<dependency id="[^"]+" version="[^"]+"' "$nuspec" || true; } | sed -E 's/<dependency id="([^"]+)" version="([^"]+)"/\1 \2/'
                 { grep -oE '<frameworkReference name="[^"]+"' "$nuspec" || true; } | sed -E 's/<frameworkReference name="([^"]+)"/\1 -/')
  dependencies=$(echo "$dependencies" | sort -u)
  while read -r dependency minimum; do
    [ -n "$dependency" ] || continue
    if ! echo "$named" | grep -qxF "$dependency"; then
      problem "$id depends on $dependency, which its row does not name"
    elif [ "$minimum" != "-" ] && [[ "$dependency" != JobTracking* ]] && ! echo "$row" | grep -qF "$minimum"; then
      problem "$id depends on $dependency $minimum or later, which its row does not say"
    fi
  done <<< "$dependencies"
  while read -r name; do
    [ -n "$name" ] || continue
    echo "$dependencies" | awk '{ print $1 }' | grep -qxF "$name" || problem "$id's row names $name, which is not one of its dependencies"
  done <<< "$named"
done

while read -r row; do
  id=$(echo "$row" | cut -d'|' -f2 | tr -d ' `')
  printf '%s\n' "${packed[@]}" | grep -qxF "$id" || problem "the Requirements table has a row for $id, which is not packed"
done <<< "$rows"

[ "$problems" -eq 0 ] || exit 1
echo "requirements: the README's table matches the ${#packed[@]} packed packages"
