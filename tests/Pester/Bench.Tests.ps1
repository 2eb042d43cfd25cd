# Issue: benchmarks. CI runs the short smoke pass so the benchmark cannot rot; it reports and
# never judges timings here (targets are read in bench/results.md from a full run).
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
}

Describe 'The benchmark' -Tag Bench {
    It 'runs its quick smoke pass end to end and writes every scenario' {
        $out = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-bench-$PID.md"
        try {
            # The smoke pass takes about 20 s: its lines are shown as they come, so the run is never silent.
            $run = Invoke-ChildPwsh -TimeoutSeconds 300 -OnOutputLine { Write-Host "      bench | $_" } -ArgumentList @('-NoProfile', '-NonInteractive', '-File',
                (Join-Path $PSScriptRoot '../../bench/Invoke-Benchmarks.ps1'), '-ModulePath', $env:ITWINAUTH_MODULE,
                '-EmulatorPath', $env:ITWINAUTH_EMULATOR, '-Quick', '-OutFile', $out)
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $report = Get-Content $out -Raw
            foreach ($scenario in 'Per request: vs Invoke-RestMethod', 'Per request: vs raw HttpClient', 'Paging: ', 'Paging: first item out',
                'Paging: peak memory', 'Cache hit:', 'Cold: 50 runspaces at once', 'Start-up: Import-Module', 'Token request: cold') {
                $report | Should -Match ([regex]::Escape("| $scenario"))
            }
            $report | Should -Match 'Machine: \d+ cores'

            # The network scenario: every contender ran (a time each) and every ratio is a finite number.
            $network = @($report -split "`n" | Where-Object { $_ -like '| Network*' })
            $network.Count | Should -Be 6
            foreach ($row in $network | Where-Object { $_ -notlike '*most in flight*' }) {
                $cells = $row.Trim('|').Split('|').Trim()
                $cells[1] | Should -Match '^(h2 )?[\d,.]+ ms' -Because $row
                $cells[2] | Should -Match '[\d,.]+ ms' -Because $row
                $ratio = [double]($cells[3] -replace 'x.*$', '')
                [double]::IsFinite($ratio) -and $ratio -gt 0 | Should -BeTrue -Because $row
            }
            $inFlight = $network | Where-Object { $_ -like '*most in flight*' }
            $inFlight -match '\| (\d+) \(h2\), (\d+) \(HTTP/1.1\)' | Should -BeTrue -Because $inFlight
            [int]$Matches[1] | Should -BeGreaterThan 1 -Because 'the fan-out overlapped at the server'
            # HTTP/2 is PowerShell 7's: the Windows PowerShell build speaks HTTP/1.1 only.
            if ($env:ITWINAUTH_TEST_EDITION -ne 'Desktop') {
                $network | Where-Object { $_ -like '*HTTP/2 vs HTTP/1.1*' } | Should -Match '\| yes \|$' -Because 'every fan-out call went over HTTP/2'
            }
        }
        finally { Remove-Item $out -ErrorAction Ignore }
    }
}
