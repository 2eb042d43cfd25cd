# Runs the Pester suite against the built module; build.ps1 -Task Test calls it.
#
# The files run in worker processes side by side (-Workers; each file starts its own emulator, so
# files share nothing but the machine). A worker takes the next file nobody has taken yet, slowest
# first by the durations of the last run (file size on a first run), until none is left; the
# output of each worker is shown as it comes, prefixed with its number. Repository.Tests.ps1 runs
# last, alone, once every worker has finished: it checks what the whole run left behind. A table of
# the files' results ends the run (or, with -DeferTable, is left in the summary for the caller to
# print after its own output).
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EmulatorPath,
    # tests/ITwinAuth.TestTime: the time seam the tests load (Common.ps1, New-FakeTime).
    [Parameter(Mandatory)] [string] $TestTimePath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string] $Tag,
    # Desktop: the module loads its Windows PowerShell (netstandard2.0) build on this PowerShell 7.
    [ValidateSet('Core', 'Desktop')] [string] $Edition = 'Core',
    # The run is CPU-bound: on the 2-core build machines a third worker cost more CPU (a Pester, a
    # module and the JIT's work once more) than it saved in waits.
    [ValidateRange(1, 16)] [int] $Workers = 2,
    # Set only when this script runs as a worker: the folder where files are claimed.
    [string] $QueuePath,
    # A process to wait for before the repository check (build.ps1 passes the xUnit run's).
    [int] $WaitForProcessId,
    # The folder of *.Tests.ps1 files: Pester (the module's), Tooling (build.ps1 -Task Check), or the
    # runner's own test's.
    [string] $TestsPath = (Join-Path $PSScriptRoot 'Pester'),
    # Names this run's result files and remembered durations (default: the edition).
    [string] $RunName = $Edition,
    # The build's output folder: its packages and tools, for the tests that install them.
    [string] $OutputPath = (Join-Path $PSScriptRoot '../output'),
    # The caller prints the per-file table (the summary's Files) after its own output.
    [switch] $DeferTable
)
$ErrorActionPreference = 'Stop'
$env:ITWINAUTH_MODULE = $ModulePath
$env:ITWINAUTH_EMULATOR = $EmulatorPath
$env:ITWINAUTH_TEST_TIME = $TestTimePath
$env:ITWINAUTH_TEST_RESULTS = $ResultsPath
$env:ITWINAUTH_OUTPUT = [IO.Path]::GetFullPath($OutputPath)
# For the tests to know which build they run against; the module never reads it (for the Desktop
# run, build.ps1 passes a test copy of the module that loads bin/netstandard2.0).
$env:ITWINAUTH_TEST_EDITION = $Edition
Import-Module $PesterPath -Force
Import-Module (Join-Path $PSScriptRoot 'ChildPwsh.psm1') -Force

function Invoke-PesterFile([string] $Path) {
    $configuration = New-PesterConfiguration
    $configuration.Run.Path = $Path
    $configuration.Run.PassThru = $true
    $configuration.Output.Verbosity = 'Detailed'
    $configuration.TestResult.Enabled = $true
    $configuration.TestResult.OutputPath = Join-Path $ResultsPath "pester-$RunName-$([IO.Path]::GetFileNameWithoutExtension($Path) -replace '\.Tests$').xml"
    if ($Tag) { $configuration.Filter.Tag = $Tag -split ',' }
    # Tests that exercise only the other edition's build are tagged with it; docs/EDITIONS.md ("What is tested where") lists them.
    $configuration.Filter.ExcludeTag = @(if ($Edition -eq 'Desktop') { 'CoreOnly' } else { 'DesktopOnly' })
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $result = Invoke-Pester -Configuration $configuration
    [pscustomobject]@{
        File    = Split-Path $Path -Leaf
        Passed  = $result.PassedCount
        Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
        Skipped = $result.SkippedCount
        Seconds = [Math]::Round($watch.Elapsed.TotalSeconds, 1)
    }
}

# A worker: claims files in the queue's order (creating "<file>.taken" is the claim, atomic across
# processes), runs each, and adds a line to its summary after each file, so a crash loses nothing
# already run.
if ($QueuePath) {
    foreach ($path in Get-Content (Join-Path $QueuePath 'order.txt')) {
        try { [IO.File]::Open((Join-Path $QueuePath "$(Split-Path $path -Leaf).taken"), 'CreateNew').Dispose() }
        catch [IO.IOException] { continue }
        Set-Content -Path "$SummaryPath.current" -Value (Split-Path $path -Leaf)
        Invoke-PesterFile $path | ConvertTo-Json -Compress | Add-Content -Path $SummaryPath
    }
    exit 0
}

# The repository's state before the run, for Repository.Tests.ps1 (build.ps1 -Task Test records it
# before it builds). 'none' stands for a clean tree.
if (-not $env:ITWINAUTH_GIT_STATUS_BEFORE -and (Get-Command git -ErrorAction Ignore)) {
    $status = @(git -C (Join-Path $PSScriptRoot '..') status --porcelain --untracked-files=all 2>$null) -join "`n"
    $env:ITWINAUTH_GIT_STATUS_BEFORE = if ($status) { $status } else { 'none' }
}
$files = @(Get-ChildItem $TestsPath -Filter *.Tests.ps1)
$last = $files | Where-Object Name -eq 'Repository.Tests.ps1'
$durationsPath = Join-Path $ResultsPath "pester-durations-$RunName.json"
$durations = @{}
if (Test-Path $durationsPath) { (Get-Content $durationsPath -Raw | ConvertFrom-Json).PSObject.Properties | ForEach-Object { $durations[$_.Name] = [double]$_.Value } }
$order = @($files | Where-Object Name -ne 'Repository.Tests.ps1' |
        Sort-Object { if ($durations.ContainsKey($_.Name)) { $durations[$_.Name] } else { $_.Length / 1000 } } -Descending)

