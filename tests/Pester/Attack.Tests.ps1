# Issue 22: attacks on the principles that each live in one place in the engine: paging (Pager),
# the rate-limit gate (RateLimitGate, RateLimitPolicy), server text (ServerText), token response
# checks (TokenClient), at most once (RequestFactory's SendOnce) and transport failures
# (TransportFailures). Every case is bounded in count and time against the emulator on loopback (its
# hostile answers: tests/ITwinAuth.Emulator/AttackResponses.cs and RawServer.cs), and each is a row of
# the "Attacks" section of docs/RELIABILITY.md, written before the case's assertions so that the
# section says what was observed, failures included: the last test checks the committed section
# against this run (ITWINAUTH_UPDATE_DOCS=1 rewrites it).
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator -ITwinCount 100
    $app = New-TestApp -Emulator $emulator
    $rows = [System.Collections.Generic.List[object]]::new()

    function Connect-App { Connect-TestApp -Emulator $emulator -App $app -With @{ Force = $true } | Out-Null }
    function Get-Stats { Get-EmulatorStats $emulator }
    function Describe-Error($Record) { if ($Record) { "$(($Record.FullyQualifiedErrorId -split ',')[0]) ($($Record.CategoryInfo.Category))" } else { 'success' } }
    function Add-Row([string] $Area, [string] $Scenario, [string] $Expected, [string] $Observed) {
        $rows.Add([pscustomobject]@{ Area = $Area; Scenario = $Scenario; Expected = $Expected; Observed = $Observed })
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

Describe 'Paging that never ends' -Tag Attack, Paging {
    BeforeAll { Clear-EmulatorFault $emulator; Connect-App; Invoke-ITwinRequest -Path /itwins -All | Out-Null }  # warm: the first case is not timed with the JIT
    BeforeEach { Clear-EmulatorFault $emulator; Connect-App; Reset-EmulatorStats $emulator }
    AfterAll { Clear-EmulatorFault $emulator }

    It '<Name> ends in <ErrorId> within <Within> s' -ForEach @(
        @{ Name = 'A page whose next link is itself'; Fault = @{ cycleLength = 1; itemsPerPage = 2 }; ErrorId = 'PagingCycle (InvalidResult)'; Within = 5; MaxRequests = 1
            Run = { Invoke-ITwinRequest -Path /itwins -Query @{ page = 0 } -All -TotalTimeoutSec 10 -ErrorAction Stop } }
        @{ Name = 'A cycle of 2 pages'; Fault = @{ cycleLength = 2; itemsPerPage = 2 }; ErrorId = 'PagingCycle (InvalidResult)'; Within = 5; MaxRequests = 3
            Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 10 -ErrorAction Stop } }
        @{ Name = 'A cycle of 3 pages'; Fault = @{ cycleLength = 3; itemsPerPage = 2 }; ErrorId = 'PagingCycle (InvalidResult)'; Within = 5; MaxRequests = 4
            Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 10 -ErrorAction Stop } }
        @{ Name = 'A cycle of 2 pages whose links differ only by their #fragment (never sent to the server)'; Fault = @{ cycleLength = 2; itemsPerPage = 2; fragmentLinks = $true }
            ErrorId = 'PagingCycle (InvalidResult)'; Within = 5; MaxRequests = 3; Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 10 -ErrorAction Stop } }
        @{ Name = 'Endless empty pages, each with a new next link'; Fault = @{ itemsPerPage = 0 }; ErrorId = 'PagingStalled (InvalidResult)'; Within = 5; MaxRequests = 10
            Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 10 -ErrorAction Stop } }
        @{ Name = 'Endless new links, each page with items (-TotalTimeoutSec 3)'; Fault = @{ itemsPerPage = 5 }; ErrorId = 'RequestTimedOut (OperationTimeout)'; Within = 6; AtLeast = 2.9
            Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 3 -ErrorAction Stop } }
        @{ Name = '-First 1 -IncludeTotalCount on an endless listing (-TotalTimeoutSec 3)'; Fault = @{ itemsPerPage = 5 }; ErrorId = 'RequestTimedOut (OperationTimeout)'; Within = 6; AtLeast = 2.9; Items = 1
            Run = { Invoke-ITwinRequest -Path /itwins -First 1 -IncludeTotalCount -TotalTimeoutSec 3 -ErrorAction Stop } }
        @{ Name = 'Endless listing of 1-s pages (-TotalTimeoutSec 3 -TimeoutSec 2): one deadline for the whole listing'; Fault = @{ itemsPerPage = 5; delayMs = 1000 }
            ErrorId = 'RequestTimedOut (OperationTimeout)'; Within = 6; AtLeast = 2.9; MaxRequests = 4; Run = { Invoke-ITwinRequest -Path /itwins -All -TotalTimeoutSec 3 -TimeoutSec 2 -ErrorAction Stop } }
    ) {
        $armed = @{ path = '/itwins'; action = 'pages'; times = -1 } + $Fault
        Add-EmulatorFault -Emulator $emulator -Fault @($armed)
        $result = Invoke-Case $Run
        # Counts and times in words, so that the row is the same from run to run.
        $observed = "$(Describe-Error $result.Error) $(if ($result.Seconds -lt $Within) { "within $Within s" } else { "after more than $Within s" })" +
            $(if ($MaxRequests) { ", $(if ($result.Requests -le $MaxRequests) { 'at most' } else { 'more than' }) $MaxRequests request(s)" } else { '' })
        $expected = "$ErrorId within $Within s" + $(if ($MaxRequests) { ", at most $MaxRequests request(s)" } else { '' })
        Add-Row 'Attack: paging' $Name $expected $observed
        Write-Host ("Attack: {0}: {1} after {2:N2} s, {3} request(s), {4} item(s)" -f $Name, (Describe-Error $result.Error), $result.Seconds, $result.Requests, $result.Items.Count)
        Describe-Error $result.Error | Should -Be $ErrorId -Because "$Name took $([math]::Round($result.Seconds, 2)) s and $($result.Requests) request(s): $($result.Error)"
        $result.Seconds | Should -BeLessThan $Within
        if ($AtLeast) { $result.Seconds | Should -BeGreaterOrEqual $AtLeast }
        if ($MaxRequests) { $result.Requests | Should -BeLessOrEqual $MaxRequests }
        if ($Items) { @($result.Items | Where-Object { $_.id }).Count | Should -Be $Items }
    }
}

