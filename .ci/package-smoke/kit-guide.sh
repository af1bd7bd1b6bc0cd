#!/usr/bin/env bash
# The custom-store guide as a reader follows it: builds the conformance-kit test project of docs/custom-stores.md
# (its project file, its store and its test class, each taken from the guide where a marker names it) in a
# temporary folder, against the packages packed by run.sh, and runs it with `dotnet test`, as the guide says.
# The only change to what the guide shows is the version of JobTracking.Testing: the one this run packed.
#
#   bash .ci/package-smoke/kit-guide.sh <feed folder> <package version> <machine package folder>
set -euo pipefail
cd "$(dirname "$0")/../.."

feed=$1
version=$2
machine_packages=$3
guide=docs/custom-stores.md

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The fenced block after `<!-- kit-guide:NAME -->`, without the list item's indentation.
block() {
  awk -v marker="<!-- kit-guide:$1 -->" '
    index($0, marker) { found = 1; next }
    found == 1 && /^ *```/ { found = 2; next }
    found == 2 && /^ *```/ { exit }
    found == 2 { sub(/^   /, ""); print }' "$guide"
}

mkdir "$work/project"
block project > "$work/project/CountingJobStoreTests.csproj"
block store > "$work/project/CountingJobStore.cs"
block tests > "$work/project/CountingJobStoreConformanceTests.cs"
for file in "$work"/project/*; do
  [ -s "$file" ] || { echo "kit guide: $guide has no block for $(basename "$file")"; exit 1; }
done
grep -q 'Include="JobTracking.Testing"' "$work/project/CountingJobStoreTests.csproj" \
  || { echo "kit guide: the guide's project does not reference JobTracking.Testing"; exit 1; }
sed -i "s|Include=\"JobTracking.Testing\" Version=\"[^\"]*\"|Include=\"JobTracking.Testing\" Version=\"$version\"|" "$work/project/CountingJobStoreTests.csproj"

cat > "$work/project/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config>
    <add key="globalPackagesFolder" value="$work/packages" />
  </config>
  <fallbackPackageFolders>
    <add key="machine" value="$machine_packages" />
  </fallbackPackageFolders>
  <packageSources>
    <add key="local" value="$feed" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local">
      <package pattern="JobTracking*" />
    </packageSource>
    <packageSource key="nuget.org">
      <package pattern="*" />
    </packageSource>
  </packageSourceMapping>
</configuration>
CONFIG

(cd "$work/project" && dotnet test) > "$work/test.log" 2>&1 \
  || { cat "$work/test.log"; echo "kit guide: dotnet test failed on the guide's project"; exit 1; }

summary=$(grep -E '^(Passed|Failed)! +- ' "$work/test.log" || true)
total=$(echo "$summary" | grep -oE 'Total: +[0-9]+' | awk '{ print $2 }')
if [ -z "$total" ] || [ "$total" -lt 70 ]; then
  cat "$work/test.log"
  echo "kit guide: expected the kit's tests to run (70 or more), got '${total:-none}'"
  exit 1
fi
echo "kit guide: $summary"
