# Issue 22: attacks on the principles that each live in one place in the engine: every loop and wait
# bounded by the call's deadline (Pager, RateLimitGate, RetryPolicy), memory a small multiple of the
# limits (BodyReader's byte limits, ConversionBudget, the fan-out's shares), server text neutralised
# and cut (ServerText), no credential in any text (ServerText, TransportFailures), values checked
# (TokenClient, HeaderPolicy, the vault source) and at most once (RequestFactory's SendOnce). Every
# case is bounded in count and time against the emulator on loopback (its hostile answers:
# tests/ITwinAuth.Emulator/AttackResponses.cs and RawServer.cs), waits pass on the fake clock, and
# each case is a row of the "Attacks" section of docs/RELIABILITY.md, added before its assertions so
# that the section says what was observed, failures included. The last test writes the section
# (test-results/ATTACKS-<edition>.md; ITWINAUTH_UPDATE_DOCS=1 rewrites docs/RELIABILITY.md) and
# build.ps1 -Task Check compares it with the committed one (tests/Tooling/ReliabilityDoc.Tests.ps1).
# The whole file is CoreOnly: the principles live in code both builds share, and its one
# transport-specific case (HTTP/2) needs the PowerShell 7 build; the Desktop run would add two
# minutes to CI for no other path.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator -ITwinCount 100
    $app = New-TestApp -Emulator $emulator
    $rows = [System.Collections.Generic.List[object]]::new()
    $fileWatch = [Diagnostics.Stopwatch]::StartNew()

    function Connect-App { Connect-TestApp -Emulator $emulator -App $app -With @{ Force = $true } | Out-Null }
    function Get-Stats { Get-EmulatorStats $emulator }
    function Describe-Error($Record) { if ($Record) { "$(($Record.FullyQualifiedErrorId -split ',')[0]) ($($Record.CategoryInfo.Category))" } else { 'success' } }
    # A row of the section: the outcome in words (the same from run to run, checked), and what was
    # measured (time to the outcome, peak memory), which changes from run to run and machine to machine.
    function Add-Row([string] $Area, [string] $Scenario, [string] $Expected, [string] $Observed, [double] $Seconds = -1, [string] $Peak = '') {
        $rows.Add([pscustomobject]@{ Area = $Area; Scenario = $Scenario; Expected = $Expected; Observed = $Observed; Seconds = $Seconds; Peak = $Peak })
    }

    # Runs a command to its end: the items it wrote, its error, the time it took and the API
    # requests the emulator counted.
    function Invoke-Case([scriptblock] $Act) {
        $items = [System.Collections.Generic.List[object]]::new()
        $errorRecord = $null
        $watch = [Diagnostics.Stopwatch]::StartNew()
        try { & $Act | ForEach-Object { $items.Add($_) } }
        catch { $errorRecord = $_ }
        [pscustomobject]@{ Items = $items; Error = $errorRecord; Seconds = $watch.Elapsed.TotalSeconds; Requests = (Get-Stats).apiRequests }
    }

    # The raw listeners (RawServer.cs): every connection gets the same bytes.
    function New-RawServer([string] $Answer) {
        (Invoke-EmulatorAdmin -Emulator $emulator -Method Post -Path raw -Body @{ base64 = [Convert]::ToBase64String([Text.Encoding]::Latin1.GetBytes($Answer)) }).uri
    }
    function Get-RawServer([string] $Uri) {
        $servers = Invoke-EmulatorAdmin -Emulator $emulator -Path raw
        foreach ($server in $servers) { if ($server.uri -eq $Uri) { return $server } }
    }

    Connect-App
}
AfterAll {
    Stop-ITwinEmulator -Emulator $emulator
}

