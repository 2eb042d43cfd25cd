# Run by Attack.Tests.ps1 in a few fresh pwsh processes at once, each given its cases (-Case) in
# ascending order of their expected peak, so that what one case leaves behind is below the next one's
# own peak. Each case is a large answer within the limits, armed by the parent at a path of its own
# (/attack/<case>, so that the children never touch one another's faults), measured as the process's
# peak memory (VmHWM, reset after a collection through /proc/self/clear_refs, as Hostile.Child.ps1
# does; the resident memory before it is printed too) and the time taken. The case 'errors' measures
# what $Error keeps alive of 10, then 256, failed calls whose error code is 1 MiB: the managed heap
# with $Error full, less the heap once $Error is cleared. Prints one "CASE {json}" line per measurement.
param(
    # The cases, separated by commas (pwsh -File passes each argument as one string).
    [Parameter(Mandatory)] [ValidatePattern('^(zeros|zeros-raw|objects|fan-out|fan-out-zeros|fan-out-objects|fan-out-share|fan-out-over|errors)(,(zeros|zeros-raw|objects|fan-out|fan-out-zeros|fan-out-objects|fan-out-share|fan-out-over|errors))*$')]
    [string] $Case,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Authority,
    [Parameter(Mandatory)] [string] $ApiBaseUri,
    [Parameter(Mandatory)] [string] $ClientId
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
# The secret comes in the environment, not on the command line.
$secure = ConvertTo-SecureString $env:ITWINAUTH_ATTACK_SECRET -AsPlainText -Force
Get-ITwinServiceToken -ClientId $ClientId -ClientSecret $secure -Authority $Authority -ApiBaseUri $ApiBaseUri | Out-Null
Invoke-ITwinRequest -Path /users/me | Out-Null

function Get-StatusMB([string] $Name) {
    $line = (Get-Content /proc/self/status) -match "^${Name}:"
    [math]::Round([long](($line -split '\s+')[1]) / 1024)
}
function Get-HeapBytes { [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect(); [GC]::GetTotalMemory($true) }

foreach ($name in $Case -split ',') {
    $path = "/attack/$name"
    $Error.Clear()
    if ($name -eq 'errors') {
        # $Error: 10, then 256 failed calls ($MaximumErrorCount) whose error body holds a 1 MiB error code.
        $empty = Get-HeapBytes
        $watch = [Diagnostics.Stopwatch]::StartNew()
        foreach ($count in 10, 256) {
            while ($Error.Count -lt $count) { Invoke-ITwinRequest -Path $path -ErrorAction SilentlyContinue }
            $full = Get-HeapBytes
            $first = $Error[0]
            $kept = $Error.Count
            $Error.Clear()
            $cleared = Get-HeapBytes
            'CASE ' + ([pscustomobject]@{
                    Name = "errors-$count"; ErrorId = ($first.FullyQualifiedErrorId -split ',')[0]; Records = $kept
                    KeptMB = [math]::Round(($full - $cleared) / 1MB, 1); HeapMB = [math]::Round(($full - $empty) / 1MB, 1)
                    Seconds = [math]::Round($watch.Elapsed.TotalSeconds, 2)
                } | ConvertTo-Json -Compress)
        }
        continue
    }
    $run = switch ($name) {
        # What is converted is kept, as a caller's $result = ... would.
        'zeros' { { $result = Invoke-ITwinRequest -Path $path; "$(@($result).Count) items" } }
        'zeros-raw' { { $result = Invoke-ITwinRequest -Path $path -Raw; "$($result.Length) characters" } }
        'objects' { { $result = Invoke-ITwinRequest -Path $path; "$(@($result).Count) objects" } }
        # A fan-out of 16 at -ThrottleLimit 16: all under way at once. Its results are the caller's to keep
        # or not: counted as they come, as a pipeline would; each failed input is an error of its own.
        default { { $n = 0; 1..16 | ForEach-Object { $path } | Invoke-ITwinRequest -ThrottleLimit 16 -ErrorAction SilentlyContinue | ForEach-Object { $n++ }; "$n results, $($Error.Count) errors" } }
    }
    $null = Get-HeapBytes
    $before = Get-StatusMB VmRSS
    [IO.File]::WriteAllText('/proc/self/clear_refs', '5')
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $errorId = 'none'; $said = ''
    try { $said = & $run } catch { $errorId = ($_.FullyQualifiedErrorId -split ',')[0] }
    if ($errorId -eq 'none' -and $Error.Count -gt 0) { $errorId = ($Error[0].FullyQualifiedErrorId -split ',')[0] }
    'CASE ' + ([pscustomobject]@{ Name = $name; ErrorId = $errorId; Said = "$said"; Seconds = [math]::Round($watch.Elapsed.TotalSeconds, 2)
            BeforeMB = $before; PeakMB = Get-StatusMB VmHWM } | ConvertTo-Json -Compress)
}
