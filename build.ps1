#Requires -Version 7.2
<#
.SYNOPSIS
    Builds, tests, packages and demonstrates ITwinAuth.
.DESCRIPTION
    Build   lays out the module in output/ITwinAuth/<version>/ (manifest, both builds, format file, help);
            steps whose inputs are older than their outputs are skipped.
    Test    the product's suites: builds, runs the xUnit tests of the core against the emulator alongside
            Pester against the built module and the emulator; ends with the Pester files' table and a
            summary, and exits non-zero on any failure (-Verbose lists every passing xUnit test too).
            -Edition Desktop runs both suites against the Windows PowerShell (netstandard2.0) build instead,
            on this PowerShell 7 (the module from a test copy in output/test-desktop whose psm1 loads
            bin/netstandard2.0), so that its .NET Framework code paths (#if !NET) execute here.
    Check   the test tooling's suites, once: the emulator's xUnit tests (tests/ITwinAuth.Emulator.Tests,
            its tool package included) alongside tests/Tooling (the Pester runner's own test, the bench
            smoke pass, the offline pipeline example, and docs/RELIABILITY.md against what the last
            Test run observed: run Test first).
    Package publishes the built module to a temporary local repository: output/ITwinAuth.<version>.nupkg,
            and packs the emulator as the .NET tool itwin-emulator: output/ITwinAuth.Emulator.<version>.nupkg.
    Shell   starts the emulator and opens a pwsh with the built module imported and signed in to it;
            the emulator stops when that shell exits. -ShellCommand runs a command there instead.
    Demo    runs Bentley's "Authorize Service Application" tutorial end to end against the emulator.
    Bench   runs the benchmarks (bench/) and writes bench/results.md.
    Tools (Pester) are fetched from NuGet into output/tools, never into your module path.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Test -Edition Desktop
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Check
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Check', 'Package', 'Demo', 'Bench', 'Shell')]
    [string] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Pester tag filter, e.g. -Tag Cache
    [string[]] $Tag,
    # Test: the build the tests run against. Desktop: the netstandard2.0 build (Windows PowerShell's).
    [ValidateSet('Core', 'Desktop')]
    [string] $Edition = 'Core',
    # Bench: a short smoke pass instead of the full measurement.
    [switch] $Quick,
    # Shell: run this command in the signed-in shell and exit with its result, instead of staying
    # interactive (how CI drives the Shell task).
    [string] $ShellCommand
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$version = (Import-PowerShellDataFile -Path (Join-Path $root 'ITwinAuth.psd1')).ModuleVersion
$output = Join-Path $root 'output'
$moduleRoot = Join-Path $output 'ITwinAuth' $version
$emulatorDll = Join-Path $root "tests/ITwinAuth.Emulator/bin/$Configuration/net10.0/ITwinAuth.Emulator.dll"
$testTimeDll = Join-Path $root "tests/ITwinAuth.TestTime/bin/$Configuration/netstandard2.0/ITwinAuth.TestTime.dll"
$frameworks = 'net6.0', 'netstandard2.0'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Invoke-Native {
    param([Parameter(Mandatory)] [string] $FilePath, [Parameter(Mandatory)] [string[]] $ArgumentList)
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE." }
}

Import-Module (Join-Path $root 'tests/ChildPwsh.psm1') -Force

# Incremental: the compile and layout steps run only when a source is newer than the stamp they
# leave, and the help only when the docs or the build are newer than it.
$buildStamp = Join-Path $output '.build.stamp'

function Get-NewestWrite([string[]] $Path, [string] $Include = '.') {
    $newest = [datetime]::MinValue
    foreach ($item in $Path) {
        if (Test-Path $item -PathType Leaf) { $files = @($item) }
        elseif (Test-Path $item) { $files = [IO.Directory]::EnumerateFiles($item, '*', [IO.SearchOption]::AllDirectories) | Where-Object { $_ -match $Include } }
        else { continue }
        foreach ($file in $files) {
            if ($file -match '[\\/](bin|obj)[\\/]') { continue }
            $time = [IO.File]::GetLastWriteTimeUtc($file)
            if ($time -gt $newest) { $newest = $time }
        }
    }
    $newest
}

function Test-UpToDate([string] $Target, [string[]] $Source, [string] $Include = '.') {
    (Test-Path $Target) -and [IO.File]::GetLastWriteTimeUtc($Target) -ge (Get-NewestWrite $Source $Include)
}

function Copy-IfChanged([string] $Path, [string] $Destination) {
    $target = Join-Path $Destination (Split-Path $Path -Leaf)
    if ((Test-Path $target) -and (Get-FileHash $Path).Hash -eq (Get-FileHash $target).Hash) { return }
    Copy-Item $Path $target -Force
}

function Invoke-Build {
    $sources = @('src', 'tests/ITwinAuth.Emulator', 'tests/ITwinAuth.Emulator.Tests', 'tests/ITwinAuth.Core.Tests', 'tests/ITwinAuth.TestTime', 'Directory.Build.props', 'ITwinAuth.sln', 'ITwinAuth.psd1') |
        ForEach-Object { Join-Path $root $_ }
    $built = (Test-UpToDate $buildStamp $sources '\.(cs|csproj|props|targets|resx|json)$') -and (Get-Content $buildStamp -Raw).Trim() -eq "$version $Configuration" -and
        (Test-Path (Join-Path $moduleRoot 'bin/net6.0/ITwinAuth.dll')) -and (Test-Path $emulatorDll) -and (Test-Path $testTimeDll)
    if ($built) {
        Write-Host "ITwinAuth $version ($Configuration): assemblies up to date" -ForegroundColor Cyan
    }
    else {
        Write-Host "Building ITwinAuth $version ($Configuration)" -ForegroundColor Cyan
        Invoke-Native dotnet @('build', (Join-Path $root 'ITwinAuth.sln'), '-c', $Configuration, "-p:Version=$version", '--nologo', '-v:q', '-clp:NoSummary')
        foreach ($framework in $frameworks) {
            $publish = Join-Path $output 'publish' $framework
            if (Test-Path $publish) { Remove-Item $publish -Recurse -Force }
            Invoke-Native dotnet @('publish', (Join-Path $root 'src/ITwinAuth/ITwinAuth.csproj'), '-c', $Configuration, '-f', $framework,
                "-p:Version=$version", '-o', $publish, '--no-build', '--nologo', '-v:q', '-clp:NoSummary')
            $bin = Join-Path $moduleRoot 'bin' $framework
            if (Test-Path $bin) { Remove-Item $bin -Recurse -Force }
            New-Item -ItemType Directory -Path $bin | Out-Null
            Get-ChildItem $publish -Filter 'ITwinAuth*.dll' | Copy-Item -Destination $bin
            # Third-party assemblies go to a private folder that only ITwinAuth's resolve handler reads.
            $others = @(Get-ChildItem $publish -Filter *.dll | Where-Object Name -notlike 'ITwinAuth*')
            if ($others) {
                New-Item -ItemType Directory -Path (Join-Path $bin 'dependencies') | Out-Null
                $others | Copy-Item -Destination (Join-Path $bin 'dependencies')
            }
        }
        Set-Content -Path $buildStamp -Value "$version $Configuration"
    }
    # The built manifest carries this version's CHANGELOG section as its release notes.
    $changelog = (Get-Content (Join-Path $root 'CHANGELOG.md') -Raw) -replace "`r`n", "`n"
    if ($changelog -notmatch "(?ms)^## $([regex]::Escape($version))\s*\n(.*?)(?=^## |\z)") { throw "CHANGELOG.md has no '## $version' section." }
    $notes = $Matches[1].Trim() -replace "'", "''"
    $manifest = (Get-Content (Join-Path $root 'ITwinAuth.psd1') -Raw) -replace "ReleaseNotes\s*=\s*'[^']*'", "ReleaseNotes = '$notes'"
    $builtManifest = Join-Path $moduleRoot 'ITwinAuth.psd1'
    if (-not (Test-Path $builtManifest) -or (Get-Content $builtManifest -Raw) -cne $manifest) {
        Set-Content -Path $builtManifest -Value $manifest -NoNewline
    }
    foreach ($file in 'LICENSE', 'src/ITwinAuth.psm1', 'src/ITwinAuth.Format.ps1xml', 'src/ITwinAuth.Api.Format.ps1xml') { Copy-IfChanged (Join-Path $root $file) $moduleRoot }
    $helpBuilder = Join-Path $root 'docs/Build-Help.ps1'
    $helpFile = Join-Path $moduleRoot 'en-US/ITwinAuth.dll-Help.xml'
    if (-not (Test-UpToDate $helpFile @((Join-Path $root 'docs'), $buildStamp))) {
        # A failed build of the help leaves no help file, so the next build tries again instead of finding it up to date.
        try { & $helpBuilder -DocsPath (Join-Path $root 'docs') -ModulePath $moduleRoot }
        catch { Remove-Item $helpFile -ErrorAction Ignore; throw }
    }
    Write-Host "Built $moduleRoot" -ForegroundColor Green
}

function Install-TestTools {
    $packages = Join-Path $output 'tools'
    $pester = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $pester) -or -not (Test-Path (Join-Path $packages 'system.numerics.vectors/4.4.0'))) {
        Invoke-Native dotnet @('restore', (Join-Path $root 'tests/Tools/Tools.csproj'), '--packages', $packages, '--nologo', '-v:q')
    }
    return $pester
}

