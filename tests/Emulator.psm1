# Starts and drives the iTwin emulator (tests/ITwinAuth.Emulator) from PowerShell: for Pester and
# for build.ps1 -Task Demo. Talks to its /_emulator admin endpoints with Invoke-RestMethod.

Import-Module (Join-Path $PSScriptRoot 'ChildPwsh.psm1')   # Start-ChildProcess

function Start-ITwinEmulator {
    [CmdletBinding()]
    param(
        [string] $EmulatorPath = $env:ITWINAUTH_EMULATOR,
        [int] $TokenLifetime = 3600,
        [int] $ITwinCount = 250,
        [int] $TimeoutSeconds = 60,
        # More emulator options (--tls, --proxy, --latency-ms ...), after the ones above.
        [string[]] $ArgumentList = @()
    )
    if (-not $EmulatorPath -or -not (Test-Path $EmulatorPath)) {
        throw "The emulator was not found at '$EmulatorPath'; run ./build.ps1 -Task Build first."
    }
    # The emulator runs until stopped; --exit-on-stdin-close makes closing its stdin the way to stop
    # it, so that it also ends if this process dies without cleaning up.
    $process = Start-ChildProcess -FilePath dotnet -KeepInput -ArgumentList (
        @($EmulatorPath, '--token-lifetime', $TokenLifetime, '--itwins', $ITwinCount, '--env', 'none', '--exit-on-stdin-close') + $ArgumentList)
    $read = $process.StandardOutput.ReadLineAsync()
    if (-not $read.Wait([timespan]::FromSeconds($TimeoutSeconds)) -or $null -eq $read.Result) {
        if (-not $process.HasExited) { $process.Kill($true) }
        throw "The emulator did not start within $TimeoutSeconds s: $($process.StandardError.ReadToEnd())"
    }
    if ($read.Result -notmatch 'ready authority=(\S+) api=(\S+) foreign=(\S+)') {
        $process.Kill($true)
        throw "Unexpected emulator output: $($read.Result)"
    }
    [pscustomobject]@{
        PSTypeName = 'ITwinAuth.Tests.Emulator'
        Process    = $process
        Authority  = $Matches[1].TrimEnd('/')
        ApiBaseUri = $Matches[2].TrimEnd('/')
        ForeignUri = $Matches[3].TrimEnd('/')
    }
}

function Stop-ITwinEmulator {
    param([Parameter(Mandatory)] $Emulator)
    $process = $Emulator.Process
    if ($process.HasExited) { return }
    $process.StandardInput.Close()
    if (-not $process.WaitForExit(5000)) { $process.Kill($true) }
}

function Invoke-EmulatorAdmin {
    param([Parameter(Mandatory)] $Emulator, [string] $Method = 'Get', [Parameter(Mandatory)] [string] $Path, $Body)
    $params = @{ Method = $Method; Uri = "$($Emulator.Authority)/_emulator/$Path" }
    if ($PSBoundParameters.ContainsKey('Body')) {
        $params.Body = ConvertTo-Json -InputObject $Body -Depth 5
        $params.ContentType = 'application/json'
    }
    Invoke-RestMethod @params
}

# The tutorial's step 1: register a service application and get its client id, secret and scope.
function Register-EmulatorApp {
    param([Parameter(Mandatory)] $Emulator, [string] $ClientId, [string] $ClientSecret, [string[]] $Scopes, [int] $TokenLifetimeSeconds)
    $body = @{}
    if ($ClientId) { $body.clientId = $ClientId }
    if ($ClientSecret) { $body.clientSecret = $ClientSecret }
    if ($Scopes) { $body.scopes = $Scopes }
    if ($TokenLifetimeSeconds) { $body.tokenLifetimeSeconds = $TokenLifetimeSeconds }
    Invoke-EmulatorAdmin -Emulator $Emulator -Method Post -Path 'apps' -Body $body
}

function Set-EmulatorApp {
    param([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [string] $ClientId, [string] $ClientSecret, [int] $TokenLifetimeSeconds)
    $body = @{}
    if ($ClientSecret) { $body.clientSecret = $ClientSecret }
    if ($TokenLifetimeSeconds) { $body.tokenLifetimeSeconds = $TokenLifetimeSeconds }
    Invoke-EmulatorAdmin -Emulator $Emulator -Method Put -Path "apps/$ClientId" -Body $body
}

function Add-EmulatorFault {
    param([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [object[]] $Fault)
    Invoke-EmulatorAdmin -Emulator $Emulator -Method Post -Path 'faults' -Body $Fault | Out-Null
}

function Clear-EmulatorFault {
    param([Parameter(Mandatory)] $Emulator)
    Invoke-EmulatorAdmin -Emulator $Emulator -Method Delete -Path 'faults' | Out-Null
}

# The counters; -WithLog adds the API request log (up to 2,000 records: slow to read when only
# a counter is wanted).
function Get-EmulatorStats {
    param([Parameter(Mandatory)] $Emulator, [switch] $WithLog)
    Invoke-EmulatorAdmin -Emulator $Emulator -Path $(if ($WithLog) { 'stats' } else { 'stats?log=false' })
}

function Reset-EmulatorStats {
    param([Parameter(Mandatory)] $Emulator)
    Invoke-EmulatorAdmin -Emulator $Emulator -Method Post -Path 'stats/reset' | Out-Null
}

function Set-EmulatorSettings {
    param([Parameter(Mandatory)] $Emulator, [int] $TokenLifetimeSeconds, [int] $ITwinCount)
    $body = @{}
    if ($TokenLifetimeSeconds) { $body.tokenLifetimeSeconds = $TokenLifetimeSeconds }
    if ($ITwinCount) { $body.iTwinCount = $ITwinCount }
    Invoke-EmulatorAdmin -Emulator $Emulator -Method Put -Path 'settings' -Body $body
}

# Moves the emulator's token time forward: tokens it issued age by that much, so a test lets them
# expire without sleeping (with the module on a fake clock moved by as much: New-FakeTime).
# -Freeze stops it (it then moves only by -Seconds), -Freeze:$false lets it run on from there.
function Step-EmulatorClock {
    param([Parameter(Mandatory)] $Emulator, [double] $Seconds = 0, [switch] $Freeze)
    $body = @{ advanceSeconds = $Seconds }
    if ($PSBoundParameters.ContainsKey('Freeze')) { $body.freeze = [bool]$Freeze }
    Invoke-EmulatorAdmin -Emulator $Emulator -Method Post -Path clock -Body $body
}

Export-ModuleMember -Function *-ITwinEmulator, *-Emulator*, Step-EmulatorClock