$queue = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-pester-$PID"
New-Item -ItemType Directory -Path $queue -Force | Out-Null
Set-Content -Path (Join-Path $queue 'order.txt') -Value $order.FullName
$count = [Math]::Min($Workers, $order.Count)
Write-Host "Pester: $($order.Count) files in $count worker processes, slowest first; Repository.Tests.ps1 last" -ForegroundColor Cyan
$ran = [Collections.Generic.List[object]]::new()
$pwsh = Get-PwshCommand
$started = 0
function Start-Worker {
    $script:started++
    $n = $script:started
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $PSCommandPath, '-PesterPath', $PesterPath,
        '-ModulePath', $ModulePath, '-EmulatorPath', $EmulatorPath, '-TestTimePath', $TestTimePath, '-ResultsPath', $ResultsPath,
        '-SummaryPath', (Join-Path $queue "worker-$n.jsonl"), '-Edition', $Edition, '-RunName', $RunName, '-OutputPath', $OutputPath, '-QueuePath', $queue)
    if ($Tag) { $arguments += @('-Tag', $Tag) }
    # Its standard input closed: a test's native child never reads the run's console.
    $process = Start-ChildProcess -FilePath $pwsh[0] -ArgumentList $arguments
    [pscustomobject]@{ Number = $n; Process = $process; Out = $process.StandardOutput.ReadLineAsync(); Err = $process.StandardError.ReadToEndAsync() }
}
function Test-Unclaimed { @($order | Where-Object { -not (Test-Path (Join-Path $queue "$($_.Name).taken")) }).Count -gt 0 }

$running = [Collections.Generic.List[object]]::new()
try {
    foreach ($n in 1..$count) { $running.Add((Start-Worker)) }
    # Every worker's lines as they come, so a long run is never silent.
    while ($running.Count -gt 0) {
        $index = [Threading.Tasks.Task]::WaitAny([Threading.Tasks.Task[]]@($running.Out))
        $worker = $running[$index]
        if ($null -ne $worker.Out.Result) {
            Write-Host "[$($worker.Number)] $($worker.Out.Result)"
            $worker.Out = $worker.Process.StandardOutput.ReadLineAsync()
            continue
        }
        $running.RemoveAt($index)
        $worker.Process.WaitForExit()
        $summary = Join-Path $queue "worker-$($worker.Number).jsonl"
        $done = @(if (Test-Path $summary) { Get-Content $summary | ConvertFrom-Json })
        foreach ($file in $done) { $ran.Add($file) }
        if ($worker.Err.Result) { Write-Host "[$($worker.Number)] $($worker.Err.Result)" -ForegroundColor Red }
        # A worker that ended in the middle of a file (a crash, or a test that exits the process,
        # whatever the exit code): that file failed, and the files nobody has claimed run in a new worker.
        $lost = Get-Content "$summary.current" -ErrorAction Ignore
        if ($worker.Process.ExitCode -ne 0 -or ($lost -and $lost -notin $ran.File)) {
            if (-not $lost -or $lost -in $ran.File) { $lost = 'no file' }
            Write-Host "[$($worker.Number)] ended (exit code $($worker.Process.ExitCode)) while running $lost." -ForegroundColor Red
            $ran.Add([pscustomobject]@{ File = "$lost (its worker ended)"; Passed = 0; Failed = 1; Skipped = 0; Seconds = 0 })
            if (Test-Unclaimed) { $running.Add((Start-Worker)) }
        }
    }
}
finally {
    foreach ($worker in $running) { if (-not $worker.Process.HasExited) { $worker.Process.Kill($true) } }
    Remove-Item $queue -Recurse -Force -ErrorAction Ignore
}
# Every file has a result: one that no worker ran (or finished) is a failure, never a silent pass.
foreach ($file in $order | Where-Object { $_.Name -notin $ran.File -and "$($_.Name) (its worker ended)" -notin $ran.File }) {
    $ran.Add([pscustomobject]@{ File = "$($file.Name) (not run)"; Passed = 0; Failed = 1; Skipped = 0; Seconds = 0 })
}
# The repository check sees what the whole run left, xUnit's part included: wait for it first.
if ($WaitForProcessId) {
    $other = Get-Process -Id $WaitForProcessId -ErrorAction Ignore
    if ($other) {
        Write-Host "Waiting for process $WaitForProcessId (xUnit) before the repository check" -ForegroundColor Cyan
        if (-not $other.WaitForExit(600000)) { Write-Host 'It did not end within 10 minutes: checking the repository anyway.' -ForegroundColor Red }
    }
}
if ($last) { $ran.Add((Invoke-PesterFile $last.FullName)) }

if (-not $Tag) {
    $known = [ordered]@{}
    foreach ($file in $ran | Where-Object File -like '*.Tests.ps1' | Sort-Object File) { $known[$file.File] = $file.Seconds }
    ConvertTo-Json -InputObject $known | Set-Content -Path $durationsPath
}
$files = @($ran | Sort-Object Seconds -Descending)
$total = [pscustomobject]@{
    Passed  = [int]($ran | Measure-Object Passed -Sum).Sum
    Failed  = [int]($ran | Measure-Object Failed -Sum).Sum
    Skipped = [int]($ran | Measure-Object Skipped -Sum).Sum
    Files   = $files
}
if (-not $DeferTable) {
    Write-Host ''
    $files | Format-Table File, Passed, Failed, Skipped, Seconds | Out-String | Write-Host
}
ConvertTo-Json -InputObject $total -Depth 3 | Set-Content -Path $SummaryPath
if ($total.Failed -gt 0) { exit 1 }
