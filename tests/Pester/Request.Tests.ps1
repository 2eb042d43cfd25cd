# Issue: Invoke-ITwinRequest. Requests, responses, paging, retries, errors and host pinning.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator -ITwinCount 10000
    $app = New-TestApp -Emulator $emulator
    Connect-TestApp -Emulator $emulator -App $app | Out-Null
    function Get-ApiLog { @((Get-EmulatorStats $emulator -WithLog).apiLog) }
}
AfterAll { Stop-ITwinEmulator -Emulator $emulator }

Describe 'Invoke-ITwinRequest' -Tag Request {
BeforeEach {
    Clear-EmulatorFault $emulator
    Reset-EmulatorStats $emulator
    Connect-TestApp -Emulator $emulator -App $app | Out-Null
}

Context 'Requests' {
    It 'joins -Path to the API base with or without a leading slash' {
        (Invoke-ITwinRequest -Path /users/me).user.email | Should -BeLike "$($app.ClientId)@*"
        (Invoke-ITwinRequest users/me).user.id | Should -Be $app.UserId
    }

    It 'takes -Uri absolute on the API host' {
        (Invoke-ITwinRequest -Uri "$($emulator.ApiBaseUri)/users/me").user.id | Should -Be $app.UserId
    }

    It 'encodes -Query and sets Accept from -ApiVersion and Prefer from -Prefer' {
        $page = Invoke-ITwinRequest -Path /itwins -Query ([ordered]@{ '$top' = 3; '$skip' = 2 }) -ApiVersion v2 -Prefer Representation
        $page.iTwins.Count | Should -Be 3
        $page.iTwins[0].displayName | Should -Be 'iTwin 000003'
        $page.iTwins[0].ianaTimeZone | Should -Be 'America/New_York'
        $logged = (Get-ApiLog)[-1]
        $logged.pathAndQuery | Should -Be '/itwins?%24top=3&%24skip=2'
        $logged.accept | Should -Be 'application/vnd.bentley.itwin-platform.v2+json'
        $logged.prefer | Should -Be 'return=representation'
    }

    It 'defaults to the v1 media type and the minimal representation' {
        $page = Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 1 }
        $page.iTwins[0].PSObject.Properties.Name | Should -Not -Contain 'ianaTimeZone'
        (Get-ApiLog)[-1].accept | Should -Be 'application/vnd.bentley.itwin-platform.v1+json'
    }

    It 'sends -Body <Kind> as <ContentType>' -ForEach @(
        @{ Kind = 'a hashtable'; Body = @{ name = 'n'; count = 2; tags = @('a', 'b') }; ContentType = 'application/json'; Expect = @{ name = 'n'; count = 2; tags = @('a', 'b') } }
        @{ Kind = 'a PSCustomObject'; Body = [pscustomobject]@{ name = 'n'; nested = [pscustomobject]@{ on = $true } }; ContentType = 'application/json'; Expect = @{ name = 'n'; nested = @{ on = $true } } }
        @{ Kind = 'an array'; Body = @(1, 2, 3); ContentType = 'application/json'; Expect = $null; Raw = '[1,2,3]' }
        @{ Kind = 'a JSON string'; Body = '{"already":"json"}'; ContentType = 'application/json'; Expect = @{ already = 'json' } }
    ) {
        $echo = Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body $Body
        $echo.contentType | Should -BeLike "$ContentType*"
        if ($Raw) { $echo.body | Should -Be $Raw }
        else { ConvertTo-CanonicalJson ($echo.body | ConvertFrom-Json -AsHashtable) | Should -Be (ConvertTo-CanonicalJson $Expect) }
    }

    It 'sends bytes with -ContentType, and custom -Headers' {
        $echo = Invoke-ITwinRequest -Method Put -Path /_emulator/echo -Body ([Text.Encoding]::UTF8.GetBytes('raw-bytes')) -ContentType 'application/octet-stream' -Headers @{ 'X-Custom' = 'yes' } -Confirm:$false
        $echo.body | Should -Be 'raw-bytes'
        $echo.contentType | Should -Be 'application/octet-stream'
        $echo.custom | Should -Be 'yes'
    }

    It 'makes one request per path piped in (a path template as a delay-bind script block)' {
        $ids = (Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 3 }).iTwins.id
        $ids | Invoke-ITwinRequest -Method Post -Path { "/itwins/favorites/$_" } -Confirm:$false
        (Invoke-ITwinRequest -Path /itwins/favorites -All).id | Sort-Object | Should -Be ($ids | Sort-Object)
        $ids | Invoke-ITwinRequest -Method Delete -Path { "itwins/favorites/$_" } -Confirm:$false
        Invoke-ITwinRequest -Path /itwins/favorites -All | Should -BeNullOrEmpty
    }

    It '-WhatIf on a changing method sends nothing' {
        $id = (Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 1 }).iTwins[0].id
        Reset-EmulatorStats $emulator
        Invoke-Hostless { param($id) Invoke-ITwinRequest -Method Post -Path "/itwins/favorites/$id" -WhatIf } -ArgumentList $id
        (Get-EmulatorStats $emulator).apiRequests | Should -Be 0
    }

    It 'refuses <Case> with <ErrorId> before sending anything' -ForEach @(
        @{ Case = 'a body holding a SecureString'; ErrorId = 'BodySerializationFailed'
            Run = { Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body @{ secret = (ConvertTo-SecureString 's' -AsPlainText -Force) } } }
        @{ Case = 'a body that refers to itself'; ErrorId = 'BodySerializationFailed'
            Run = { $loop = @{}; $loop.self = $loop; Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body $loop } }
        @{ Case = 'an Authorization header'; ErrorId = 'HeaderNotAllowed'
            Run = { Invoke-ITwinRequest -Path /users/me -Headers @{ Authorization = 'Bearer x' } } }
        @{ Case = 'a path on another host'; ErrorId = 'ForeignHostRefused'
            Run = { Invoke-ITwinRequest -Path 'https://evil.example/users/me' } }
        @{ Case = 'a -Uri on another host'; ErrorId = 'ForeignHostRefused'
            Run = { Invoke-ITwinRequest -Uri "$($emulator.ForeignUri)/users/me" } }
        @{ Case = 'an unknown -ApiVersion'; ErrorId = 'InvalidParameter'
            Run = { Invoke-ITwinRequest -Path /users/me -ApiVersion 'latest' } }
        @{ Case = '-TimeoutSec 0'; ErrorId = 'ParameterArgumentValidationError'
            Run = { Invoke-ITwinRequest -Path /users/me -TimeoutSec 0 } }
    ) {
        $record = Get-ErrorRecord $Run
        $record.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        (Get-EmulatorStats $emulator).apiRequests | Should -Be 0
        @((Get-EmulatorStats $emulator).foreignRequests).Count | Should -Be 0
    }
}