Describe 'Paging that never ends' -Tag Attack, CoreOnly, Paging {
    BeforeAll { Clear-EmulatorFault $emulator; Connect-App; Invoke-ITwinRequest -Path /itwins -All | Out-Null }  # warm: the first case is not timed with the JIT
    BeforeEach { Clear-EmulatorFault $emulator; Connect-App; Reset-EmulatorStats $emulator }
    AfterAll { Clear-EmulatorFault $emulator }

    # The endless listings run on the real clock for 2 s (the deadline is what is attacked); the
    # others stop by themselves, so their -TotalTimeoutSec 10 is never reached.
    It '<Name> ends in <ErrorId> within <Within> s' -ForEach @(
        @{ Name = 'A page whose next link is itself'; Fault = @{ cycleLength = 1; itemsPerPage = 2 }; ErrorId = 'PagingCycle (InvalidResult)'; Within = 5; MaxRequests = 1
            Run = { Invoke-ITwinRequest -Path /itwins -Query @{ page = 0 } -All -TotalTimeoutSec 10 -ErrorAction Stop } }
        @{ Name = 'A cycle of 2 pages'; Fault = @{ cycleLength = 2; itemsPerPage = 2 }; ErrorId = 'PagingCycle (InvalidResult)'; Within = 5; MaxRequests = 3
            Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 10 -ErrorAction Stop } }
        @{ Name = 'A cycle of 3 pages'; Fault = @{ cycleLength = 3; itemsPerPage = 2 }; ErrorId = 'PagingCycle (InvalidResult)'; Within = 5; MaxRequests = 4
            Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 10 -ErrorAction Stop } }
        @{ Name = 'A cycle of 50 pages'; Fault = @{ cycleLength = 50; itemsPerPage = 2 }; ErrorId = 'PagingCycle (InvalidResult)'; Within = 5; MaxRequests = 51
            Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 10 -ErrorAction Stop } }
        @{ Name = 'A cycle of 2 pages whose links differ only by their #fragment (never sent to the server)'; Fault = @{ cycleLength = 2; itemsPerPage = 2; fragmentLinks = $true }
            ErrorId = 'PagingCycle (InvalidResult)'; Within = 5; MaxRequests = 3; Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 10 -ErrorAction Stop } }
        @{ Name = 'Endless empty pages, each with a new next link'; Fault = @{ itemsPerPage = 0 }; ErrorId = 'PagingStalled (InvalidResult)'; Within = 5; MaxRequests = 10
            Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 10 -ErrorAction Stop } }
        @{ Name = 'Endless new links, each page with items (-TotalTimeoutSec 2)'; Fault = @{ itemsPerPage = 5 }; ErrorId = 'RequestTimedOut (OperationTimeout)'; Within = 5; AtLeast = 1.9
            Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 2 -ErrorAction Stop } }
        @{ Name = '-First 1 -IncludeTotalCount on an endless listing (-TotalTimeoutSec 2)'; Fault = @{ itemsPerPage = 5 }; ErrorId = 'RequestTimedOut (OperationTimeout)'; Within = 5; AtLeast = 1.9; Items = 1
            Run = { Invoke-ITwinRequest -Path /itwins -First 1 -IncludeTotalCount -TotalTimeoutSec 2 -ErrorAction Stop } }
        @{ Name = 'Endless listing of 0.6-s pages (-TotalTimeoutSec 2 -TimeoutSec 1): one deadline for the whole listing'; Fault = @{ itemsPerPage = 5; delayMs = 600 }
            ErrorId = 'RequestTimedOut (OperationTimeout)'; Within = 5; AtLeast = 1.9; MaxRequests = 4; Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 2 -TimeoutSec 1 -ErrorAction Stop } }
    ) {
        $armed = @{ path = '/itwins'; action = 'pages'; times = -1 } + $Fault
        Add-EmulatorFault -Emulator $emulator -Fault @($armed)
        $result = Invoke-Case $Run
        # Counts and times in words, so that the row is the same from run to run.
        $observed = "$(Describe-Error $result.Error) $(if ($result.Seconds -lt $Within) { "within $Within s" } else { "after more than $Within s" })" +
            $(if ($MaxRequests) { ", $(if ($result.Requests -le $MaxRequests) { 'at most' } else { 'more than' }) $MaxRequests request(s)" } else { '' })
        $expected = "$ErrorId within $Within s" + $(if ($MaxRequests) { ", at most $MaxRequests request(s)" } else { '' })
        Add-Row 'Attack: paging' $Name $expected $observed -Seconds $result.Seconds
        Write-Host ("Attack: {0}: {1} after {2:N2} s, {3} request(s), {4} item(s)" -f $Name, (Describe-Error $result.Error), $result.Seconds, $result.Requests, $result.Items.Count)
        Describe-Error $result.Error | Should -Be $ErrorId -Because "$Name took $([math]::Round($result.Seconds, 2)) s and $($result.Requests) request(s): $($result.Error)"
        $result.Seconds | Should -BeLessThan $Within
        if ($AtLeast) { $result.Seconds | Should -BeGreaterOrEqual $AtLeast }
        if ($MaxRequests) { $result.Requests | Should -BeLessOrEqual $MaxRequests }
        if ($Items) { @($result.Items | Where-Object { $_.id }).Count | Should -Be $Items }
    }
}

Describe 'A 429 that asks to wait for ever' -Tag Attack, CoreOnly, RateLimit {
    AfterAll { Clear-EmulatorFault $emulator }

    It 'one 429 with Retry-After: <Value> fails that call at once, fails the next one at once (RateLimited, nothing sent, no wait), and Clear-ITwinTokenCache forgets the pause' -ForEach @(
        @{ Value = '2147483647' }
        @{ Value = 'Fri, 31 Dec 9999 23:59:59 GMT' }
    ) {
        Clear-EmulatorFault $emulator
        $time = New-FakeTime
        try {
            Connect-App
            Reset-EmulatorStats $emulator
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 429; retryAfterRaw = $Value; times = 1 })
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $first = Get-ErrorRecord { Invoke-ITwinRequest -Path /users/me }
            $firstRequests = (Get-Stats).apiRequests
            $second = Get-ErrorRecord { Invoke-ITwinRequest -Path /users/me }
            $secondRequests = (Get-Stats).apiRequests - $firstRequests
            $seconds = $watch.Elapsed.TotalSeconds
            $waited = $time.Waited.TotalSeconds
            Clear-ITwinTokenCache
            Connect-App
            $third = try { Invoke-ITwinRequest -Path /users/me -TotalTimeoutSec 10 -ErrorAction Stop | Out-Null; $null } catch { $_ }
            $thirdRequests = (Get-Stats).apiRequests - $firstRequests - $secondRequests
        }
        finally { $time.Dispose() }
        Add-Row 'Attack: rate limit' "One 429 with Retry-After: $Value, then the next call, then Clear-ITwinTokenCache" `
            'TooManyRequests after 1 request; then RateLimited (LimitsExceeded) at once, nothing sent, no wait; then success' `
            "$(Describe-Error $first) after $firstRequests request(s); then $(Describe-Error $second), $secondRequests sent, $(if ($waited -eq 0) { 'no wait' } else { 'a wait' }); then $(Describe-Error $third)" `
            -Seconds $seconds
        Write-Host ("Attack: Retry-After {0}: {1}; {2} in {3:N2} s real, {4:N0} s waited; after clearing: {5}" -f $Value, (Describe-Error $first), (Describe-Error $second), $seconds, $waited, (Describe-Error $third))
        Describe-Error $first | Should -Be 'TooManyRequests (LimitsExceeded)'
        $firstRequests | Should -Be 1
        Describe-Error $second | Should -Be 'RateLimited (LimitsExceeded)'
        $secondRequests | Should -Be 0
        $waited | Should -Be 0 -Because 'the pause is longer than the call''s deadline: nothing is waited'
        $seconds | Should -BeLessThan 5
        $third | Should -BeNullOrEmpty -Because 'Clear-ITwinTokenCache forgets the pause'
        $thirdRequests | Should -Be 1
    }

    It 'the token endpoint answering <Status> with Retry-After: 2147483647 fails the sign-in at once, without a wait or a second request' -ForEach @(
        @{ Status = 429 }, @{ Status = 503 }
    ) {
        Clear-EmulatorFault $emulator
        $time = New-FakeTime
        try {
            Reset-EmulatorStats $emulator
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/connect/token'; status = $Status; retryAfterRaw = '2147483647'; times = 1 })
            $result = Invoke-Case { Connect-App }
            $requests = (Get-Stats).tokenEndpointRequests
            $waited = $time.Waited.TotalSeconds
        }
        finally { $time.Dispose(); Clear-EmulatorFault $emulator }
        Add-Row 'Attack: rate limit' "The token endpoint answers $Status with Retry-After: 2147483647" 'TokenRequestFailed at once: 1 request, no wait' `
            "$(Describe-Error $result.Error): $requests request(s), $(if ($waited -eq 0) { 'no wait' } else { 'a wait' })" -Seconds $result.Seconds
        ($result.Error.FullyQualifiedErrorId -split ',')[0] | Should -Be 'TokenRequestFailed'
        $requests | Should -Be 1
        $waited | Should -Be 0 -Because 'a wait past the sign-in''s 30 s deadline is never started'
        $result.Seconds | Should -BeLessThan 5
    }
}