Describe 'A 429 that asks to wait for ever' -Tag Attack, RateLimit {
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
            "$(Describe-Error $first) after $firstRequests request(s); then $(Describe-Error $second), $secondRequests sent, $(if ($waited -eq 0) { 'no wait' } else { 'a wait' }); then $(Describe-Error $third)"
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
}

Describe 'Memory under large answers, and what $Error keeps' -Tag Attack, Memory {
    BeforeAll {
        # One fresh pwsh a case: the peak (VmHWM) of one case must not carry the memory another left behind.
        # Converting millions of items takes a core for a minute: the children run at the lowest CPU
        # priority (nice 19, which their threads inherit), so that the test files running beside this
        # one keep their timing. Their own time is reported, never asserted.
        function Invoke-NiceChildPwsh([string[]] $ArgumentList, [int] $TimeoutSeconds) {
            $command = Get-PwshCommand
            $child = Start-ChildProcess -FilePath nice -ArgumentList (@('-n', '19') + $command + $ArgumentList) -Environment @{ NO_COLOR = '1' }
            $output = $child.StandardOutput.ReadToEndAsync(); $errors = $child.StandardError.ReadToEndAsync()
            if (-not $child.WaitForExit($TimeoutSeconds * 1000)) { $child.Kill($true); throw "The child pwsh did not finish within $TimeoutSeconds s." }
            $child.WaitForExit()
            [pscustomobject]@{ ExitCode = $child.ExitCode; Output = $output.Result + $errors.Result }
        }
        $child = Join-Path $PSScriptRoot 'Attack.Memory.Child.ps1'
        $memory = @{}
        $outputs = foreach ($name in 'zeros', 'zeros-raw', 'fan-out', 'errors') {
            Clear-EmulatorFault $emulator
            $run = Invoke-NiceChildPwsh -TimeoutSeconds 400 -ArgumentList @('-NoProfile', '-NonInteractive', '-File', $child, '-Case', $name,
                '-ModulePath', $env:ITWINAUTH_MODULE, '-EmulatorModule', (Join-Path $PSScriptRoot '../Emulator.psm1'),
                '-Authority', $emulator.Authority, '-ApiBaseUri', $emulator.ApiBaseUri, '-ClientId', $app.ClientId, '-Secret', $app.Secret)
            foreach ($line in $run.Output -split "`n" | Where-Object { $_ -like 'CASE *' }) { $case = $line.Substring(5) | ConvertFrom-Json; $memory[$case.Name] = $case }
            "$name (exit code $($run.ExitCode)): $($run.Output)"
        }
        Clear-EmulatorFault $emulator
    }

    It 'the children measuring memory ran every case' {
        @($memory.Keys | Sort-Object) | Should -Be @('errors-10', 'errors-256', 'fan-out', 'zeros', 'zeros-raw') -Because ($outputs -join "`n")
    }

    It '<Scenario> peaks under <Bound> MB' -ForEach @(
        @{ Name = 'zeros'; Bound = 600; Scenario = 'A 16 MiB JSON array of zeros (8,388,607 items) converted to objects and kept' }
        @{ Name = 'zeros-raw'; Bound = 300; Scenario = 'The same 16 MiB array with -Raw' }
        @{ Name = 'fan-out'; Bound = 2500; Scenario = '-ThrottleLimit 16 over 32 inputs, each answered with a 32 MiB JSON string (at most 16 under way or waiting: 16 x (32 MiB body + its 64 MiB text), the process and slack)' }
    ) {
        $case = $memory[$Name]
        $case | Should -Not -BeNullOrEmpty -Because ($outputs -join "`n")
        Add-Row 'Attack: memory' $Scenario "success; peak under $Bound MB" "$(if ($case.ErrorId -eq 'none') { 'success' } else { $case.ErrorId }); peak $(if ($case.PeakMB -lt $Bound) { 'under' } else { 'over' }) $Bound MB"
        Write-Host ("Attack: memory {0}: {1} ({2}) in {3:N1} s, peak {4} MB (bound {5} MB)" -f $Name, $case.ErrorId, $case.Said, $case.Seconds, $case.PeakMB, $Bound)
        $case.ErrorId | Should -Be 'none'
        $case.PeakMB | Should -BeLessThan $Bound -Because "$Scenario peaked at $($case.PeakMB) MB in $($case.Seconds) s"
    }

    It '256 failed calls whose error code is 1 MiB: the records $Error keeps hold under 100 MB' {
        $ten = $memory['errors-10']; $full = $memory['errors-256']
        Add-Row 'Attack: memory' '$Error after 256 failed calls whose error body holds a 1 MiB error code' 'the 256 kept records hold under 100 MB' `
            "the $($full.Records) kept records hold $(if ($full.KeptMB -lt 100) { 'under' } else { 'over' }) 100 MB"
        Write-Host ("Attack: `$Error: 10 records keep {0} MB, 256 keep {1} MB (heap {2} MB, peak {3} MB)" -f $ten.KeptMB, $full.KeptMB, $full.HeapMB, $full.PeakMB)
        $full.ErrorId | Should -Be 'HttpError'
        $full.Records | Should -Be 256
        $full.KeptMB | Should -BeLessThan 100
    }
}