Context 'Responses' {
    It 'writes PSCustomObjects by default, hashtables with -AsHashtable, the body with -Raw' {
        Invoke-ITwinRequest -Path /users/me | Should -BeOfType ([pscustomobject])
        (Invoke-ITwinRequest -Path /users/me -AsHashtable).user | Should -BeOfType ([hashtable])
        $raw = Invoke-ITwinRequest -Path /users/me -Raw
        $raw | Should -BeOfType ([string])
        ($raw | ConvertFrom-Json).user.id | Should -Be $app.UserId
    }

    It 'keeps the last value of a name that comes twice (or differs only in case), as ConvertFrom-Json does' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 200; body = '{"a":1,"b":2,"a":3,"B":4,"c":{"x":1,"X":2}}' })
        $value = Invoke-ITwinRequest -Path /users/me
        @($value.PSObject.Properties.Name) | Should -Be @('a', 'b', 'c')
        $value.a | Should -Be 3
        $value.b | Should -Be 4
        $value.c.x | Should -Be 2
    }

    It 'streams -OutFile to disk and exposes status and headers through variables' {
        $file = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-out-$PID.json"
        try {
            Invoke-ITwinRequest -Path /users/me -OutFile $file -StatusCodeVariable status -ResponseHeadersVariable headers | Should -BeNullOrEmpty
            (Get-Content $file -Raw | ConvertFrom-Json).user.id | Should -Be $app.UserId
            $status | Should -Be 200
            $headers['Content-Type'] | Should -BeLike 'application/json*'
        }
        finally { Remove-Item $file -ErrorAction Ignore }
    }

    It 'writes nothing for an empty body (204) and for HEAD' {
        $id = (Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 1 }).iTwins[0].id
        Invoke-ITwinRequest -Method Post -Path "/itwins/favorites/$id" -StatusCodeVariable status -Confirm:$false | Should -BeNullOrEmpty
        $status | Should -Be 204
        Invoke-ITwinRequest -Method Delete -Path "/itwins/favorites/$id" -Confirm:$false | Should -BeNullOrEmpty
        Invoke-ITwinRequest -Method Head -Path /users/me -StatusCodeVariable headStatus -ResponseHeadersVariable headHeaders | Should -BeNullOrEmpty
        $headStatus | Should -Be 200
        $headHeaders['Content-Type'] | Should -BeLike 'application/json*'
    }
}

