# Issue: benchmarks. CI runs the short smoke pass so the benchmark cannot rot; it reports and
# never judges timings here (targets are read in bench/results.md from a full run).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../ChildPwsh.psm1') -Force
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
            $rows = @($report -split "`n" | Where-Object { $_ -match '^\| [A-Z]' -and $_ -notlike '| Scenario |*' } | ForEach-Object {
                    $cells = $_.Trim().Trim('|').Split('|').Trim()
                    [pscustomobject]@{ Scenario = $cells[0]; Ours = $cells[1]; Ratio = $cells[3]; Met = $cells[5]; Line = $_ } })
            foreach ($scenario in 'Per request: vs Invoke-RestMethod', 'Per request: vs raw HttpClient + ConvertFrom-Json', 'Per request: vs the wire alone', 'Paging: ', 'Paging: first item out',
                'Paging: peak memory', 'Cache hit:', 'Cold: ', 'Start-up: Import-Module', 'Token request: cold') {
                @($rows | Where-Object Scenario -like "$scenario*").Count | Should -BeGreaterThan 0 -Because "the report has a '$scenario' row"
            }
            $report | Should -Match 'Machine: \d+ cores'
            # Every contender ran: ITwinAuth's cell holds a measurement, and every ratio is a finite, positive number.
            foreach ($row in $rows) {
                $row.Ours | Should -Match '\d' -Because $row.Line
                if ($row.Ratio) {
                    $ratio = [double]($row.Ratio -replace 'x.*$', '')
                    [double]::IsFinite($ratio) -and $ratio -gt 0 | Should -BeTrue -Because $row.Line
                }
            }
            # The properties (not timings) hold even in a smoke pass: the first item before page 2, warm
            # calls that send nothing, one token request for a cold crowd, the fan-out never past its limit.
            foreach ($property in 'Paging: first item out', 'Cache hit:', 'Cold: ', 'Network: fan-out, most in flight') {
                ($rows | Where-Object Scenario -like "$property*").Met | Should -Be 'yes' -Because ($rows | Where-Object Scenario -like "$property*").Line
            }

            # The network scenario: both sides of every comparison have a time.
            $network = @($report -split "`n" | Where-Object { $_ -like '| Network*' })
            $network.Count | Should -Be 6
            foreach ($row in $network | Where-Object { $_ -notlike '*most in flight*' }) {
                $cells = $row.Trim('|').Split('|').Trim()
                $cells[1] | Should -Match '^(h2 )?[\d,.]+ ms' -Because $row
                $cells[2] | Should -Match '[\d,.]+ ms' -Because $row
            }
            $inFlight = $network | Where-Object { $_ -like '*most in flight*' }
            $inFlight -match '\| (\d+) \(h2\), (\d+) \(HTTP/1.1\)' | Should -BeTrue -Because $inFlight
            [int]$Matches[1] | Should -BeGreaterThan 1 -Because 'the fan-out overlapped at the server'
            # The shared token (issue 25), when the real SecretStore is here: a crowd of fresh processes made one
            # token request between them with -ShareToken, one each without, and none more within the token's life.
            if ($env:ITWINAUTH_SECRETMANAGEMENT_MODULES) {
                $sharedRows = @($rows | Where-Object Scenario -like 'Shared token*')
                $sharedRows.Count | Should -Be 3 -Because ($sharedRows.Line -join "`n")
                foreach ($row in $sharedRows | Where-Object Scenario -like '*token requests*') { $row.Met | Should -Be 'yes' -Because $row.Line }
            }
            # The PowerShell 7 build (the one this task runs) sends every fan-out call over HTTP/2.
            $network | Where-Object { $_ -like '*HTTP/2 vs HTTP/1.1*' } | Should -Match '\| yes \|$' -Because 'every fan-out call went over HTTP/2'
        }
        finally { Remove-Item $out -ErrorAction Ignore }
    }
}