Describe 'Memory under large answers, and what $Error keeps' -Tag Attack, CoreOnly, Memory {
    BeforeAll {
        # Four fresh pwsh processes at once, each with its cases in ascending order of their peak (VmHWM),
        # the two largest alone (Attack.Memory.Child.ps1). Each case has a path of its own
        # (/attack/<case>), armed here, so the children share the emulator without touching one another's
        # faults. They run at the lowest CPU priority (nice 19, which their threads inherit), so that the
        # test files running beside this one keep their timing; their time is reported, never asserted.
        $errorBody = ConvertTo-Json -Compress -InputObject @{ error = @{ code = 'E' * 1MB; message = 'The request is not valid.' } }
        Clear-EmulatorFault $emulator
        Add-EmulatorFault -Emulator $emulator -Fault @(
            @{ path = '/attack/zeros'; action = 'json-big'; shape = 'zeros'; status = 200; bytes = 32MB - 1KB; times = -1 }
            @{ path = '/attack/zeros-raw'; action = 'json-big'; shape = 'zeros'; status = 200; bytes = 32MB - 1KB; times = -1 }
            @{ path = '/attack/objects'; action = 'json-big'; shape = 'objects'; status = 200; bytes = 2999000; times = -1 }
            @{ path = '/attack/fan-out'; action = 'json-big'; shape = 'string'; status = 200; bytes = 16MB - 1KB; times = -1 }
            @{ path = '/attack/fan-out-zeros'; action = 'json-big'; shape = 'zeros'; status = 200; bytes = 16MB - 1KB; times = -1 }
            @{ path = '/attack/fan-out-objects'; action = 'json-big'; shape = 'objects'; status = 200; bytes = 2999000; times = -1 }
            @{ path = '/attack/fan-out-share'; action = 'json-big'; shape = 'objects'; status = 200; bytes = 749000; times = -1 }
            @{ path = '/attack/fan-out-over'; action = 'json-big'; shape = 'string'; status = 200; bytes = 32MB - 1KB; times = -1 }
            @{ path = '/attack/errors'; status = 400; body = $errorBody; times = -1 })
        $command = Get-PwshCommand
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $children = foreach ($cases in @('fan-out-over', 'fan-out-objects', 'zeros', 'zeros-raw', 'errors'), @('objects', 'fan-out-zeros'), @('fan-out'), @('fan-out-share')) {
            $process = Start-ChildProcess -FilePath nice -Environment @{ NO_COLOR = '1'; ITWINAUTH_ATTACK_SECRET = $app.Secret } -ArgumentList (@('-n', '19') + $command + @(
                    '-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'Attack.Memory.Child.ps1'), '-ModulePath', $env:ITWINAUTH_MODULE,
                    '-Authority', $emulator.Authority, '-ApiBaseUri', $emulator.ApiBaseUri, '-ClientId', $app.ClientId, '-Case', ($cases -join ',')))
            [pscustomobject]@{ Cases = $cases -join ', '; Process = $process; Output = $process.StandardOutput.ReadToEndAsync(); Errors = $process.StandardError.ReadToEndAsync() }
        }
        $memory = @{}
        $outputs = foreach ($child in $children) {
            if (-not $child.Process.WaitForExit([math]::Max(0, 300000 - $watch.ElapsedMilliseconds))) { $child.Process.Kill($true) }
            $child.Process.WaitForExit()
            $text = $child.Output.Result + $child.Errors.Result
            foreach ($line in $text -split "`n" | Where-Object { $_ -like 'CASE *' }) { $case = $line.Substring(5) | ConvertFrom-Json; $memory[$case.Name] = $case }
            "$($child.Cases) (exit code $($child.Process.ExitCode)): $text"
        }
        Write-Host ("Attack: the memory children took {0:N1} s together" -f $watch.Elapsed.TotalSeconds)
        Clear-EmulatorFault $emulator
    }

    It 'the children measuring memory ran every case' {
        @($memory.Keys | Sort-Object) | Should -Be @('errors-10', 'errors-256', 'fan-out', 'fan-out-objects', 'fan-out-over', 'fan-out-share', 'fan-out-zeros', 'objects', 'zeros', 'zeros-raw') -Because ($outputs -join "`n")
    }

    # The bounds (docs/SECURITY.md): the process included, one call under 600 MB and a fan-out under
    # 1,500 MB at any -ThrottleLimit, whatever the body within the limits: 32 MiB and 1,000,000 JSON values
    # a call; 256 MiB and 4,000,000 values shared by the requests of a fan-out (16 MiB and 250,000 each at 16).
    It '<Scenario>: <ErrorId>, peak under <Bound> MB' -ForEach @(
        @{ Name = 'zeros'; Bound = 600; ErrorId = 'ResponseTooComplex'; Scenario = 'One call: a JSON array of zeros of 32 MiB - 1 KiB (16,776,703 values)' }
        @{ Name = 'zeros-raw'; Bound = 600; ErrorId = 'none'; Scenario = 'One call: the same array with -Raw, kept' }
        @{ Name = 'objects'; Bound = 600; ErrorId = 'none'; Scenario = 'One call: a 3 MB JSON array of 999,666 empty objects (just under 1,000,000 values), converted and kept' }
        @{ Name = 'fan-out'; Bound = 1500; ErrorId = 'none'; Scenario = '-ThrottleLimit 16, 16 inputs, each a JSON string of 16 MiB - 1 KiB (the byte limit of each)' }
        @{ Name = 'fan-out-zeros'; Bound = 1500; ErrorId = 'ResponseTooComplex'; Scenario = '-ThrottleLimit 16, 16 inputs, each a JSON array of zeros of 16 MiB - 1 KiB' }
        @{ Name = 'fan-out-objects'; Bound = 1500; ErrorId = 'ResponseTooComplex'; Scenario = '-ThrottleLimit 16, 16 inputs, each a 3 MB array of 999,666 empty objects (over the 250,000 values of each)' }
        @{ Name = 'fan-out-share'; Bound = 1500; ErrorId = 'none'; Scenario = '-ThrottleLimit 16, 16 inputs, each a 749 KB array of 249,666 empty objects (just under the 250,000 values of each)' }
        @{ Name = 'fan-out-over'; Bound = 1500; ErrorId = 'ResponseTooLarge'; Scenario = '-ThrottleLimit 16, 16 inputs, each a JSON string of 32 MiB - 1 KiB (over the byte limit of each)' }
    ) {
        $case = $memory[$Name]
        $case | Should -Not -BeNullOrEmpty -Because ($outputs -join "`n")
        $expected = "$(if ($ErrorId -eq 'none') { 'success' } else { $ErrorId }); peak under $Bound MB"
        Add-Row 'Attack: memory' $Scenario $expected "$(if ($case.ErrorId -eq 'none') { 'success' } else { $case.ErrorId }); peak $(if ($case.PeakMB -lt $Bound) { 'under' } else { 'over' }) $Bound MB" `
            -Seconds $case.Seconds -Peak "$($case.PeakMB) MB (bound $Bound MB)"
        Write-Host ("Attack: memory {0}: {1} ({2}) in {3:N1} s, peak {4} MB from {5} MB (bound {6} MB)" -f $Name, $case.ErrorId, $case.Said, $case.Seconds, $case.PeakMB, $case.BeforeMB, $Bound)
        $case.ErrorId | Should -Be $ErrorId
        $case.PeakMB | Should -BeLessThan $Bound -Because "$Scenario peaked at $($case.PeakMB) MB in $($case.Seconds) s"
    }

    It '256 failed calls whose error code is 1 MiB: the records $Error keeps hold under 100 MB' {
        $ten = $memory['errors-10']; $full = $memory['errors-256']
        Add-Row 'Attack: memory' '$Error after 256 failed calls whose error body holds a 1 MiB error code' 'the 256 kept records hold under 100 MB' `
            "the $($full.Records) kept records hold $(if ($full.KeptMB -lt 100) { 'under' } else { 'over' }) 100 MB" `
            -Seconds $full.Seconds -Peak "$($full.KeptMB) MB kept (bound 100 MB)"
        Write-Host ("Attack: `$Error: 10 records keep {0} MB, 256 keep {1} MB (heap {2} MB)" -f $ten.KeptMB, $full.KeptMB, $full.HeapMB)
        $full.ErrorId | Should -Be 'HttpError'
        $full.Records | Should -Be 256
        $full.KeptMB | Should -BeLessThan 100
    }
}

