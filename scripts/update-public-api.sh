#!/usr/bin/env bash
# Records the libraries' current public API in each project's PublicAPI.Unshipped.txt: symbols the analyzer reports as
# new (RS0016) are added, symbols that are gone (RS0017) are removed. Review the diff: it is the API change.
# On a release, move the Unshipped lines into PublicAPI.Shipped.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in Conveyor Conveyor.Sqlite Conveyor.Postgres Conveyor.Testing Conveyor.Web; do
  file="src/$project/PublicAPI.Unshipped.txt"
  out=$(dotnet build "src/$project" --no-incremental 2>&1 || true)
  added=$(echo "$out" | grep -E "error RS0016" | sed -E "s/.*Symbol '(.*)' is not part of the declared public API.*/\1/" | sort -u || true)
  removed=$(echo "$out" | grep -E "error RS0017" | sed -E "s/.*Symbol '(.*)' is part of the declared API.*/\1/" | sort -u || true)
  { echo '#nullable enable'
    { grep -v '^#nullable' "$file" || true; if [ -n "$added" ]; then echo "$added"; fi; } | { grep -vxF -f <(echo "${removed:-__none__}") || true; } | sort -u
  } > "$file.new"
  mv "$file.new" "$file"
  echo "$project: $(echo -n "$added" | grep -c . || true) added, $(echo -n "$removed" | grep -c . || true) removed"
done