# The real Microsoft.PowerShell.SecretManagement and SecretStore for the vault tests: the folder
# ../shared/secretmanagement/modules beside the repository (CI has it there too, read-only). Its path goes
# to the test processes as ITWINAUTH_SECRETMANAGEMENT_MODULES, and the vault tests put it first on
# PSModulePath of the child processes they start: no other test (some check a machine without
# SecretManagement), and never the user's PSModulePath, sees it. Says on the console either way.
function Find-TestSecretManagement {
    $folder = [IO.Path]::GetFullPath((Join-Path $root '../shared/secretmanagement/modules'))
    $found = @(foreach ($name in 'Microsoft.PowerShell.SecretManagement', 'Microsoft.PowerShell.SecretStore') {
            $manifest = Join-Path $folder $name "$name.psd1"
            if (Test-Path $manifest) { "$name $((Import-PowerShellDataFile $manifest).ModuleVersion)" }
        })
    if ($found.Count -eq 2) {
        Write-Host "Vault tests: the real $($found -join ' and ') from $folder" -ForegroundColor Cyan
        return $folder
    }
    Write-Host "Vault tests: the real SecretManagement and SecretStore are NOT at $folder; the tests that need them will be reported as skipped (unless both are installed)" -ForegroundColor Yellow
    return ''
}

