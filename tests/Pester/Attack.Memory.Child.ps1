# Run by Attack.Tests.ps1 in a fresh pwsh for each case (-Case): a large but legal answer, with the
# process's peak memory (VmHWM, reset once signed in through /proc/self/clear_refs, as
# Hostile.Child.ps1 does) and the time taken; or (errors) what $Error keeps alive of 10, then 256,
# failed calls whose error code is 1 MiB: the managed heap with $Error full, less the heap once
# $Error is cleared. Prints one "CASE {json}" line per measurement.
param(
    [Parameter(Mandatory)] [ValidateSet('zeros', 'zeros-raw', 'fan-out', 'errors')] [string] $Case,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EmulatorModule,
    [Parameter(Mandatory)] [string] $Authority,
    [Parameter(Mandatory)] [string] $ApiBaseUri,
    [Parameter(Mandatory)] [string] $ClientId,
    [Parameter(Mandatory)] [string] $Secret
)
$ErrorActionPreference = 'Stop'
Import-Module $EmulatorModule
Import-Module $ModulePath
$emulator = [pscustomobject]@{ Authority = $Authority }
$secure = ConvertTo-SecureString $Secret -AsPlainText -Force
Get-ITwinServiceToken -ClientId $ClientId -ClientSecret $secure -Authority $Authority -ApiBaseUri $ApiBaseUri | Out-Null
Invoke-ITwinRequest -Path /users/me | Out-Null

function Get-PeakMB {
    $line = (Get-Content /proc/self/status) -match '^VmHWM:'
    [math]::Round([long](($line -split '\s+')[1]) / 1024)
}
function Reset-Peak {
    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    [IO.File]::WriteAllText('/proc/self/clear_refs', '5')
}
function Get-HeapBytes { [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect(); [GC]::GetTotalMemory($true) }

$cases = @(
    @{ Name = 'zeros'; Fault = @{ path = '/users/me'; action = 'json-big'; shape = 'zeros'; status = 200; bytes = 16MB; times = -1 }
        Run = { $result = Invoke-ITwinRequest -Path /users/me; "$(@($result).Count) items" } }
    @{ Name = 'zeros-raw'; Fault = @{ path = '/users/me'; action = 'json-big'; shape = 'zeros'; status = 200; bytes = 16MB; times = -1 }
        Run = { $result = Invoke-ITwinRequest -Path /users/me -Raw; "$($result.Length) characters" } }
    @{ Name = 'fan-out'; Fault = @{ path = '/users/me'; action = 'json-big'; shape = 'string'; status = 200; bytes = 32MB - 1KB; times = -1 }
        Run = { $n = 0; 1..32 | ForEach-Object { '/users/me' } | Invoke-ITwinRequest -ThrottleLimit 16 | ForEach-Object { $n++ }; "$n responses" } }
)
foreach ($entry in $cases | Where-Object Name -eq $Case) {
    Clear-EmulatorFault $emulator
    Reset-EmulatorStats $emulator
    Add-EmulatorFault -Emulator $emulator -Fault @($entry.Fault)
    Reset-Peak
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $errorId = 'none'; $said = ''
    try { $said = & $entry.Run } catch { $errorId = ($_.FullyQualifiedErrorId -split ',')[0] }
    $seconds = $watch.Elapsed.TotalSeconds
    $peak = Get-PeakMB
    Clear-EmulatorFault $emulator
    $stats = Get-EmulatorStats $emulator
    'CASE ' + ([pscustomobject]@{ Name = $entry.Name; ErrorId = $errorId; Said = "$said"; Seconds = [math]::Round($seconds, 2); PeakMB = $peak; Requests = $stats.apiRequests } | ConvertTo-Json -Compress)
}

if ($Case -ne 'errors') { return }
# $Error: 10, then 256 failed calls ($MaximumErrorCount) whose error body holds a 1 MiB error code.
$body = ConvertTo-Json -Compress -InputObject @{ error = @{ code = 'E' * 1MB; message = 'The request is not valid.' } }
Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 400; body = $body; times = -1 })
Remove-Variable body
$Error.Clear()
Reset-Peak
$watch = [Diagnostics.Stopwatch]::StartNew()
$empty = Get-HeapBytes
foreach ($count in 10, 256) {
    while ($Error.Count -lt $count) { Invoke-ITwinRequest -Path /users/me -ErrorAction SilentlyContinue }
    $full = Get-HeapBytes
    $first = $Error[0]
    $kept = $Error.Count
    $Error.Clear()
    $cleared = Get-HeapBytes
    'CASE ' + ([pscustomobject]@{
            Name = "errors-$count"; ErrorId = ($first.FullyQualifiedErrorId -split ',')[0]; Records = $kept
            KeptMB = [math]::Round(($full - $cleared) / 1MB, 1); HeapMB = [math]::Round(($full - $empty) / 1MB, 1)
            Seconds = [math]::Round($watch.Elapsed.TotalSeconds, 2); PeakMB = Get-PeakMB
        } | ConvertTo-Json -Compress)
}
Clear-EmulatorFault $emulator
