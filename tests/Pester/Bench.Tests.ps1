# Issue: benchmarks. CI runs the short smoke pass so the benchmark cannot rot; it reports and
# never judges timings here (targets are read in bench/results.md from a full run).
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
}

Describe 'The benchmark' -Tag Bench {
    It 'runs its quick smoke pass end to end and writes every scenario' {
        $out = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-bench-$PID.md"
        try {
            $run = Invoke-ChildPwsh -TimeoutSeconds 300 -ArgumentList @('-NoProfile', '-NonInteractive', '-File',
                (Join-Path $PSScriptRoot '../../bench/Invoke-Benchmarks.ps1'), '-ModulePath', $env:ITWINAUTH_MODULE,
                '-EmulatorPath', $env:ITWINAUTH_EMULATOR, '-Quick', '-OutFile', $out)
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $report = Get-Content $out -Raw
            foreach ($scenario in 'Per request: vs Invoke-RestMethod', 'Per request: vs raw HttpClient', 'Paging: ', 'Paging: first item out',
                'Paging: peak memory', 'Cache hit:', 'Cold: 50 runspaces at once', 'Start-up: Import-Module', 'Token request: cold') {
                $report | Should -Match ([regex]::Escape("| $scenario"))
            }
            $report | Should -Match 'Machine: \d+ cores'
        }
        finally { Remove-Item $out -ErrorAction Ignore }
    }
}