Describe 'Escape sequences, long texts and secrets in everything a user sees' -Tag Attack, CoreOnly, Leak {
    It 'no control character, no message over 2,000 characters, no ErrorDetails over 16 KiB, and no secret, token or proxy password, in any stream, $Error, the transcript or the console, for every hostile case' {
        # A proxy that answers 407 to everything, named with a user and a password in HTTPS_PROXY.
        $proxy = New-RawServer "HTTP/1.1 407 Proxy Authentication Required`r`nProxy-Authenticate: Basic realm=`"attack`"`r`nContent-Length: 0`r`nConnection: close`r`n`r`n"
        $password = 'Pr0xy-' + [guid]::NewGuid().ToString('n')
        $temp = [IO.Path]::GetTempPath()
        $out = Join-Path $temp "itwinauth-attack-scan-$PID.json"
        $transcript = Join-Path $temp "itwinauth-attack-transcript-$PID.txt"
        try {
            $child = Join-Path $PSScriptRoot 'Attack.Scan.Child.ps1'
            $run = Invoke-ChildPwsh -TimeoutSeconds 400 -Environment @{ HTTPS_PROXY = "http://attacker:$password@127.0.0.1:$(([uri]$proxy).Port)"; HTTP_PROXY = ''; NO_PROXY = ''; ALL_PROXY = ''
                ITWINAUTH_ATTACK_SECRET = $app.Secret } -ArgumentList @('-NoProfile', '-NonInteractive', '-File', $child, '-Authority', $emulator.Authority,
                '-ApiBaseUri', $emulator.ApiBaseUri, '-ClientId', $app.ClientId, '-OutFile', $out, '-Transcript', $transcript)
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $scan = Get-Content $out -Raw | ConvertFrom-Json
            $transcriptText = Get-Content $transcript -Raw
        }
        finally { Remove-Item $out, $transcript -ErrorAction Ignore }
        @($scan.Cases).Count | Should -Be 15
        (Get-RawServer $proxy).requests | Should -BeGreaterThan 0 -Because 'the proxy case went through the proxy'

        $tokens = @((Invoke-EmulatorAdmin -Emulator $emulator -Path 'tokens') | ForEach-Object { $_ })
        $basic = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("$($app.ClientId):$($app.Secret)"))
        $secrets = @($app.Secret, $basic, $password) + $tokens
        # C0 but tab (and, where PowerShell lays out lines, CR LF and LF), DEL, C1, and the bidirectional
        # overrides ServerText also counts as control characters.
        $inLine = '[\x00-\x08\x0A-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]'
        $inBlock = '[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]|\r(?!\n)'
        $limits = @{ line = 2000; details = 16384; body = 16384 }
        function Find-Problem([object[]] $Texts) {
            foreach ($text in $Texts) {
                $match = [regex]::Match($text.Text, $(if ($text.Rule -eq 'line') { $inLine } else { $inBlock }))
                if ($match.Success) {
                    [pscustomobject]@{ Case = $text.Case; Kind = ('U+{0:X4} in {1}' -f [int]$match.Value[0], ($text.Where -replace '^\$Error ', '' -replace '^Error ', ''))
                        Detail = ($text.Text.Substring([math]::Max(0, $match.Index - 80), [math]::Min(120, $text.Text.Length - [math]::Max(0, $match.Index - 80))) -replace '[\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]', '<?>') }
                }
                if ($limits[$text.Rule] -and $text.Text.Length -gt $limits[$text.Rule]) {
                    [pscustomobject]@{ Case = $text.Case; Kind = ('{0} over {1} characters' -f ($text.Where -replace '^\$Error ', '' -replace '^Error ', ''), $limits[$text.Rule]); Detail = "$($text.Text.Length) characters" }
                }
                foreach ($secret in $secrets) {
                    if ($secret -and $text.Text.Contains($secret)) {
                        [pscustomobject]@{ Case = $text.Case; Kind = "a secret in $($text.Where)"; Detail = $(if ($secret -eq $password) { 'the proxy password' } elseif ($secret -eq $app.Secret) { 'the client secret' } elseif ($secret -eq $basic) { 'the Basic form' } else { 'an access token' }) }
                    }
                }
            }
        }
        # The scan itself finds what it looks for: an escape in a line, a lone CR in a block, a long
        # message, the secret, the proxy password and a token (so a clean result means clean texts).
        $canary = @(Find-Problem @(
                [pscustomobject]@{ Case = 'canary'; Where = 'a'; Rule = 'line'; Text = "x$([char]27)[31my" }
                [pscustomobject]@{ Case = 'canary'; Where = 'b'; Rule = 'render'; Text = "x`ry" }
                [pscustomobject]@{ Case = 'canary'; Where = 'c'; Rule = 'line'; Text = 'x' * 2001 }
                [pscustomobject]@{ Case = 'canary'; Where = 'd'; Rule = 'render'; Text = "[$($app.Secret)] [$password] [$($tokens[-1])]" }))
        @($canary.Kind) | Should -Be @('U+001B in a', 'U+000D in b', 'c over 2000 characters', 'a secret in d', 'a secret in d', 'a secret in d')

        $texts = @($scan.Texts) + @(
            [pscustomobject]@{ Case = 'all'; Where = 'Transcript'; Rule = 'render'; Text = $transcriptText }
            [pscustomobject]@{ Case = 'all'; Where = 'Console'; Rule = 'render'; Text = $run.Output })
        $found = @(Find-Problem $texts | Sort-Object Case, Kind, Detail -Unique)

        foreach ($case in $scan.Cases) {
            $mine = @($found | Where-Object Case -eq $case.Name | ForEach-Object Kind | Sort-Object -Unique)
            Add-Row 'Attack: server text' $case.Name 'no control character, message <= 2,000 characters, ErrorDetails <= 16 KiB, no secret' `
                "$($case.ErrorId); $(if ($mine) { $mine -join '; ' } else { 'clean' })" -Seconds $case.Seconds
            Write-Host ("Attack: scan {0}: {1} in {2:N2} s, {3} request(s); {4}; {5}" -f $case.Name, $case.ErrorId, $case.Seconds, $case.Requests, $case.Captured, $(if ($mine) { $mine -join '; ' } else { 'clean' }))
        }
        $whole = @($found | Where-Object Case -eq 'all' | ForEach-Object Kind | Sort-Object -Unique)
        Add-Row 'Attack: server text' 'The transcript and the console of every case above' 'no control character but CR LF, LF and tab' $(if ($whole) { $whole -join '; ' } else { 'clean' })
        $leaks = @($found | Where-Object Kind -like 'a secret in *')
        Add-Row 'Attack: server text' 'The client secret, its Basic form, every token issued and the HTTPS_PROXY password, in every text above' '0 found' "$($leaks.Count) found"
        Write-Host "Attack: scan of $($texts.Count) texts ($([math]::Round(($texts | Measure-Object { $_.Text.Length } -Sum).Sum / 1KB)) KiB), $($secrets.Count) secrets: $($found.Count) finding(s)"
        $found | ForEach-Object { Write-Host "  $($_.Case): $($_.Kind): $($_.Detail)" }
        $found.Count | Should -Be 0 -Because (($found | Select-Object -First 20 | ForEach-Object { "$($_.Case): $($_.Kind): $($_.Detail)" }) -join "`n")
    }
}