function Invoke-WithTestSettings([scriptblock] $Run) {
    $settings = [ordered]@{
        # The real SecretManagement for the vault tests, or '' (see Find-TestSecretManagement).
        ITWINAUTH_SECRETMANAGEMENT_MODULES = Find-TestSecretManagement
        # What git sees before anything runs: the last Pester test checks the run left it so.
        ITWINAUTH_GIT_STATUS_BEFORE = $(if (Get-Command git -ErrorAction Ignore) { @(git -C $root status --porcelain --untracked-files=all 2>$null) -join "`n" })
        # Every test process is short-lived: the JIT's profile-guided tier costs them CPU it never
        # pays back (about a sixth of the run's), so it is off for the run and its children.
        DOTNET_TieredPGO            = '0'
        # Nor does a test's child pwsh start telemetry or look for a newer PowerShell.
        POWERSHELL_TELEMETRY_OPTOUT = '1'
        POWERSHELL_UPDATECHECK      = 'Off'
    }
    if (-not $settings.ITWINAUTH_GIT_STATUS_BEFORE) { $settings.ITWINAUTH_GIT_STATUS_BEFORE = 'none' }
    # Set for the run only: a shell that ran build.ps1 gets its own values back.
    $saved = @{}
    foreach ($name in $settings.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $settings[$name]) }
    try { & $Run }
    finally { foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) } }
}

# The Desktop run's module: a copy of the built one whose psm1 loads bin/netstandard2.0 on any
# edition, so that the Windows PowerShell build (the same files) runs on this PowerShell 7. The
# shipped psm1 has no switch for it. Its folder holds ITwinAuth/<version>/ as a module path would.
function New-DesktopTestModule {
    $folder = Join-Path $output 'test-desktop'
    if (Test-Path $folder) { Remove-Item $folder -Recurse -Force }
    $copy = Join-Path $folder 'ITwinAuth' $version
    New-Item -ItemType Directory -Path $copy | Out-Null
    Copy-Item (Join-Path $moduleRoot '*') $copy -Recurse
    $psm1 = Join-Path $copy 'ITwinAuth.psm1'
    $text = Get-Content $psm1 -Raw
    $choice = [regex]::Matches($text, '(?m)^\$framework = .*$')
    if ($choice.Count -ne 1) { throw "src/ITwinAuth.psm1 no longer has one '`$framework = ...' line for the Desktop test copy to replace." }
    Set-Content -Path $psm1 -NoNewline -Value $text.Replace($choice[0].Value, "`$framework = 'netstandard2.0' # the Desktop test copy (build.ps1 -Task Test -Edition Desktop)")
    Join-Path $copy 'ITwinAuth.psd1'
}

