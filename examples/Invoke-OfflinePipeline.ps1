<#
.SYNOPSIS
    A CI step that tests your ITwinAuth scripts offline, against the iTwin emulator.
.DESCRIPTION
    Starts the emulator with a service app, sets the ITWIN_* variables your scripts read, runs your
    Pester tests (a failing test makes this step exit 1, as Invoke-Pester -CI does), and stops the
    emulator. Nothing leaves 127.0.0.1 and no real secret is needed.

    Run from the ITwinAuth repository, it needs nothing installed: it imports the BUILT module by
    path (output/ITwinAuth/<version>/, from build.ps1 -Task Build), starts the built emulator
    (tests/ITwinAuth.Emulator/bin/...), and uses the Pester that build.ps1 fetches from NuGet into
    output/tools (fetching it the same way, with dotnet restore, if it is not there yet):
        dotnet tool restore && dotnet pwsh ./build.ps1 -Task Package
        dotnet pwsh ./examples/Invoke-OfflinePipeline.ps1

    Copied into your own repository, it uses the installed ITwinAuth module, Pester 5, and the
    emulator installed as a .NET tool from the package build.ps1 -Task Package makes
    (output/ITwinAuth.Emulator.<version>.nupkg, or your feed):
        dotnet tool install --tool-path .tools ITwinAuth.Emulator --add-source <folder or feed>
        pwsh -c 'Install-Module ITwinAuth, Pester -Scope CurrentUser -Force'
        pwsh ./Invoke-OfflinePipeline.ps1 -EmulatorCommand .tools/itwin-emulator -TestPath ./tests
    A 'dotnet tool install --global' puts itwin-emulator in ~/.dotnet/tools, which a fresh machine
    does not have on PATH ("itwin-emulator: command not found"): this script looks there too, or
    give -EmulatorCommand the full path.
.EXAMPLE
    pwsh ./examples/Invoke-OfflinePipeline.ps1 -TestPath ./examples/ITwinAuth.Pipeline.Tests.ps1 -TestResultPath ./output/testResults.xml
#>
param(
    # Your Pester tests (a file or folder).
    [string] $TestPath = (Join-Path $PSScriptRoot 'ITwinAuth.Pipeline.Tests.ps1'),
    # The emulator: a command (itwin-emulator), the path of an installed tool, or the emulator's .dll
    # (run with dotnet). Default: the repository's build when run from it, else itwin-emulator.
    [string] $EmulatorCommand,
    # Pester 5 to import: a module name or a path to Pester.psd1. Default: the repository's copy in
    # output/tools when run from it, else the installed Pester module.
    [string] $PesterPath,
    # Where to write an NUnit XML report for the pipeline's test tab (none when not given).
    [string] $TestResultPath
)
$ErrorActionPreference = 'Stop'

