#!/usr/bin/env bash
# Packs every package of the solution (docs/packages.md) into one folder, a local feed:
#   eng/pack.sh <output-folder> [more dotnet pack arguments, e.g. -p:VersionSuffix=ci.1]
# Release configuration, warnings as errors, as CI builds. Prints the packages it made.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 <output-folder> [dotnet pack arguments]" >&2
  exit 2
fi
out=$(mkdir -p "$1" && cd "$1" && pwd)
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

dotnet pack "$root/Runtara.sln" -c Release -o "$out" -warnaserror -nologo -clp:ErrorsOnly "$@"
ls -1 "$out"/*.nupkg "$out"/*.snupkg