Describe 'Values from a server, a vault and the caller' -Tag Attack, CoreOnly, Values {
    BeforeEach { Clear-EmulatorFault $emulator; Reset-EmulatorStats $emulator }
    AfterAll { Clear-EmulatorFault $emulator; Connect-App }

    It 'a token response with <Name> is TokenResponseInvalid, after one request' -ForEach @(
        @{ Name = 'expires_in "NaN"'; Body = '{"access_token":"abc","token_type":"Bearer","expires_in":"NaN"}' }
        @{ Name = 'expires_in "Infinity"'; Body = '{"access_token":"abc","token_type":"Bearer","expires_in":"Infinity"}' }
        @{ Name = 'expires_in 1e308'; Body = '{"access_token":"abc","token_type":"Bearer","expires_in":1e308}' }
        @{ Name = 'token_type "MAC"'; Body = '{"access_token":"abc","token_type":"MAC","expires_in":3600}' }
        @{ Name = 'token_type "Bearer\n"'; Body = '{"access_token":"abc","token_type":"Bearer\n","expires_in":3600}' }
        @{ Name = 'a scope with ESC, CSI and BEL'; Body = '{"access_token":"abc","token_type":"Bearer","expires_in":3600,"scope":"itwin-platform \u001b[2J\u001b]52;c;SGVsbG8=\u0007"}' }
        @{ Name = 'a scope with a C1 CSI'; Body = '{"access_token":"abc","token_type":"Bearer","expires_in":3600,"scope":"itwin-platform \u009b2J"}' }
    ) {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/connect/token'; status = 200; body = $Body; times = 1 })
        $result = Invoke-Case { Connect-App }
        $record = $result.Error
        $requests = (Get-Stats).tokenEndpointRequests
        Add-Row 'Attack: values' "Token response with $Name" 'TokenResponseInvalid (InvalidResult) after 1 request' "$(Describe-Error $record) after $requests request(s)" -Seconds $result.Seconds
        Describe-Error $record | Should -Be 'TokenResponseInvalid (InvalidResult)'
        $requests | Should -Be 1
        $record.Exception.Message | Should -Not -Match '[\x00-\x1F\x7F-\x9F]'
    }

    It '-Headers @{ X-Custom = 1.5 } under fr-FR sends 1.5' {
        Connect-App
        $saved = [cultureinfo]::CurrentCulture
        try {
            [cultureinfo]::CurrentCulture = 'fr-FR'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $echo = Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Headers @{ 'X-Custom' = 1.5 } -Confirm:$false
        }
        finally { [cultureinfo]::CurrentCulture = $saved }
        Add-Row 'Attack: values' '-Headers @{ X-Custom = 1.5 } under fr-FR' 'X-Custom: 1.5' "X-Custom: $($echo.custom)" -Seconds $watch.Elapsed.TotalSeconds
        $echo.custom | Should -Be '1.5'
    }

    # Against the real SecretManagement and an extension vault (tests/Vaults), in one child: what
    # SecretManagement hands over unconverted. Without the real modules the row says so.
    It 'a vault Hashtable whose ClientId is a Hashtable, and one whose ClientSecret is a PSObject-wrapped string of 70,000 characters, are refused before anything is sent' {
        Import-Module (Join-Path $PSScriptRoot '../Vaults/VaultTests.psm1') -Force
        $skip = Get-RealVaultSkipReason
        $scenario = 'A vault Hashtable whose ClientId is a Hashtable; one whose ClientSecret is a PSObject-wrapped string of 70,000 characters (Get-Content -Raw)'
        $expected = 'SecretTypeNotSupported; SecretValueInvalid; nothing sent'
        if ($skip) {
            Add-Row 'Attack: values' $scenario $expected "not run: $skip"
            Set-ItResult -Skipped -Because $skip
            return
        }
        Reset-EmulatorStats $emulator
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $result = Invoke-VaultCase -Environment @{ APP_ID = $app.ClientId; APP_SECRET = $app.Secret; OTHER_ID = $app.ClientId; OTHER_SECRET = $app.Secret; AUTHORITY = $emulator.Authority; API = $emulator.ApiBaseUri } -Script @'
New-FileVault -Name FileV
Set-Secret -Name nested -Vault FileV -Secret @{ ClientId = @{ Id = $env:APP_ID }; ClientSecret = $env:APP_SECRET }
$file = Join-Path $HOME 'whole-file.txt'
Set-Content -Path $file -Value ('Canary-Secret-' * 5000) -NoNewline
Set-Secret -Name from-file -Vault FileV -Secret @{ ClientId = $env:APP_ID; ClientSecret = (Get-Content $file -Raw) }
Write-Result @{
    Nested  = Get-Failure { Get-ITwinServiceToken -Vault FileV -SecretName nested @at }
    Wrapped = (Get-Secret -Name from-file -Vault FileV).ClientSecret -is [psobject]
    Long    = Get-Failure { Get-ITwinServiceToken -Vault FileV -SecretName from-file @at }
}
'@
        $seconds = $watch.Elapsed.TotalSeconds
        $sent = (Get-Stats).tokenEndpointRequests + (Get-Stats).discoveryRequests
        Add-Row 'Attack: values' $scenario $expected "$($result.Nested.Id); $($result.Long.Id); $(if ($sent -eq 0) { 'nothing sent' } else { "$sent request(s) sent" })" -Seconds $seconds
        $result.Wrapped | Should -BeTrue -Because 'SecretManagement hands the PSObject-wrapped string over as it is'
        $result.Nested.Id | Should -Be 'SecretTypeNotSupported'
        $result.Nested.Message | Should -Not -Match 'System\.Collections\.Hashtable'
        $result.Long.Id | Should -Be 'SecretValueInvalid'
        $result.Long.Shown | Should -Not -Match 'Canary-Secret|ArgumentOutOfRange'
        $sent | Should -Be 0
    }
}