Context 'Paging with -All' -Tag Paging {
    It 'returns each of 10,000 iTwins exactly once, in order, over 100 pages' {
        # The platform caps a listing at X-Max-Return (default 1000): raise it to reach all 10,000.
        $items = Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 100 } -Headers @{ 'X-Max-Return' = 10000 } -All
        $items.Count | Should -Be 10000
        # A set, not Select-Object -Unique, which compares every item with every other (3 s here).
        [Collections.Generic.HashSet[string]]::new([string[]]$items.id).Count | Should -Be 10000
        $items[0].displayName | Should -Be 'iTwin 000001'
        $items[-1].displayName | Should -Be 'iTwin 010000'
        @(Get-ApiLog | Where-Object pathAndQuery -like '/itwins*').Count | Should -Be 100
    }

    It 'stops paging when Select-Object -First has enough: one page request for 5 items' {
        $five = Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 100 } -All | Select-Object -First 5
        $five.Count | Should -Be 5
        @(Get-ApiLog | Where-Object pathAndQuery -like '/itwins*').Count | Should -Be 1
    }

    It 'takes -First and -Skip across pages and stops requesting when -First is met' {
        $items = Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 100 } -Skip 150 -First 120
        $items.Count | Should -Be 120
        $items[0].displayName | Should -Be 'iTwin 000151'
        $items[-1].displayName | Should -Be 'iTwin 000270'
        @(Get-ApiLog | Where-Object pathAndQuery -like '/itwins*').Count | Should -Be 3
    }

    It 'refuses a next link to another host, and the token never reaches it' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/itwins'; action = 'foreign-next' })
        $record = Get-ErrorRecord { Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 10 } -All }
        $record.FullyQualifiedErrorId | Should -BeLike 'ForeignHostRefused,*'
        @((Get-EmulatorStats $emulator).foreignRequests).Count | Should -Be 0
    }
}

