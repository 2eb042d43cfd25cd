# Issue 16: the emulator as a tool users take home. examples/Invoke-OfflinePipeline.ps1, the CI step
# a user copies, run against the itwin-emulator tool installed (offline) from its package. The tool's
# own command line and package are tested in tests/ITwinAuth.Emulator.Tests.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../ChildPwsh.psm1') -Force
    $version = (Import-PowerShellDataFile $env:ITWINAUTH_MODULE).ModuleVersion
    $output = $env:ITWINAUTH_OUTPUT
    $repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $pester = Join-Path $output 'tools/pester/5.7.1/tools/Pester.psd1'
    # The folder that holds ITwinAuth/<version>/: the user's module path.
    $modulePath = Split-Path $env:ITWINAUTH_MODULE | Split-Path | Split-Path

    # Offline: a NuGet config whose only source is the build's output folder.
    $toolRoot = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-pipeline-$PID"
    New-Item -ItemType Directory -Path $toolRoot -Force | Out-Null
    $config = Join-Path $toolRoot 'nuget.config'
    Set-Content $config "<configuration><packageSources><clear /><add key=`"build`" value=`"$output`" /></packageSources></configuration>"
    $toolPath = Join-Path $toolRoot 'bin'
    $install = & dotnet tool install --tool-path $toolPath --configfile $config ITwinAuth.Emulator --version $version 2>&1
    if ($LASTEXITCODE -ne 0) { throw "dotnet tool install failed: $($install -join "`n")" }
    $tool = Join-Path $toolPath 'itwin-emulator'
}
AfterAll { Remove-Item $toolRoot -Recurse -Force -ErrorAction Ignore }

Describe 'The offline pipeline example with the itwin-emulator tool' -Tag EmulatorTool {
    It 'runs the pipeline example: the user''s Pester tests pass against the installed tool' {
        $run = Invoke-ChildPwsh -TimeoutSeconds 240 -Environment @{ PSModulePath = $modulePath; CI = 'true' } -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-File', (Join-Path $repoRoot 'examples/Invoke-OfflinePipeline.ps1'),
            '-EmulatorCommand', $tool, '-PesterPath', $pester)
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'RESULT=5/0'
    }

    It 'the pipeline example exits non-zero when a test fails' {
        $failing = Join-Path $toolRoot 'Failing.Tests.ps1'
        Set-Content $failing "Describe 'x' { It 'fails' { Import-Module ITwinAuth; Get-ITwinServiceToken | Out-Null; (Get-ITwinMe).Email | Should -Be 'someone-else' } }"
        $run = Invoke-ChildPwsh -TimeoutSeconds 240 -Environment @{ PSModulePath = $modulePath } -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-File', (Join-Path $repoRoot 'examples/Invoke-OfflinePipeline.ps1'),
            '-EmulatorCommand', $tool, '-PesterPath', $pester, '-TestPath', $failing)
        $run.Output | Should -Match 'RESULT=0/1'
        $run.ExitCode | Should -Be 1
    }
}
