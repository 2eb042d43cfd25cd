# The Pester runner itself (tests/Invoke-PesterTests.ps1): files in worker processes, and no file
# lost or passed in silence when a worker ends in the middle of one.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../ChildPwsh.psm1') -Force
}

Describe 'The Pester runner' -Tag Runner {
    It 'fails the file whose worker ended in it, whatever the exit code, and still runs every other file' {
        $folder = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-runner-$PID"
        $tests = Join-Path $folder 'tests'
        New-Item -ItemType Directory -Path $tests, (Join-Path $folder 'results') -Force | Out-Null
        try {
            # One worker, and slowest first is by size on a first run: the exit comes first, so the passing
            # files run only if a new worker takes them.
            Set-Content (Join-Path $tests 'Exits.Tests.ps1') "Describe 'x' { It 'ends its process with exit code 0, mid-file' { [Environment]::Exit(0) } }`n# $('padding ' * 200)"
            foreach ($name in 'One', 'Two', 'Three') {
                Set-Content (Join-Path $tests "$name.Tests.ps1") "Describe '$name' { It 'passes' { 1 | Should -Be 1 } }"
            }
            $summary = Join-Path $folder 'summary.json'
            $run = Invoke-ChildPwsh -TimeoutSeconds 120 -ArgumentList @('-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot '../Invoke-PesterTests.ps1'),
                '-PesterPath', (Join-Path (Get-Module Pester).ModuleBase 'Pester.psd1'), '-ModulePath', $env:ITWINAUTH_MODULE,
                '-EmulatorPath', $env:ITWINAUTH_EMULATOR, '-TestTimePath', $env:ITWINAUTH_TEST_TIME, '-ResultsPath', (Join-Path $folder 'results'),
                '-SummaryPath', $summary, '-Edition', $env:ITWINAUTH_TEST_EDITION, '-Workers', 1, '-TestsPath', $tests)
            $run.ExitCode | Should -Be 1 -Because $run.Output
            $run.Output | Should -Match 'Exits\.Tests\.ps1 \(its worker ended\)'
            $result = Get-Content $summary -Raw | ConvertFrom-Json
            $result.Passed | Should -Be 3 -Because "every other file ran: $($run.Output)"
            $result.Failed | Should -Be 1
        }
        finally { Remove-Item $folder -Recurse -Force -ErrorAction Ignore }
    }
}
