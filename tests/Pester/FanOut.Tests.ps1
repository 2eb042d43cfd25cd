# Issue 14: fan-out with -ThrottleLimit, the shared rate-limit pause, correlation ids and the
# platform's error conventions, against the emulator (which counts requests in flight).
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator -ITwinCount 200
    $app = New-TestApp -Emulator $emulator
    Connect-TestApp -Emulator $emulator -App $app | Out-Null
    function Get-Stats { Get-EmulatorStats $emulator }
    # One iTwin per input: the n-th of the listing, so each result says which input it answers.
    $pathFor = { "/itwins?`$top=1&`$skip=$_" }
    function Expected([int[]] $Numbers) { $Numbers | ForEach-Object { 'iTwin {0:D6}' -f ($_ + 1) } }
}
AfterAll { Stop-ITwinEmulator -Emulator $emulator }

Describe 'Invoke-ITwinRequest -ThrottleLimit' -Tag FanOut {
    BeforeEach {
        Clear-EmulatorFault $emulator
        Reset-EmulatorStats $emulator
    }

    It 'writes results in input order while up to N requests are under way, and never more' {
        # Half the requests are slow, seeded: completions come out of order.
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/itwins'; action = 'delay'; delayMs = 300; probability = 0.5; times = -1 })
        $numbers = 0..23
        $names = @($numbers | Invoke-ITwinRequest -Path $pathFor -ThrottleLimit 8 | ForEach-Object { $_.iTwins[0].displayName })
        $stats = Get-Stats
        ($names -join ',') | Should -Be ((Expected $numbers) -join ',')
        $stats.apiRequests | Should -Be 24
        $stats.apiInFlightPeak | Should -BeLessOrEqual 8
        $stats.apiInFlightPeak | Should -BeGreaterThan 2 -Because 'the requests overlapped at the server'
    }

    It 'sends one at a time by default' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/itwins'; action = 'delay'; delayMs = 50; times = -1 })
        0..5 | Invoke-ITwinRequest -Path $pathFor | Out-Null
        (Get-Stats).apiInFlightPeak | Should -Be 1
    }

    It 'keeps a failed item''s error in its place, non-terminating, with its target' {
        $paths = '/itwins?$top=1&$skip=0', '/users/not-a-guid', '/itwins?$top=1&$skip=2', "/users/$([guid]::NewGuid())", '/itwins?$top=1&$skip=4'
        $out = @($paths | Invoke-ITwinRequest -ThrottleLimit 4 -ErrorAction SilentlyContinue -ErrorVariable failures | ForEach-Object { $_.iTwins[0].displayName })
        ($out -join ',') | Should -Be ((Expected 0, 2, 4) -join ',')
        $failures.Count | Should -Be 2
        ($failures[0].FullyQualifiedErrorId -split ',')[0] | Should -Be 'InvalidUsersRequest'
        $failures[0].TargetObject | Should -BeLike '*/users/not-a-guid'
        ($failures[1].FullyQualifiedErrorId -split ',')[0] | Should -Be 'UserNotFound'
    }

    It 'keeps the pages of each input together and in order with -All' {
        $items = @('/itwins', '/itwins/favorites', '/itwins') | Invoke-ITwinRequest -All -Query @{ '$top' = 50 } -ThrottleLimit 3
        $all = Expected (0..199)
        @($items).Count | Should -Be 400
        (@($items.displayName) -join ',') | Should -Be ((@($all) + @($all)) -join ',')
    }

    It 'asks -WhatIf for each input before sending, and sends nothing' {
        $ps = [powershell]::Create()
        [void] $ps.AddCommand('Import-Module').AddArgument($env:ITWINAUTH_MODULE).AddStatement()
        [void] $ps.AddScript("param(`$a, `$s, `$i) Get-ITwinServiceToken -ClientId `$i -ClientSecret `$s -Authority `$a -ApiBaseUri '$($emulator.ApiBaseUri)' | Out-Null; 1..6 | Invoke-ITwinRequest -Method Delete -Path { `"/itwins/favorites/`$_`" } -ThrottleLimit 3 -WhatIf").
            AddArgument($emulator.Authority).AddArgument($app.SecureSecret).AddArgument($app.ClientId)
        $ps.Invoke() | Out-Null
        $ps.HadErrors | Should -BeFalse
        $ps.Dispose()
        (Get-Stats).apiRequests | Should -Be 0
    }

    It 'stops the rest with -ErrorAction Stop' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/itwins'; action = 'delay'; delayMs = 200; times = -1 })
        $paths = @('/users/not-a-guid') + @(0..39 | ForEach-Object { "/itwins?`$top=1&`$skip=$_" })
        { $paths | Invoke-ITwinRequest -ThrottleLimit 4 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidUsersRequest*'
        (Get-Stats).apiRequests | Should -BeLessThan 12 -Because 'the failure stopped the fan-out: at most a few more than the limit were sent'
    }

    It 'stops every request under way at once on Ctrl+C' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/itwins'; action = 'delay'; delayMs = 30000; times = -1 })
        $ps = [powershell]::Create()
        # Imported first, then the command alone: a batch (AddStatement) run by BeginInvoke goes on to
        # its next statement on a pool thread after Stop, which can crash the process once disposed.
        [void] $ps.AddCommand('Import-Module').AddArgument($env:ITWINAUTH_MODULE).Invoke()
        $ps.Commands.Clear()
        [void] $ps.AddScript("param(`$a, `$s, `$i) Get-ITwinServiceToken -ClientId `$i -ClientSecret `$s -Authority `$a -ApiBaseUri '$($emulator.ApiBaseUri)' | Out-Null; 0..15 | Invoke-ITwinRequest -Path { `"/itwins?```$top=1&```$skip=`$_`" } -ThrottleLimit 8").
            AddArgument($emulator.Authority).AddArgument($app.SecureSecret).AddArgument($app.ClientId)
        $async = $ps.BeginInvoke()
        $until = [DateTime]::UtcNow.AddSeconds(20)
        while ((Get-Stats).apiInFlight -lt 8 -and [DateTime]::UtcNow -lt $until) { Start-Sleep -Milliseconds 50 }
        (Get-Stats).apiInFlight | Should -Be 8
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5 -Because "Stop ends the 8 calls in flight at once, not after their answers (a bound against a hang, not a speed target)"
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        $ps.Dispose()
        (Get-Stats).apiRequests | Should -Be 8
    }

    # That the pause is shared with the requests that start while it lasts is proven in xUnit
    # (WaitTests in HostileServerTests.cs), where the order of events is certain; here the fan-out's
    # own answers race it.
    It 'waits out each 429 as Retry-After asks, says the rate limit in -Verbose, and loses no item' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/itwins'; status = 429; retryAfterSeconds = 1; skip = 4; times = 3 })
        $numbers = 0..15
        $time = New-FakeTime   # the waits pass at once; .Waits says what they were
        try { $output = @($numbers | Invoke-ITwinRequest -Path $pathFor -ThrottleLimit 8 -Verbose 4>&1) }
        finally { $time.Dispose() }
        $time.Waits.Count | Should -BeGreaterOrEqual 3 -Because 'each of the three 429s is waited out before its retry'
        $time.Waits | ForEach-Object { $_.TotalSeconds | Should -BeLessOrEqual 1 -Because 'no request waits longer than Retry-After asks' }
        $names = @($output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] } | ForEach-Object { $_.iTwins[0].displayName })
        $verbose = @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
        ($names -join ',') | Should -Be ((Expected $numbers) -join ',')
        (Get-Stats).apiRequests | Should -Be 19 -Because 'each 429 costs one more request, no more'
        $verbose | Should -Match 'rate-limiting this application'
        $verbose | Should -Match 'ITwinPlatform-RateLimited-Tier: trial'
    }
}