Describe 'At most once' -Tag Attack, CoreOnly, AtMostOnce {
    BeforeAll {
        # HTTP/2 needs TLS: an emulator of its own with --tls, and a child pwsh that trusts its CA
        # (.NET reads SSL_CERT_FILE once per process).
        $ca = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-attack-ca-$PID.pem"
        $secure = Start-ITwinEmulator -ArgumentList @('--stop-after', '900', '--tls', $ca)
        function Admin([string] $Path, [string] $Method = 'Get', $Body) {
            $params = @{ Method = $Method; Uri = "$($secure.Authority)/_emulator/$Path"; SkipCertificateCheck = $true }
            if ($PSBoundParameters.ContainsKey('Body')) { $params.Body = ConvertTo-Json $Body -Depth 5; $params.ContentType = 'application/json' }
            Invoke-RestMethod @params
        }
        $secureApp = Admin apps Post @{}
        # One child runs the three cases: for each, the first attempt is refused after its body was read
        # (a second attempt would reach the echo endpoint, which counts a delivery too), then the
        # emulator's counters say how many times it was delivered and over which protocol. The
        # handler does re-send a refused stream: its request head reaches the server again, but the
        # body that may be sent once (RequestFactory's SendOnce) refuses, so no second request is whole.
        $cases = [ordered]@{
            'a POST with a body'     = 'Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body @{ n = 1 } -Confirm:$false'
            'a POST without a body'  = 'Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Confirm:$false'
            'a PATCH without a body' = 'Invoke-ITwinRequest -Method Patch -Path /_emulator/echo -Confirm:$false'
        }
        $admin = "-SkipCertificateCheck -Uri '$($secure.Authority)/_emulator"
        $command = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$env:ITWINAUTH_MODULE'
Get-ITwinServiceToken | Out-Null
Invoke-ITwinRequest -Path /users/me | Out-Null
"@ + (($cases.Keys | ForEach-Object { @"

Invoke-RestMethod -Method Delete $admin/faults' | Out-Null
Invoke-RestMethod -Method Post $admin/faults' -ContentType application/json -Body '{"path":"/_emulator/echo","action":"refuse-stream","times":1}' | Out-Null
Invoke-RestMethod -Method Post $admin/stats/reset' | Out-Null
`$watch = [Diagnostics.Stopwatch]::StartNew()
`$outcome = try { $($cases[$_]) -MaximumRetryCount 3 | Out-Null; 'success' } catch { (`$_.FullyQualifiedErrorId -split ',')[0] + ' (' + `$_.CategoryInfo.Category + ')' }
`$seconds = `$watch.Elapsed.TotalSeconds
`$stats = Invoke-RestMethod $admin/stats?log=false'
'RESULT ' + (@{ Name = '$_'; Outcome = `$outcome; Delivered = `$stats.bodiesDelivered; Heads = `$stats.apiRequests; Http2 = `$stats.http2Requests; Seconds = `$seconds } | ConvertTo-Json -Compress)
"@ }) -join '')
        $run = Invoke-ChildPwsh -TimeoutSeconds 180 -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $command) -Environment @{
            SSL_CERT_FILE = $ca; ITWIN_CLIENT_ID = $secureApp.client_id; ITWIN_CLIENT_SECRET = $secureApp.client_secret
            ITWIN_AUTHORITY = $secure.Authority; ITWIN_API_BASE_URI = $secure.ApiBaseUri; HTTP_PROXY = ''; HTTPS_PROXY = ''; NO_PROXY = ''; ALL_PROXY = ''
        }
        $refused = @{}
        foreach ($line in $run.Output -split "`n" | Where-Object { $_ -like 'RESULT *' }) { $result = $line.Substring(7) | ConvertFrom-Json; $refused[$result.Name] = $result }
    }
    AfterAll {
        Stop-ITwinEmulator -Emulator $secure
        Remove-Item $ca -ErrorAction Ignore
        Clear-EmulatorFault $emulator
    }

    It 'over HTTP/2, <Name> answered RST_STREAM(REFUSED_STREAM) after the server read it whole is delivered once' -ForEach @(
        @{ Name = 'a POST with a body' }, @{ Name = 'a POST without a body' }, @{ Name = 'a PATCH without a body' }
    ) {
        $result = $refused[$Name]
        $result | Should -Not -BeNullOrEmpty -Because "exit code $($run.ExitCode): $($run.Output)"
        Add-Row 'Attack: at most once' "HTTP/2: $Name, refused with RST_STREAM(REFUSED_STREAM) after the server read it" 'delivered once; not sent again whole' `
            "$($result.Outcome); delivered $($result.Delivered) time(s) ($($result.Heads) request head(s))" -Seconds $result.Seconds
        Write-Host "Attack: HTTP/2 $Name refused: $($result.Outcome); delivered $($result.Delivered) time(s); $($result.Heads) request head(s) seen, $($result.Http2) over HTTP/2"
        $result.Http2 | Should -BeGreaterThan 0 -Because 'the case must run over HTTP/2'
        $result.Delivered | Should -Be 1 -Because $run.Output
    }

    It 'over HTTP/1.1, a POST with a body whose connection is closed after the server read it is delivered once' {
        Connect-App
        Invoke-ITwinRequest -Path /users/me | Out-Null  # a pooled connection: the handler re-sends only on a reused one
        Clear-EmulatorFault $emulator
        Reset-EmulatorStats $emulator
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/_emulator/echo'; action = 'refuse-stream'; times = 1 })
        $result = Invoke-Case { Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body @{ n = 1 } -MaximumRetryCount 3 -Confirm:$false -ErrorAction Stop }
        $stats = Get-Stats
        Add-Row 'Attack: at most once' 'HTTP/1.1: a POST with a body, the connection closed after the server read it' 'delivered once; not sent again whole' `
            "$(Describe-Error $result.Error); delivered $($stats.bodiesDelivered) time(s) ($($stats.apiRequests) request head(s))" -Seconds $result.Seconds
        $stats.bodiesDelivered | Should -Be 1
    }
}