# One run of an xUnit project alongside a folder of Pester files, against the built module; prints
# the xUnit failures (every test line with -Verbose), then the Pester files' table, then the totals.
function Invoke-Suites {
    param([string] $Title, [string] $XunitProject, [string[]] $XunitArguments = @(), [string] $XunitName, [string] $PesterName,
        [string] $TestsPath, [string] $RunName, [string] $ModulePath, [hashtable] $XunitEnvironment = @{})
    $results = Join-Path $output 'test-results'
    New-Item -ItemType Directory -Path $results -Force | Out-Null

    # xUnit and Pester run side by side: the xUnit run's output is kept and shown when it ends.
    Write-Host "xUnit: $XunitName, alongside Pester" -ForegroundColor Cyan
    $trx = "xunit-$RunName.trx"
    Remove-Item (Join-Path $results $trx) -ErrorAction Ignore
    $verbosity = if ($VerbosePreference -eq 'SilentlyContinue') { 'minimal' } else { 'normal' }
    $xunitRun = Start-ChildProcess -FilePath dotnet -Environment $XunitEnvironment -ArgumentList (@('test', $XunitProject, '-c', $Configuration, '--no-build', '--nologo') + $XunitArguments + @(
            '--logger', "trx;LogFileName=$trx", '--logger', "console;verbosity=$verbosity", '--results-directory', $results))
    $xunitOutput = $xunitRun.StandardOutput.ReadToEndAsync(), $xunitRun.StandardError.ReadToEndAsync()

    Write-Host "Pester: $PesterName" -ForegroundColor Cyan
    $pester = Install-TestTools
    $summary = Join-Path $results "pester-summary-$RunName.json"
    Remove-Item $summary -ErrorAction Ignore
    $pwsh = Get-PwshCommand
    $runner = Join-Path $root 'tests/Invoke-PesterTests.ps1'
    $arguments = @('-NoProfile', '-NonInteractive', '-File', $runner, '-PesterPath', $pester, '-TestsPath', $TestsPath, '-RunName', $RunName, '-OutputPath', $output,
        '-ModulePath', $ModulePath, '-EmulatorPath', $emulatorDll, '-TestTimePath', $testTimeDll, '-ResultsPath', $results, '-SummaryPath', $summary, '-Edition', $Edition,
        '-WaitForProcessId', $xunitRun.Id, '-DeferTable')
    if ($Tag) { $arguments += @('-Tag', ($Tag -join ',')) }
    try {
        & $pwsh[0] @($pwsh | Select-Object -Skip 1) @arguments
        $pesterExit = $LASTEXITCODE
        $xunitRun.WaitForExit()
    }
    finally {
        if (-not $xunitRun.HasExited) { $xunitRun.Kill($true) }
    }
    $pesterResult = if (Test-Path $summary) { Get-Content $summary -Raw | ConvertFrom-Json } else { [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0; Files = @() } }
    if ($pesterExit -ne 0 -and $pesterResult.Failed -eq 0) { $pesterResult.Failed = 1 }

    $xunitExit = $xunitRun.ExitCode
    $report = Join-Path $results $trx
    $xunit = [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    if (Test-Path $report) {
        [xml] $trxXml = Get-Content $report
        $counters = $trxXml.TestRun.ResultSummary.Counters
        $xunit = [pscustomobject]@{ Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error; Skipped = [int]$counters.notExecuted }
    }
    if ($xunitExit -ne 0 -and $xunit.Failed -eq 0) { $xunit.Failed = 1 }
    Write-Host ''
    Write-Host "xUnit: $XunitName, its output$(if ($verbosity -eq 'minimal') { ' (failures only; -Verbose shows every test)' })" -ForegroundColor Cyan
    # Its standard error first: what is there repeats a failure named below, and its own summary line ends it.
    ($xunitOutput[1].Result + $xunitOutput[0].Result).Trim() | Write-Host

    # The answer, last: the Pester files' table and the totals.
    @($pesterResult.Files) | Where-Object { $_ } | Format-Table File, Passed, Failed, Skipped, Seconds | Out-String | Write-Host
    $passed = $xunit.Passed + $pesterResult.Passed
    $failed = $xunit.Failed + $pesterResult.Failed
    Write-Host $Title
    Write-Host ("xUnit : {0} passed, {1} failed, {2} skipped" -f $xunit.Passed, $xunit.Failed, $xunit.Skipped)
    Write-Host ("Pester: {0} passed, {1} failed, {2} skipped" -f $pesterResult.Passed, $pesterResult.Failed, $pesterResult.Skipped)
    Write-Host ("{0} passed, {1} failed" -f $passed, $failed) -ForegroundColor $(if ($failed -gt 0 -or $passed -eq 0) { 'Red' } else { 'Green' })
    if ($failed -gt 0 -or ($passed -eq 0)) { exit 1 }
}

# The product's suites: xUnit for the core and Pester for the built module, one edition.
function Invoke-TestRun {
    # The package too: the install tests install it from a local repository.
    Invoke-Package
    $coreTests = Join-Path $root 'tests/ITwinAuth.Core.Tests/ITwinAuth.Core.Tests.csproj'
    $editionArguments = @()
    $manifest = Join-Path $moduleRoot 'ITwinAuth.psd1'
    if ($Edition -eq 'Desktop') {
        # The test project built against the core's netstandard2.0 build, into its own folders.
        $editionArguments = @('-p:CoreEdition=Desktop')
        Invoke-Native dotnet (@('build', $coreTests, '-c', $Configuration, "-p:Version=$version", '--nologo', '-v:q', '-clp:NoSummary') + $editionArguments)
        $manifest = New-DesktopTestModule
    }
    Invoke-Suites -Title "Test: the product ($Edition edition)" -XunitProject $coreTests -XunitArguments $editionArguments -RunName $Edition `
        -XunitName "the core ($Edition edition) against the emulator" -PesterName "the built module ($Edition edition) against the emulator" `
        -TestsPath (Join-Path $root 'tests/Pester') -ModulePath $manifest
}

# The tooling's suites: the emulator's xUnit project (and its tool package), and the Pester files of
# tests/Tooling (the runner, the bench smoke pass, the offline pipeline example, docs/RELIABILITY.md
# against what the last Test run observed). Run once, against the PowerShell 7 build.
function Invoke-CheckRun {
    Invoke-Package
    if ($Edition -ne 'Core') { throw '-Task Check runs against the PowerShell 7 build only; leave out -Edition.' }
    Invoke-Suites -Title 'Check: the test tooling' -XunitProject (Join-Path $root 'tests/ITwinAuth.Emulator.Tests/ITwinAuth.Emulator.Tests.csproj') -RunName 'Tooling' `
        -XunitName 'the emulator and its tool' -PesterName 'the runner, the bench, the pipeline example and docs/RELIABILITY.md' `
        -TestsPath (Join-Path $root 'tests/Tooling') -ModulePath (Join-Path $moduleRoot 'ITwinAuth.psd1') -XunitEnvironment @{ ITWINAUTH_PACKAGES = $output }
}

function Invoke-Demo {
    Invoke-Build
    $pwsh = Get-PwshCommand
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $root 'tests/Invoke-Tutorial.ps1') `
        -ModulePath (Join-Path $moduleRoot 'ITwinAuth.psd1') -EmulatorPath $emulatorDll
    if ($LASTEXITCODE -ne 0) { throw "The demo failed (exit code $LASTEXITCODE)." }
}

function Invoke-Package {
    Invoke-Build
    $package = Join-Path $output "ITwinAuth.$version.nupkg"
    if (Test-UpToDate $package $moduleRoot) {
        Write-Host "Up to date: $package" -ForegroundColor Green
    }
    else {
        $repositoryPath = Join-Path $output 'repository'
        if (Test-Path $repositoryPath) { Remove-Item $repositoryPath -Recurse -Force }
        New-Item -ItemType Directory -Path $repositoryPath | Out-Null
        $name = "ITwinAuthBuild-$PID"
        Register-PSResourceRepository -Name $name -Uri $repositoryPath -Trusted
        try {
            Publish-PSResource -Path $moduleRoot -Repository $name -SkipDependenciesCheck
        }
        finally {
            Unregister-PSResourceRepository -Name $name
        }
        Copy-Item (Join-Path $repositoryPath "ITwinAuth.$version.nupkg") $package -Force
        Write-Host "Packaged $package" -ForegroundColor Green
    }

    # The emulator as a .NET tool (command itwin-emulator), for users' own pipelines.
    $tool = Join-Path $output "ITwinAuth.Emulator.$version.nupkg"
    if (Test-UpToDate $tool $buildStamp) {
        Write-Host "Up to date: $tool" -ForegroundColor Green
    }
    else {
        Invoke-Native dotnet @('pack', (Join-Path $root 'tests/ITwinAuth.Emulator/ITwinAuth.Emulator.csproj'), '-c', $Configuration,
            "-p:Version=$version", '-o', $output, '--no-build', '--nologo', '-v:q')
        Write-Host "Packaged $tool" -ForegroundColor Green
    }
}

# A signed-in shell: the built module, the emulator, a registered app, and a child pwsh that has
# signed in. The emulator stops when the shell exits (it also stops if this process dies: it
# watches its standard input, which only this process holds).
function Invoke-Shell {
    Invoke-Build
    Import-Module (Join-Path $root 'tests/Emulator.psm1') -Force
    $emulator = Start-ITwinEmulator -EmulatorPath $emulatorDll
    try {
        $app = Register-EmulatorApp -Emulator $emulator -ClientId 'service-shell' -Scopes 'itwin-platform'
        $settings = [ordered]@{
            ITWIN_CLIENT_ID = $app.client_id; ITWIN_CLIENT_SECRET = $app.client_secret; ITWIN_SCOPE = $app.scope
            ITWIN_AUTHORITY = $emulator.Authority; ITWIN_API_BASE_URI = $emulator.ApiBaseUri
        }
        $manifest = Join-Path $moduleRoot 'ITwinAuth.psd1'
        $startup = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$($manifest -replace "'", "''")'
Connect-ITwin; Get-ITwinConnection | Format-Table | Out-Host
`$ErrorActionPreference = 'Continue'
function global:prompt { "[itwin-emulator] PS `$(`$executionContext.SessionState.Path.CurrentLocation)> " }
Write-Host 'Signed in to the iTwin emulator as $($app.client_id) (ITWIN_* are set in this shell). Try:' -ForegroundColor Green
Write-Host '  Get-ITwinMe'
Write-Host '  Invoke-ITwinRequest /itwins -First 5'
Write-Host "  Invoke-ITwinRequest -Method Post /itwins -Body @{ displayName = 'My iTwin'; class = 'Endeavor'; subClass = 'Project' }"
Write-Host 'Type exit to leave; the emulator stops with this shell.' -ForegroundColor Green
"@
        $arguments = @('-NoLogo', '-NoProfile')
        if ($ShellCommand) {
            $arguments += @('-NonInteractive', '-Command', "$startup`n`$ErrorActionPreference = 'Stop'`n$ShellCommand")
        }
        else {
            $arguments += @('-NoExit', '-Command', $startup)
        }
        $saved = @{}
        foreach ($name in $settings.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $settings[$name]) }
        try {
            $pwsh = Get-PwshCommand
            & $pwsh[0] @($pwsh | Select-Object -Skip 1) @arguments
            $shellExit = $LASTEXITCODE
        }
        finally {
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        }
    }
    finally {
        Stop-ITwinEmulator -Emulator $emulator
        Write-Host "The emulator has stopped (exited: $($emulator.Process.HasExited))." -ForegroundColor Cyan
    }
    if ($shellExit -ne 0) { throw "The shell exited with code $shellExit." }
}

function Invoke-Bench {
    Invoke-Build
    $pwsh = Get-PwshCommand
    $arguments = @('-NoProfile', '-NonInteractive', '-File', (Join-Path $root 'bench/Invoke-Benchmarks.ps1'),
        '-ModulePath', (Join-Path $moduleRoot 'ITwinAuth.psd1'), '-EmulatorPath', $emulatorDll)
    if ($Quick) { $arguments += '-Quick' }
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) @arguments
    if ($LASTEXITCODE -ne 0) { throw "The benchmark failed (exit code $LASTEXITCODE)." }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-WithTestSettings { Invoke-TestRun } }
    'Check' { Invoke-WithTestSettings { Invoke-CheckRun } }
    'Package' { Invoke-Package }
    'Demo' { Invoke-Demo }
    'Bench' { Invoke-Bench }
    'Shell' { Invoke-Shell }
}