Describe 'Platform conventions' -Tag FanOut, Conventions {
    BeforeEach {
        Clear-EmulatorFault $emulator
        Reset-EmulatorStats $emulator
    }

    It 'sends one X-Correlation-Id per request, the same across its pages and retries, and quotes it in errors' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/itwins'; status = 503; skip = 1; times = 1 })
        Invoke-ITwinRequest -Path /itwins -All -Query @{ '$top' = 100 } | Out-Null
        Invoke-ITwinRequest -Path /users/me | Out-Null
        $log = @((Get-EmulatorStats $emulator -WithLog).apiLog)
        $log.Count | Should -Be 4 -Because 'two pages, one retry, one more call'
        @($log[0..2].correlationId | Select-Object -Unique).Count | Should -Be 1
        $log[0].correlationId | Should -Match '^[0-9a-f-]{36}$'
        $log[3].correlationId | Should -Not -Be $log[0].correlationId
        $record = Get-ErrorRecord { Invoke-ITwinRequest -Path /users/not-a-guid }
        $sent = @((Get-EmulatorStats $emulator -WithLog).apiLog)[-1].correlationId
        $record.Exception.CorrelationId | Should -Be $sent
        $record.Exception.Message | Should -BeLike "*$sent*"
    }

    It 'keeps the message of an error body that is not wrapped in "error"' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 401; body = '{"statusCode": 401, "message": "Invalid JWT."}'; times = 2 })
        $record = Get-ErrorRecord { Invoke-ITwinRequest -Path /users/me }
        $record.Exception.Message | Should -BeLike '*Invalid JWT.*'
        $record.CategoryInfo.Category | Should -Be 'AuthenticationError'
    }

    It 'takes a 429''s ErrorId from its body (TooManyRequests), else RateLimitExceeded' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 429; retryAfterSeconds = 0; times = -1; body = '{"error":{"code":"TooManyRequests","message":"More requests were received than the subscription rate-limit allows."}}' })
        (Get-ErrorRecord { Invoke-ITwinRequest -Path /users/me -MaximumRetryCount 0 }).FullyQualifiedErrorId | Should -BeLike 'TooManyRequests,*'
        Clear-EmulatorFault $emulator
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 429; retryAfterSeconds = 0; times = -1; body = '{}' })
        (Get-ErrorRecord { Invoke-ITwinRequest -Path /users/me -MaximumRetryCount 0 }).FullyQualifiedErrorId | Should -BeLike 'RateLimitExceeded,*'
    }

    It 'suggests -Path and -ApiVersion on a 404' {
        (Get-ErrorRecord { Invoke-ITwinRequest -Path /no-such-api }).Exception.Message | Should -BeLike '*Check -Path and -ApiVersion*'
    }
}
