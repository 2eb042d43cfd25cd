#!/usr/bin/env bash
# Not part of CI: runs the core's net472 build under Debian's Mono (apt-get install mono-complete)
# as the nearest thing to .NET Framework these machines have. Mono is not Windows: a pass here says
# the #if !NET code runs on a .NET Framework-like runtime, nothing about powershell.exe.
# Usage, after ./build.ps1 -Task Build: bash tests/Mono/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap '[ -n "${emulator:-}" ] && kill "$emulator" 2>/dev/null; rm -rf "$work"' EXIT
cp "$root"/src/ITwinAuth.Core/bin/Release/net472/*.dll "$work"/
# Named ITwinAuth.Core.Tests so that the core's InternalsVisibleTo lets it in.
mcs -nologo -langversion:latest -out:"$work/ITwinAuth.Core.Tests.exe" -r:"$work/ITwinAuth.Core.dll" \
  -r:System.Net.Http.dll -r:/usr/lib/mono/4.5/Facades/netstandard.dll "$root/tests/Mono/Probe.cs"
mkfifo "$work/in"
dotnet "$root/tests/ITwinAuth.Emulator/bin/Release/net10.0/ITwinAuth.Emulator.dll" < "$work/in" > "$work/emulator.out" 2>&1 &
emulator=$!
exec 3> "$work/in"
for _ in $(seq 1 60); do grep -q ready "$work/emulator.out" && break; sleep 0.5; done
api=$(grep -o 'api=[^ ]*' "$work/emulator.out" | cut -d= -f2)
mono "$work/ITwinAuth.Core.Tests.exe" "$api"
