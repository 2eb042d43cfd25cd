<#
.SYNOPSIS
    A CI step that tests your ITwinAuth scripts offline, against the iTwin emulator tool.
.DESCRIPTION
    Starts itwin-emulator (the .NET tool ITwinAuth.Emulator) with a service app, sets the ITWIN_*
    variables your scripts read, runs your Pester tests with Invoke-Pester -CI (so a failing test
    fails the step), and stops the emulator. Nothing leaves 127.0.0.1 and no real secret is needed.

    One-time setup in the pipeline (Pester 5 comes from the PowerShell Gallery; the emulator from
    the package build.ps1 -Task Package makes, or your feed):
        dotnet tool install --global ITwinAuth.Emulator --add-source <folder or feed with ITwinAuth.Emulator.*.nupkg>
        pwsh -c 'Install-Module Pester -MinimumVersion 5.5 -Scope CurrentUser -Force'
    Then:
        pwsh ./examples/Invoke-OfflinePipeline.ps1 -TestPath ./tests
.EXAMPLE
    pwsh ./examples/Invoke-OfflinePipeline.ps1 -TestPath ./examples/ITwinAuth.Pipeline.Tests.ps1
#>
param(
    # Your Pester tests (a file or folder).
    [string] $TestPath = (Join-Path $PSScriptRoot 'ITwinAuth.Pipeline.Tests.ps1'),
    # The emulator command: itwin-emulator on PATH, or the path of one installed with --tool-path.
    [string] $EmulatorCommand = 'itwin-emulator',
    # Pester to import, when it is not installed as a module (e.g. a path to Pester.psd1).
    [string] $PesterPath = 'Pester'
)
$ErrorActionPreference = 'Stop'

$info = [Diagnostics.ProcessStartInfo]::new($EmulatorCommand)
# --stop-after bounds its life if this step is killed; --exit-on-stdin-close stops it when we end.
foreach ($argument in '--app', 'ci-app:ci-secret:itwin-platform', '--env', 'none', '--stop-after', '1800', '--exit-on-stdin-close') {
    $info.ArgumentList.Add($argument)
}
$info.RedirectStandardInput = $true
$info.RedirectStandardOutput = $true
$info.UseShellExecute = $false
$emulator = [Diagnostics.Process]::Start($info)
try {
    $ready = $emulator.StandardOutput.ReadLineAsync()
    if (-not $ready.Wait([timespan]::FromSeconds(60)) -or $ready.Result -notmatch '^ITwinEmulator ready authority=(\S+) api=(\S+)') {
        throw "itwin-emulator did not start: $($ready.Result)"
    }
    $env:ITWIN_AUTHORITY = $Matches[1].TrimEnd('/')
    $env:ITWIN_API_BASE_URI = $Matches[2].TrimEnd('/')
    $env:ITWIN_CLIENT_ID = 'ci-app'
    $env:ITWIN_CLIENT_SECRET = 'ci-secret'
    Write-Host "itwin-emulator: IMS $env:ITWIN_AUTHORITY, API $env:ITWIN_API_BASE_URI"

    Import-Module $PesterPath -MinimumVersion 5.0
    $configuration = New-PesterConfiguration
    $configuration.Run.Path = $TestPath
    $configuration.Run.PassThru = $true
    $configuration.Output.Verbosity = 'Detailed'
    $result = Invoke-Pester -Configuration $configuration
    Write-Host "RESULT=$($result.PassedCount)/$($result.FailedCount)"
    $failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
}
finally {
    $emulator.StandardInput.Close()
    if (-not $emulator.WaitForExit(10000)) { $emulator.Kill($true) }
}
# As Invoke-Pester -CI does: a failed test makes this step exit non-zero.
exit $(if ($failed -gt 0) { 1 } else { 0 })
