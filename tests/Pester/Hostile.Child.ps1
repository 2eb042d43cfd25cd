# Run by Reliability.Tests.ps1 in a fresh pwsh: each hostile body in turn, with the process's peak
# memory (VmHWM, reset before each case through /proc/self/clear_refs) and the time to fail.
# Prints one "CASE {json}" line per case.
param(
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
function Connect { Get-ITwinServiceToken -ClientId $ClientId -ClientSecret $secure -Authority $Authority -ApiBaseUri $ApiBaseUri -Force | Out-Null }

function Get-PeakMB {
    $line = (Get-Content /proc/self/status) -match '^VmHWM:'
    [math]::Round([long](($line -split '\s+')[1]) / 1024)
}

$cases = @(
    @{ Name = 'Endless 200 body'; Fault = @{ path = '/users/me'; action = 'endless'; status = 200; times = -1 }; Run = { Invoke-ITwinRequest -Path /users/me }; Counter = 'apiRequests' }
    @{ Name = '3 GiB body with its Content-Length'; Fault = @{ path = '/users/me'; action = 'oversized'; status = 200; bytes = 3GB; times = -1 }; Run = { Invoke-ITwinRequest -Path /users/me }; Counter = 'apiRequests' }
    @{ Name = 'Gzip bomb (1 GiB from 1 MB on the wire)'; Fault = @{ path = '/users/me'; action = 'gzip-bomb'; status = 200; bytes = 1GB; times = -1 }; Run = { Invoke-ITwinRequest -Path /users/me }; Counter = 'apiRequests' }
    @{ Name = '500 MB JSON error body (500)'; Fault = @{ path = '/users/me'; action = 'flood'; status = 500; bytes = 500MB; body = '{"error":{"code":"Big","message":"'; times = -1 }; Run = { Invoke-ITwinRequest -Path /users/me }; Counter = 'apiRequests' }
    @{ Name = '3 GiB discovery document'; Fault = @{ path = '/.well-known/openid-configuration'; action = 'oversized'; status = 200; bytes = 3GB; times = -1 }; Run = { Remove-Module ITwinAuth; Import-Module $ModulePath; Connect }; Counter = 'discoveryRequests' }
    @{ Name = '3 GiB token response'; Fault = @{ path = '/connect/token'; action = 'oversized'; status = 200; bytes = 3GB; times = -1 }; Run = { Connect }; Counter = 'tokenEndpointRequests' }
    @{ Name = 'Endless token response'; Fault = @{ path = '/connect/token'; action = 'endless'; status = 200; times = -1 }; Run = { Connect }; Counter = 'tokenEndpointRequests' }
)

Connect
Invoke-ITwinRequest -Path /users/me | Out-Null
foreach ($case in $cases) {
    Clear-EmulatorFault $emulator
    Reset-EmulatorStats $emulator
    Add-EmulatorFault -Emulator $emulator -Fault @($case.Fault)
    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    [IO.File]::WriteAllText('/proc/self/clear_refs', '5')
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $errorId = 'none'
    try { & $case.Run | Out-Null } catch { $errorId = ($_.FullyQualifiedErrorId -split ',')[0] }
    $seconds = $watch.Elapsed.TotalSeconds
    $peak = Get-PeakMB
    Clear-EmulatorFault $emulator
    $stats = Get-EmulatorStats $emulator
    'CASE ' + ([pscustomobject]@{ Name = $case.Name; ErrorId = $errorId; Seconds = [math]::Round($seconds, 2); PeakMB = $peak; Requests = $stats.($case.Counter) } | ConvertTo-Json -Compress)
}