Describe 'Escape sequences, long texts and secrets in everything a user sees' -Tag Attack, Leak {
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
        $texts = @($scan.Texts) + @(
            [pscustomobject]@{ Case = 'all'; Where = 'Transcript'; Rule = 'render'; Text = $transcriptText }
            [pscustomobject]@{ Case = 'all'; Where = 'Console'; Rule = 'render'; Text = $run.Output })
        $found = [System.Collections.Generic.List[object]]::new()
        foreach ($text in $texts) {
            $match = [regex]::Match($text.Text, $(if ($text.Rule -eq 'line') { $inLine } else { $inBlock }))
            if ($match.Success) {
                $found.Add([pscustomobject]@{ Case = $text.Case; Kind = ('U+{0:X4} in {1}' -f [int]$match.Value[0], ($text.Where -replace '^\$Error ', '' -replace '^Error ', ''))
                        Detail = ($text.Text.Substring([math]::Max(0, $match.Index - 80), [math]::Min(120, $text.Text.Length - [math]::Max(0, $match.Index - 80))) -replace '[\x00-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]', '<?>') })
            }
            if ($limits[$text.Rule] -and $text.Text.Length -gt $limits[$text.Rule]) {
                $found.Add([pscustomobject]@{ Case = $text.Case; Kind = ('{0} over {1} characters' -f ($text.Where -replace '^\$Error ', '' -replace '^Error ', ''), $limits[$text.Rule]); Detail = "$($text.Text.Length) characters" })
            }
            foreach ($secret in $secrets) {
                if ($secret -and $text.Text.Contains($secret)) {
                    $found.Add([pscustomobject]@{ Case = $text.Case; Kind = "a secret in $($text.Where)"; Detail = $(if ($secret -eq $password) { 'the proxy password' } elseif ($secret -eq $app.Secret) { 'the client secret' } elseif ($secret -eq $basic) { 'the Basic form' } else { 'an access token' }) })
                }
            }
        }
        $found = @($found | Sort-Object Case, Kind, Detail -Unique)

        foreach ($case in $scan.Cases) {
            $mine = @($found | Where-Object Case -eq $case.Name | ForEach-Object Kind | Sort-Object -Unique)
            Add-Row 'Attack: server text' $case.Name 'no control character, message <= 2,000 characters, ErrorDetails <= 16 KiB, no secret' `
                "$($case.ErrorId); $(if ($mine) { $mine -join '; ' } else { 'clean' })"
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

Describe 'Values from a server and from the caller' -Tag Attack, Values {
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
        $record = try { Connect-App; $null } catch { $_ }
        $requests = (Get-Stats).tokenEndpointRequests
        Add-Row 'Attack: values' "Token response with $Name" 'TokenResponseInvalid (InvalidResult) after 1 request' "$(Describe-Error $record) after $requests request(s)"
        Describe-Error $record | Should -Be 'TokenResponseInvalid (InvalidResult)'
        $requests | Should -Be 1
        $record.Exception.Message | Should -Not -Match '[\x00-\x1F\x7F-\x9F]'
    }

    It '-Headers @{ X-Custom = 1.5 } under fr-FR sends 1.5' {
        Connect-App
        $saved = [cultureinfo]::CurrentCulture
        try {
            [cultureinfo]::CurrentCulture = 'fr-FR'
            $echo = Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Headers @{ 'X-Custom' = 1.5 } -Confirm:$false
        }
        finally { [cultureinfo]::CurrentCulture = $saved }
        Add-Row 'Attack: values' '-Headers @{ X-Custom = 1.5 } under fr-FR' 'X-Custom: 1.5' "X-Custom: $($echo.custom)"
        $echo.custom | Should -Be '1.5'
    }
}

Describe 'At most once' -Tag Attack, AtMostOnce {
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
        # emulator's counters say how many times it was delivered and over which protocol.
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
`$outcome = try { $($cases[$_]) -MaximumRetryCount 3 | Out-Null; 'success' } catch { (`$_.FullyQualifiedErrorId -split ',')[0] + ' (' + `$_.CategoryInfo.Category + ')' }
`$stats = Invoke-RestMethod $admin/stats?log=false'
'RESULT ' + (@{ Name = '$_'; Outcome = `$outcome; Delivered = `$stats.bodiesDelivered; Heads = `$stats.apiRequests; Http2 = `$stats.http2Requests } | ConvertTo-Json -Compress)
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
        Add-Row 'Attack: at most once' "HTTP/2: $Name, refused with RST_STREAM(REFUSED_STREAM) after the server read it" 'delivered once; not sent again' `
            "$($result.Outcome); delivered $($result.Delivered) time(s)"
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
        $record = try { Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body @{ n = 1 } -MaximumRetryCount 3 -Confirm:$false -ErrorAction Stop | Out-Null; $null } catch { $_ }
        $stats = Get-Stats
        Add-Row 'Attack: at most once' 'HTTP/1.1: a POST with a body, the connection closed after the server read it' 'delivered once; not sent again' `
            "$(Describe-Error $record); delivered $($stats.bodiesDelivered) time(s)"
        $stats.bodiesDelivered | Should -Be 1
    }
}

Describe 'Answers over the handler''s limits' -Tag Attack, Limits {
    BeforeEach { Clear-EmulatorFault $emulator; Connect-App; Reset-EmulatorStats $emulator }
    AfterAll { Clear-EmulatorFault $emulator; Connect-App }

    It '<Name> is a quick module error after one request, not retried' -ForEach @(
        @{ Name = 'An API response with a 200 KB header'; Path = '/users/me'; Counter = 'apiRequests'; Run = { Invoke-ITwinRequest -Path /users/me -ErrorAction Stop } }
        @{ Name = 'A token response with a 200 KB header'; Path = '/connect/token'; Counter = 'tokenEndpointRequests'; Run = { Connect-App } }
    ) {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = $Path; status = 200; body = '{}'; headers = @{ 'X-Padding' = 'a' * 200KB }; times = -1 })
        $result = Invoke-Case $Run
        $requests = (Get-Stats).$Counter
        Add-Row 'Attack: limits' $Name 'ResponseInvalid (InvalidResult) after 1 request, within 2 s' "$(Describe-Error $result.Error) after $requests request(s), $(if ($result.Seconds -lt 2) { 'within' } else { 'not within' }) 2 s"
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
            "$outcome; $connects CONNECTs, the password $(if ($run.Output.Contains($password)) { 'shown' } else { 'nowhere' })"
        Write-Host ("Attack: HTTPS_PROXY answering 407: {0} after {1} CONNECT(s) in {2:N2} s" -f $outcome, $connects, $seconds)
        $run.Output | Should -Match 'MESSAGE .*127\.0\.0\.1'
        $run.Output.Contains($password) | Should -BeFalse
        $connects | Should -BeLessOrEqual 2 -Because "a 407 is the proxy's answer to wrong credentials: trying again cannot help (it took $([math]::Round($seconds, 2)) s)"
    }
}

Describe 'docs/RELIABILITY.md: the attacks' -Tag Attack {
    It 'lists every attack with its observed outcome, as this run observed it' {
        $lines = @(
            '## Attacks (issue 22)'
            ''
            'Generated from `tests/Pester/Attack.Tests.ps1`, which checks on every test run that this section still says'
            'what was observed, failures included (rewrite it with `ITWINAUTH_UPDATE_DOCS=1`). Each attack runs against'
            'the emulator''s hostile answers on loopback, bounded in time; the scan reads every stream, `$Error`, a'
            'transcript and the console of each server-text case.'
            ''
            '| Area | Scenario | Expected | Observed |'
            '|---|---|---|---|'
        ) + ($rows | ForEach-Object { "| $($_.Area) | $($_.Scenario -replace '\|', '\|') | $($_.Expected -replace '\|', '\|') | $($_.Observed -replace '\|', '\|') |" })
        $section = ($lines -join "`n") + "`n"
        $doc = Join-Path $PSScriptRoot '../../docs/RELIABILITY.md'
        $content = (Get-Content $doc -Raw) -replace "`r`n", "`n"
        # The section is the file's second-level section of that name, to its end; Reliability.Tests.ps1 writes what comes before it.
        $before = $content -replace '(?s)\n## Attacks \(issue 22\)\n.*$', ''
        Set-Content -Path (Join-Path (Split-Path $env:ITWINAUTH_MODULE | Split-Path | Split-Path) 'test-results/RELIABILITY-attacks.md') -Value $section -NoNewline -ErrorAction Ignore
        if ($env:ITWINAUTH_UPDATE_DOCS -eq '1') { Set-Content -Path $doc -Value ($before + "`n" + $section) -NoNewline }
        $rows.Count | Should -Be 46
        $content = (Get-Content $doc -Raw) -replace "`r`n", "`n"
        $committed = if ($content -match '(?s)\n(## Attacks \(issue 22\)\n.*)$') { $Matches[1] } else { '' }
        $committed | Should -Be $section -Because 'docs/RELIABILITY.md must say what the attacks observed; rerun with ITWINAUTH_UPDATE_DOCS=1 after an intended change'
    }
}
