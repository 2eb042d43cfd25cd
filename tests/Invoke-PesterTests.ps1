# Runs the Pester suite in a fresh process against the built module; build.ps1 -Task Test calls it.
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EmulatorPath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string] $Tag
)
$ErrorActionPreference = 'Stop'
$env:ITWINAUTH_MODULE = $ModulePath
$env:ITWINAUTH_EMULATOR = $EmulatorPath
Import-Module $PesterPath -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = Join-Path $PSScriptRoot 'Pester'
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputPath = Join-Path $ResultsPath 'pester.xml'
if ($Tag) { $configuration.Filter.Tag = $Tag -split ',' }
$result = Invoke-Pester -Configuration $configuration

[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount
} | ConvertTo-Json | Set-Content -Path $SummaryPath
if ($result.Result -ne 'Passed') { exit 1 }