Describe 'Answers over the handler''s limits' -Tag Attack, CoreOnly, Limits {
    BeforeEach { Clear-EmulatorFault $emulator; Connect-App; Reset-EmulatorStats $emulator }
    AfterAll { Clear-EmulatorFault $emulator; Connect-App }

    It '<Name> is a quick module error after one request, not retried' -ForEach @(
        @{ Name = 'An API response with a 200 KB header'; Path = '/users/me'; Counter = 'apiRequests'; Run = { Invoke-ITwinRequest -Path /users/me -ErrorAction Stop } }
        @{ Name = 'A token response with a 200 KB header'; Path = '/connect/token'; Counter = 'tokenEndpointRequests'; Run = { Connect-App } }
    ) {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = $Path; status = 200; body = '{}'; headers = @{ 'X-Padding' = 'a' * 200KB }; times = -1 })
        $result = Invoke-Case $Run
        $requests = (Get-Stats).$Counter
        Add-Row 'Attack: limits' $Name 'ResponseInvalid (InvalidResult) after 1 request, within 2 s' "$(Describe-Error $result.Error) after $requests request(s), $(if ($result.Seconds -lt 2) { 'within' } else { 'not within' }) 2 s" -Seconds $result.Seconds
        Write-Host ("Attack: {0}: {1} after {2} request(s) in {3:N2} s" -f $Name, (Describe-Error $result.Error), $requests, $result.Seconds)
        Describe-Error $result.Error | Should -Be 'ResponseInvalid (InvalidResult)' -Because "$($result.Error)"
        $requests | Should -Be 1
        $result.Seconds | Should -BeLessThan 2
    }

    It 'an HTTPS_PROXY that answers 407 (wrong proxy credentials) is an error naming the proxy without its password, not retried' {
        $proxy = New-RawServer "HTTP/1.1 407 Proxy Authentication Required`r`nProxy-Authenticate: Basic realm=`"attack`"`r`nContent-Length: 0`r`nConnection: close`r`n`r`n"
        $password = 'Pr0xy-' + [guid]::NewGuid().ToString('n')
        $command = @"
Import-Module '$env:ITWINAUTH_MODULE'
`$watch = [Diagnostics.Stopwatch]::StartNew()
try { Get-ITwinServiceToken -ClientId x -ClientSecret (ConvertTo-SecureString s -AsPlainText -Force) -Authority https://127.0.0.1:9 -ApiBaseUri https://127.0.0.1:9 -ErrorAction Stop | Out-Null; 'RESULT success' }
catch { 'RESULT ' + (`$_.FullyQualifiedErrorId -split ',')[0] + ' (' + `$_.CategoryInfo.Category + ')'; 'MESSAGE ' + `$_.Exception.Message }
'SECONDS ' + `$watch.Elapsed.TotalSeconds
"@
        $run = Invoke-ChildPwsh -TimeoutSeconds 120 -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $command) -Environment @{
            HTTPS_PROXY = "http://attacker:$password@127.0.0.1:$(([uri]$proxy).Port)"; HTTP_PROXY = ''; NO_PROXY = ''; ALL_PROXY = '' }
        $outcome = if ($run.Output -match 'RESULT (.+)') { $Matches[1].Trim() } else { 'no result' }
        $seconds = if ($run.Output -match 'SECONDS (\S+)') { [double]$Matches[1] } else { 999 }
        $connects = (Get-RawServer $proxy).requests
        Add-Row 'Attack: limits' 'HTTPS_PROXY with a user and password answering 407 to every CONNECT' 'one attempt (2 CONNECTs: the challenge and the answer), the password nowhere' `
            "$outcome; $connects CONNECTs, the password $(if ($run.Output.Contains($password)) { 'shown' } else { 'nowhere' })" -Seconds $seconds
        Write-Host ("Attack: HTTPS_PROXY answering 407: {0} after {1} CONNECT(s) in {2:N2} s" -f $outcome, $connects, $seconds)
        $run.Output | Should -Match 'MESSAGE .*127\.0\.0\.1'
        $run.Output.Contains($password) | Should -BeFalse
        $connects | Should -BeLessOrEqual 2 -Because "a 407 is the proxy's answer to wrong credentials: trying again cannot help (it took $([math]::Round($seconds, 2)) s)"
    }
}

Describe 'docs/RELIABILITY.md: the attacks' -Tag Attack, CoreOnly {
    It 'is written as this run observed every attack, for build.ps1 -Task Check to compare' {
        function Cell([string] $Text) { $Text -replace '\|', '\|' }
        $lines = @(
            '## Attacks (issue 22)'
            ''
            'Generated from `tests/Pester/Attack.Tests.ps1` (`build.ps1 -Task Check` checks that this section still says'
            'what the last test run observed, failures included; rewrite it with `ITWINAUTH_UPDATE_DOCS=1`). Each attack'
            'runs against the emulator''s hostile answers on loopback, bounded in time; the scan reads every stream,'
            '`$Error`, a transcript and the console of each server-text case. Memory is the peak of a child pwsh, the'
            'process included; the bounds are the ones [SECURITY.md](SECURITY.md#what-a-server-can-make-the-process-hold) states.'
            ''
            '| Area | Scenario | Expected | Observed |'
            '|---|---|---|---|'
        ) + ($rows | ForEach-Object { "| $($_.Area) | $(Cell $_.Scenario) | $(Cell $_.Expected) | $(Cell $_.Observed) |" }) + @(
            ''
            '### Measured in the run that last wrote this section'
            ''
            'Time from the start of each case to its outcome on the real clock (waits pass on the fake clock), and'
            'the peak memory of the memory cases. The figures change from run to run and machine to machine (this run:'
            "$([Environment]::ProcessorCount) cores, shared with other work): the check compares the rows, not the figures."
            "The whole file took $([math]::Round($fileWatch.Elapsed.TotalSeconds)) s."
            ''
            '| Scenario | Time to the outcome | Peak memory |'
            '|---|---|---|'
        ) + ($rows | ForEach-Object {
                "| $(Cell $_.Scenario) | $(if ($_.Seconds -ge 0) { '{0:N2} s' -f $_.Seconds } else { '-' }) | $(if ($_.Peak) { Cell $_.Peak } else { '-' }) |" })
        $section = ($lines -join "`n") + "`n"
        $rows.Count | Should -Be 55
        Set-Content -Path (Join-Path $env:ITWINAUTH_TEST_RESULTS "ATTACKS-$env:ITWINAUTH_TEST_EDITION.md") -Value $section -NoNewline
        # The section is the file's last, from its heading to the end; Reliability.Tests.ps1 writes what comes before it.
        if ($env:ITWINAUTH_UPDATE_DOCS -eq '1') { Update-ReliabilityDoc { param($Old) ($Old -replace '(?s)\n## Attacks \(issue 22\)\n.*$', '').TrimEnd("`n") + "`n`n" + $section } }
    }
}