Context 'Retries, errors and cancellation' -Tag Retry {
    It 'waits out a 429 with Retry-After: 1 and then succeeds, telling the wait in -Verbose' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 429; retryAfterSeconds = 1; times = 1 })
        $time = New-FakeTime
        try { $verbose = Invoke-ITwinRequest -Path /users/me -Verbose 4>&1 }
        finally { $time.Dispose() }
        $time.Waits | Should -Be @([timespan]::FromSeconds(1)) -Because 'the module waits exactly what Retry-After asks, once'
        ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'waiting 1\.0 s as Retry-After asks'
        ($verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).user.id | Should -Be $app.UserId
    }

    It 'honours Retry-After given as an HTTP date' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 503; retryAfterDateSeconds = 2; times = 1 })
        $time = New-FakeTime
        try { (Invoke-ITwinRequest -Path /users/me).user.id | Should -Be $app.UserId }
        finally { $time.Dispose() }
        # The date is two seconds ahead, in whole seconds: the wait is what is left of them.
        $time.Waits.Count | Should -Be 1
        $time.Waits[0].TotalSeconds | Should -BeGreaterThan 0.5
        $time.Waits[0].TotalSeconds | Should -BeLessOrEqual 2
    }

    It 'gives the platform''s TooManyRequests (LimitsExceeded) with status and request id once retries run out' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 429; retryAfterSeconds = 0; times = 3 })
        $record = Get-ErrorRecord { Invoke-ITwinRequest -Path /users/me -MaximumRetryCount 2 }
        $record.FullyQualifiedErrorId | Should -BeLike 'TooManyRequests,*'
        $record.CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $record.Exception.StatusCode | Should -Be 429
        $record.Exception.RequestId | Should -Match '^[0-9a-f-]{36}$'
        $record.TargetObject | Should -Be "GET $($emulator.ApiBaseUri)/users/me"
        @(Get-ApiLog).Count | Should -Be 3
    }

    It 'maps <Status> <Code> to the category <Category> with the iTwin message in ErrorDetails' -ForEach @(
        @{ Status = 400; Code = 'InvalidRequest'; Category = 'InvalidArgument' }
        @{ Status = 403; Code = 'InsufficientPermissions'; Category = 'PermissionDenied' }
        @{ Status = 404; Code = 'UserNotFound'; Category = 'ObjectNotFound' }
        @{ Status = 409; Code = 'iTwinExists'; Category = 'ResourceExists' }
        @{ Status = 422; Code = 'InvalidUsersRequest'; Category = 'InvalidArgument' }
        @{ Status = 500; Code = 'InternalServerError'; Category = 'ConnectionError' }
    ) {
        $body = @{ error = @{ code = $Code; message = "emulated $Code"; details = @(@{ code = 'Detail1'; message = 'first detail'; target = 'x' }) } } | ConvertTo-Json -Depth 4 -Compress
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = $Status; body = $body })
        $record = Get-ErrorRecord { Invoke-ITwinRequest -Path /users/me }
        $record.FullyQualifiedErrorId | Should -BeLike "$Code,*"
        $record.CategoryInfo.Category | Should -Be $Category
        $record.ErrorDetails.Message | Should -Match "emulated $Code"
        $record.ErrorDetails.Message | Should -Match 'Detail1: first detail'
        $record.Exception.Details[0].Target | Should -Be 'x'
        ($record | Out-String) | Should -Not -Match $StackTracePattern
    }

    It 'writes the error response instead with -SkipHttpErrorCheck' {
        $response = Invoke-ITwinRequest -Path "/users/$([guid]::NewGuid())" -SkipHttpErrorCheck -StatusCodeVariable status
        $status | Should -Be 404
        $response.error.code | Should -Be 'UserNotFound'
    }

    It 'describes <Case> clearly instead of failing in the parser' -ForEach @(
        @{ Case = 'truncated JSON'; Fault = @{ path = '/users/me'; action = 'truncate' }; ErrorId = 'ResponseNotJson' }
        @{ Case = 'an HTML gateway page'; Fault = @{ path = '/users/me'; status = 500; body = '<html><body>Bad gateway</body></html>'; contentType = 'text/html' }; ErrorId = 'HttpError' }
    ) {
        Add-EmulatorFault -Emulator $emulator -Fault @($Fault)
        $record = Get-ErrorRecord { Invoke-ITwinRequest -Path /users/me -MaximumRetryCount 0 }
        $record.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        ($record | Out-String) | Should -Not -Match $StackTracePattern
        ($record | Out-String) | Should -Not -Match 'JsonException|JsonReaderException'
    }

    It 'bounds one attempt with -TimeoutSec (RequestTimedOut)' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; action = 'delay'; delayMs = 5000 })
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $record = Get-ErrorRecord { Invoke-ITwinRequest -Path /users/me -TimeoutSec 1 -MaximumRetryCount 0 }
        $record.FullyQualifiedErrorId | Should -BeLike 'RequestTimedOut,*'
        $record.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 3
    }

    It 'stops at once on Ctrl+C (StopProcessing), also during a Retry-After wait' {
        # A 503 (not a 429, which would pause the host for every later test of this process).
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 503; retryAfterSeconds = 60; times = 1 })
        $ps = [powershell]::Create()
        # Imported first, then the command alone: a batch (AddStatement) run by BeginInvoke goes on to
        # its next statement on a pool thread after Stop, which can crash the process once disposed.
        [void] $ps.AddCommand('Import-Module').AddArgument($env:ITWINAUTH_MODULE).Invoke()
        $ps.Commands.Clear()
        [void] $ps.AddCommand('Invoke-ITwinRequest').AddParameter('Path', '/users/me').AddParameter('Verbose')
        $async = $ps.BeginInvoke()
        # The module says it is waiting just before it starts the wait: poll for that, bounded.
        $until = [DateTime]::UtcNow.AddSeconds(30)
        while (-not ($ps.Streams.Verbose.Message -match 'waiting 60\.0 s') -and -not $async.IsCompleted -and [DateTime]::UtcNow -lt $until) { Start-Sleep -Milliseconds 20 }
        $ps.Streams.Verbose.Message -match 'waiting 60\.0 s' | Should -Not -BeNullOrEmpty -Because 'the request is waiting out the Retry-After'
        $async.IsCompleted | Should -BeFalse
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5 -Because 'Ctrl+C ends a 60-second wait at once'
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        $ps.Dispose()
    }
}

Context 'Host pinning and plumbing' -Tag Security {
    It 'follows a redirect to another host without the Authorization header' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 302; location = "$($emulator.ForeignUri)/elsewhere" })
        Invoke-ITwinRequest -Path /users/me | Out-Null
        $foreign = @((Get-EmulatorStats $emulator).foreignRequests)
        $foreign.Count | Should -Be 1
        $foreign[0].hadAuthorization | Should -BeFalse
    }

    It 'refuses a plain-http API base that is not loopback' {
        $record = Get-ErrorRecord { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority $emulator.Authority -ApiBaseUri 'http://api.example.com' }
        $record.FullyQualifiedErrorId | Should -BeLike 'InsecureUri,*'
    }

    It 'reuses pooled connections: 200 requests open at most 2 new TCP connections' {
        Invoke-ITwinRequest -Path /users/me | Out-Null
        $before = (Get-EmulatorStats $emulator).connectionsOpened
        1..200 | ForEach-Object { Invoke-ITwinRequest -Path /users/me } | Out-Null
        ((Get-EmulatorStats $emulator).connectionsOpened - $before) | Should -BeLessOrEqual 2
    }

    It 'completes -Path with the iTwin API roots and -ApiVersion with versions' {
        $line = 'Invoke-ITwinRequest -Path /itw'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain '/itwins'
        $line = 'Invoke-ITwinRequest -Path /users/me -ApiVersion '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('v1', 'v2')
    }
}
}
