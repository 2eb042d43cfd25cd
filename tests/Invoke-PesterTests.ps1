# Runs the Pester suite in a fresh process against the built module; build.ps1 -Task Test calls it.
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EmulatorPath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string] $Tag,
    # Desktop: the module loads its Windows PowerShell (netstandard2.0) build on this PowerShell 7.
    [ValidateSet('Core', 'Desktop')] [string] $Edition = 'Core'
)
$ErrorActionPreference = 'Stop'
$env:ITWINAUTH_MODULE = $ModulePath
$env:ITWINAUTH_EMULATOR = $EmulatorPath
# Read by src/ITwinAuth.psm1 (and inherited by every child pwsh the tests start).
$env:ITWINAUTH_TEST_EDITION = $Edition
Import-Module $PesterPath -Force

# The repository's state before the run, for Repository.Tests.ps1, which runs last (build.ps1
# -Task Test records it before it builds). 'none' stands for a clean tree.
if (-not $env:ITWINAUTH_GIT_STATUS_BEFORE -and (Get-Command git -ErrorAction Ignore)) {
    $status = @(git -C (Join-Path $PSScriptRoot '..') status --porcelain --untracked-files=all 2>$null) -join "`n"
    $env:ITWINAUTH_GIT_STATUS_BEFORE = if ($status) { $status } else { 'none' }
}
$files = @(Get-ChildItem (Join-Path $PSScriptRoot 'Pester') -Filter *.Tests.ps1 | Sort-Object Name)

$configuration = New-PesterConfiguration
$configuration.Run.Path = [string[]](@($files | Where-Object Name -ne 'Repository.Tests.ps1') + @($files | Where-Object Name -eq 'Repository.Tests.ps1')).FullName
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputPath = Join-Path $ResultsPath "pester-$Edition.xml"
if ($Tag) { $configuration.Filter.Tag = $Tag -split ',' }
# Tests that exercise only the other edition's build are tagged with it; the README lists them.
$configuration.Filter.ExcludeTag = @(if ($Edition -eq 'Desktop') { 'CoreOnly' } else { 'DesktopOnly' })
$result = Invoke-Pester -Configuration $configuration

[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount
} | ConvertTo-Json | Set-Content -Path $SummaryPath
if ($result.Result -ne 'Passed') { exit 1 }