# In the ITwinAuth repository: the built module, the built emulator and the build's Pester.
$repository = Split-Path $PSScriptRoot
$inRepository = (Test-Path (Join-Path $repository 'ITwinAuth.psd1')) -and (Test-Path (Join-Path $repository 'tests/ITwinAuth.Emulator'))
if ($inRepository) {
    $version = (Import-PowerShellDataFile (Join-Path $repository 'ITwinAuth.psd1')).ModuleVersion
    $output = Join-Path $repository 'output'
    $manifest = Join-Path $output "ITwinAuth/$version/ITwinAuth.psd1"
    if (-not (Test-Path $manifest)) { throw "The module is not built ($manifest): run 'dotnet pwsh ./build.ps1 -Task Build' first." }
    # First on PSModulePath, so 'Import-Module ITwinAuth' in the tests (and in any child pwsh) finds this build.
    $env:PSModulePath = $output + [IO.Path]::PathSeparator + $env:PSModulePath
    Import-Module $manifest
    Write-Host "ITwinAuth $version from $(Split-Path $manifest) (this repository's build)"
    if (-not $EmulatorCommand) {
        $EmulatorCommand = @('Release', 'Debug' | ForEach-Object { Join-Path $repository "tests/ITwinAuth.Emulator/bin/$_/net10.0/ITwinAuth.Emulator.dll" } |
                Where-Object { Test-Path $_ })[0]
        if (-not $EmulatorCommand) { throw "The emulator is not built: run 'dotnet pwsh ./build.ps1 -Task Build' first." }
    }
    if (-not $PesterPath) {
        $tools = Join-Path $output 'tools'
        $PesterPath = @(Get-ChildItem (Join-Path $tools 'pester/*/tools/Pester.psd1') -ErrorAction Ignore | Sort-Object { [version]$_.Directory.Parent.Name } -Descending)[0].FullName
        if (-not $PesterPath) {
            # What build.ps1 does before a test run: Pester comes from NuGet into output/tools, never into your module path.
            Write-Host "Fetching Pester from NuGet into $tools (as build.ps1 does)"
            & dotnet restore (Join-Path $repository 'tests/Tools/Tools.csproj') --packages $tools --nologo -v:q
            if ($LASTEXITCODE -ne 0) { throw "dotnet restore of tests/Tools/Tools.csproj failed (exit code $LASTEXITCODE)." }
            $PesterPath = @(Get-ChildItem (Join-Path $tools 'pester/*/tools/Pester.psd1'))[0].FullName
        }
    }
}
if (-not $PesterPath) { $PesterPath = 'Pester' }
if (-not $EmulatorCommand) {
    $EmulatorCommand = 'itwin-emulator'
    $globalTool = Join-Path ([Environment]::GetFolderPath('UserProfile')) '.dotnet/tools/itwin-emulator'
    if (-not (Get-Command $EmulatorCommand -CommandType Application -ErrorAction Ignore) -and (Test-Path $globalTool)) {
        Write-Host "itwin-emulator is not on PATH; using $globalTool (add ~/.dotnet/tools to PATH to call it by name)."
        $EmulatorCommand = $globalTool
    }
}

# A relative path (.tools/itwin-emulator) is taken from the current location, as PowerShell sees it.
if (Test-Path $EmulatorCommand -PathType Leaf) { $EmulatorCommand = (Resolve-Path $EmulatorCommand).ProviderPath }

$arguments = @('--app', 'ci-app:ci-secret:itwin-platform', '--env', 'none', '--stop-after', '1800', '--exit-on-stdin-close')
if ($EmulatorCommand -like '*.dll') {
    $info = [Diagnostics.ProcessStartInfo]::new('dotnet')
    $info.ArgumentList.Add($EmulatorCommand)
}
else {
    $info = [Diagnostics.ProcessStartInfo]::new($EmulatorCommand)
}
# --stop-after bounds its life if this step is killed; --exit-on-stdin-close stops it when we end.
foreach ($argument in $arguments) { $info.ArgumentList.Add($argument) }
$info.RedirectStandardInput = $true
$info.RedirectStandardOutput = $true
$info.UseShellExecute = $false
try { $emulator = [Diagnostics.Process]::Start($info) }
catch { throw "Could not start the emulator '$EmulatorCommand' ($($_.Exception.Message)). Install it with 'dotnet tool install' and give its path with -EmulatorCommand." }
try {
    $ready = $emulator.StandardOutput.ReadLineAsync()
    if (-not $ready.Wait([timespan]::FromSeconds(60)) -or $ready.Result -notmatch '^ITwinEmulator ready authority=(\S+) api=(\S+)') {
        throw "The emulator did not start: $($ready.Result)"
    }
    $env:ITWIN_AUTHORITY = $Matches[1].TrimEnd('/')
    $env:ITWIN_API_BASE_URI = $Matches[2].TrimEnd('/')
    $env:ITWIN_CLIENT_ID = 'ci-app'
    $env:ITWIN_CLIENT_SECRET = 'ci-secret'
    Write-Host "iTwin emulator: IMS $env:ITWIN_AUTHORITY, API $env:ITWIN_API_BASE_URI"

    Import-Module $PesterPath -MinimumVersion 5.0
    $configuration = New-PesterConfiguration
    $configuration.Run.Path = $TestPath
    $configuration.Run.PassThru = $true
    $configuration.Output.Verbosity = 'Detailed'
    if ($TestResultPath) {
        $configuration.TestResult.Enabled = $true
        $configuration.TestResult.OutputPath = $TestResultPath
    }
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
