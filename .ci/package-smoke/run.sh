#!/usr/bin/env bash
# The packages as an application gets them: packs the Release build (built by .ci/run) into a folder feed, then
# builds and runs a throwaway console app (Program.cs beside this file) in a temporary folder. The app's own
# nuget.config takes JobTracking* from that folder and everything else from nuget.org. Then checks the README's
# Requirements table against the packed .nuspec files (requirements.sh), and builds and runs the custom-store guide's
# test project from the same feed with `dotnet test` (kit-guide.sh).
#
# The packages get a version of their own for this run, so that no JobTracking package restored earlier (by this
# script or by hand) can stand in for them. The app restores into a package folder of its own, falling back on the
# machine's package folder for what it already has, and everything is deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version="$(dotnet msbuild src/JobTracking/JobTracking.csproj -getProperty:Version)-ci.$(date -u +%Y%m%d%H%M%S)"
machine_packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')

# The .nuspec files pack writes into the packages are kept beside the feed, for the Requirements check below.
dotnet pack JobTracking.sln -c Release --no-build -p:PackageVersion="$version" -p:NuspecOutputPath="$work/nuspec/" -o "$work/feed" > "$work/pack.log" 2>&1 \
  || { cat "$work/pack.log"; echo "dotnet pack failed"; exit 1; }
if grep -qiE '(^|: )warning' "$work/pack.log"; then
  grep -iE '(^|: )warning' "$work/pack.log"; echo "dotnet pack warned"; exit 1
fi

mkdir "$work/app"
cp .ci/package-smoke/Program.cs "$work/app/"

cat > "$work/app/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config>
    <add key="globalPackagesFolder" value="$work/packages" />
  </config>
  <fallbackPackageFolders>
    <add key="machine" value="$machine_packages" />
  </fallbackPackageFolders>
  <packageSources>
    <add key="local" value="$work/feed" />
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
EOF

cat > "$work/app/PackageSmoke.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="JobTracking" Version="$version" />
    <PackageReference Include="JobTracking.Sqlite" Version="$version" />
    <PackageReference Include="Microsoft.Extensions.Hosting" Version="10.0.0" />
  </ItemGroup>
</Project>
EOF

dotnet run --project "$work/app" -- "$work/jobs.db" > "$work/run.log" 2>&1 \
  || { cat "$work/run.log"; echo "package smoke run failed"; exit 1; }
tail -n 1 "$work/run.log"

# The README's Requirements table names exactly what each package depends on.
bash .ci/package-smoke/requirements.sh "$work/nuspec"

# The custom-store guide's test project, made from the guide and these packages, runs with `dotnet test`.
bash .ci/package-smoke/kit-guide.sh "$work/feed" "$version" "$machine_packages"
