# Issue: reliability and security. Faults, load, bad input, leaks and trespass, each bounded in
# time and counted by the emulator. Every scenario becomes a row of docs/RELIABILITY.md: the test
# at the end writes what was observed to test-results/RELIABILITY-<edition>.md, which build.ps1
# -Task Check compares with the committed file (ITWINAUTH_UPDATE_DOCS=1 rewrites it). The soak runs
# short in CI; ITWINAUTH_SOAK=full runs 8 runspaces x 2,000 requests.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator -ITwinCount 1000
    $app = New-TestApp -Emulator $emulator
    $rows = [System.Collections.Generic.List[object]]::new()
    $captured = [System.Text.StringBuilder]::new()
    $transcript = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-reliability-$PID.txt"
    Start-Transcript -Path $transcript -Force | Out-Null
    $Error.Clear()

    function Get-Stats { Get-EmulatorStats $emulator }
    function Connect-App([string] $Secret) { Connect-TestApp -Emulator $emulator -App $app -With @{ Force = $true } | Out-Null }

    # Runs one scenario with -Verbose/-Debug on, keeps all it wrote for the leak scan, and returns
    # what happened: the output, the error record (if any), the time taken and the counters.
    # -FakeTime: the module's back-off and Retry-After waits pass at once (New-FakeTime), and the
    # time taken counts them as a user would have waited them; timeouts still run for real.
    function Invoke-Scenario([scriptblock] $Act, [switch] $FakeTime) {
        $VerbosePreference = 'Continue'; $DebugPreference = 'Continue'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $errorRecord = $null
        # Collected as it comes, so what a failing command said before it failed is kept too.
        $output = [System.Collections.Generic.List[object]]::new()
        $time = if ($FakeTime) { New-FakeTime }
        try { & $Act *>&1 | ForEach-Object { $output.Add($_) } }
        catch { $errorRecord = $_ }
        finally { if ($time) { $time.Dispose() } }
        $elapsed = $watch.Elapsed.TotalSeconds + $(if ($time) { $time.Waited.TotalSeconds } else { 0 })
        [void] $captured.AppendLine(($output | Out-String -Width 300))
        if ($errorRecord) { [void] $captured.AppendLine(($errorRecord | Format-List * -Force | Out-String -Width 300)) }
        [pscustomobject]@{
            Objects = @($output | Where-Object { $_ -isnot [System.Management.Automation.InformationalRecord] -and $_ -isnot [System.Management.Automation.ErrorRecord] })
            Verbose = ($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
            Error   = $errorRecord
            Seconds = $elapsed
            Stats   = Get-Stats
        }
    }

    function Add-Row([string] $Area, [string] $Scenario, [string] $Expected, [string] $Observed) {
        $rows.Add([pscustomobject]@{ Area = $Area; Scenario = $Scenario; Expected = $Expected; Observed = $Observed })
    }

    function Describe-Error($Record) { "$(($Record.FullyQualifiedErrorId -split ',')[0]) ($($Record.CategoryInfo.Category))" }

    $soakFull = $env:ITWINAUTH_SOAK -eq 'full'

    # SecretManagement (the stand-in) with one vault, for the vault rows of the bad-input table.
    $savedModulePath = $env:PSModulePath
    $env:PSModulePath = (Resolve-Path (Join-Path $PSScriptRoot '../SecretManagement')).Path + [IO.Path]::PathSeparator + $env:PSModulePath
    Register-SecretVault -Name ReliabilityVault -DefaultVault
    Set-Secret -Vault ReliabilityVault -Name app -Secret ([pscredential]::new($app.ClientId, $app.SecureSecret))
}
AfterAll {
    try { Stop-Transcript | Out-Null } catch { }
    $env:PSModulePath = $savedModulePath
    Remove-Module Microsoft.PowerShell.SecretManagement -ErrorAction Ignore
    Stop-ITwinEmulator -Emulator $emulator
    Remove-Item $transcript -ErrorAction Ignore
}

Describe 'API faults' -Tag Reliability {
    # One request first: the process's first pays for the JIT and a connection, which on a loaded
    # machine can pass -TimeoutSec 1 and add a retry the scenario did not cause.
    BeforeAll { Connect-App; Invoke-ITwinRequest -Path /users/me | Out-Null }
    BeforeEach { Clear-EmulatorFault $emulator; Reset-EmulatorStats $emulator }

    It '<Name> ends in success after <Retries> retries within <Within> s' -ForEach @(
        @{ Name = '429 storm, Retry-After in seconds'; Fault = @{ path = '/users/me'; status = 429; retryAfterSeconds = 1; times = 2 }; Retries = 2; Within = 6; AtLeast = 1.9 }
        @{ Name = '429 storm, Retry-After as an HTTP date'; Fault = @{ path = '/users/me'; status = 429; retryAfterDateSeconds = 1; times = 2 }; Retries = 2; Within = 6; AtLeast = 0 }
        @{ Name = '502 Bad Gateway twice'; Fault = @{ path = '/users/me'; status = 502; times = 2 }; Retries = 2; Within = 5; AtLeast = 0 }
        @{ Name = '503 Service Unavailable twice'; Fault = @{ path = '/users/me'; status = 503; times = 2 }; Retries = 2; Within = 5; AtLeast = 0 }
        @{ Name = '504 Gateway Timeout twice'; Fault = @{ path = '/users/me'; status = 504; times = 2 }; Retries = 2; Within = 5; AtLeast = 0 }
        @{ Name = 'Connection reset in the middle of the body'; Fault = @{ path = '/users/me'; action = 'reset'; times = 1 }; Retries = 1; Within = 4; AtLeast = 0 }
        @{ Name = 'One response slower than -TimeoutSec 1'; Fault = @{ path = '/users/me'; action = 'delay'; delayMs = 3000; times = 1 }; Retries = 1; Within = 4; AtLeast = 0 }
    ) {
        Add-EmulatorFault -Emulator $emulator -Fault @($Fault)
        $result = Invoke-Scenario -FakeTime { Invoke-ITwinRequest -Path /users/me -TimeoutSec 1 }
        $result.Error | Should -BeNullOrEmpty
        $result.Objects[0].user.id | Should -Be $app.UserId
        $result.Stats.apiRequests | Should -Be ($Retries + 1)
        $result.Seconds | Should -BeLessThan $Within
        $result.Seconds | Should -BeGreaterOrEqual $AtLeast
        Add-Row 'API faults' $Name "success after $Retries retries, within $Within s" "success after $($result.Stats.apiRequests - 1) retries ($($result.Stats.apiRequests) requests)"
    }

    It '<Name> ends in <ErrorId> within <Within> s' -ForEach @(
        @{ Name = '429 that never ends (-MaximumRetryCount 3)'; Fault = @{ path = '/users/me'; status = 429; retryAfterSeconds = 0; times = -1 }; ErrorId = 'TooManyRequests (LimitsExceeded)'; Requests = 4; Within = 3; Run = { Invoke-ITwinRequest -Path /users/me -MaximumRetryCount 3 } }
        @{ Name = '500 Internal Server Error (not retried)'; Fault = @{ path = '/users/me'; status = 500; times = -1 }; ErrorId = 'InternalServerError (ConnectionError)'; Requests = 1; Within = 2; Run = { Invoke-ITwinRequest -Path /users/me } }
        @{ Name = '502 on a POST (not idempotent: not retried)'; Fault = @{ path = '/_emulator/echo'; status = 502; times = -1 }; ErrorId = 'BadGateway (ResourceUnavailable)'; Requests = 1; Within = 2; Run = { Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body @{ a = 1 } -Confirm:$false } }
        @{ Name = 'Every response slower than -TimeoutSec 1 (-MaximumRetryCount 1)'; Fault = @{ path = '/users/me'; action = 'delay'; delayMs = 3000; times = -1 }; ErrorId = 'RequestTimedOut (OperationTimeout)'; Requests = 2; Within = 5; Run = { Invoke-ITwinRequest -Path /users/me -TimeoutSec 1 -MaximumRetryCount 1 } }
        @{ Name = 'Truncated JSON'; Fault = @{ path = '/users/me'; action = 'truncate'; times = -1 }; ErrorId = 'ResponseNotJson (InvalidResult)'; Requests = 1; Within = 2; Run = { Invoke-ITwinRequest -Path /users/me } }
        @{ Name = 'HTML error page from a gateway (-MaximumRetryCount 1)'; Fault = @{ path = '/users/me'; status = 502; contentType = 'text/html'; body = '<html><body><h1>502 Bad Gateway</h1></body></html>'; times = -1 }; ErrorId = 'HttpError (ResourceUnavailable)'; Requests = 2; Within = 4; Run = { Invoke-ITwinRequest -Path /users/me -MaximumRetryCount 1 } }
    ) {
        Add-EmulatorFault -Emulator $emulator -Fault @($Fault)
        $result = Invoke-Scenario -FakeTime $Run
        $result.Error | Should -Not -BeNullOrEmpty
        Describe-Error $result.Error | Should -Be $ErrorId
        ($result.Error | Out-String) | Should -Not -Match $StackTracePattern
        $result.Stats.apiRequests | Should -Be $Requests
        $result.Seconds | Should -BeLessThan $Within
        Add-Row 'API faults' $Name "$ErrorId after $Requests request(s), within $Within s" "$(Describe-Error $result.Error) after $($result.Stats.apiRequests) request(s)"
    }

    It '503 on a POST twice ends in success after 2 retries (a 503 was not processed)' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/_emulator/echo'; status = 503; times = 2 })
        $result = Invoke-Scenario -FakeTime { Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body @{ a = 1 } -Confirm:$false }
        $result.Error | Should -BeNullOrEmpty
        $result.Objects[0].method | Should -Be 'POST'
        $result.Stats.apiRequests | Should -Be 3
        Add-Row 'API faults' '503 on a POST twice' 'success after 2 retries, within 5 s' "success after $($result.Stats.apiRequests - 1) retries ($($result.Stats.apiRequests) requests)"
    }
}

Describe 'Identity faults' -Tag Reliability {
    BeforeEach { Clear-EmulatorFault $emulator; Reset-EmulatorStats $emulator }

    It 'the token endpoint down (503) ends in TokenRequestFailed after bounded retries' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/connect/token'; status = 503; times = -1 })
        $result = Invoke-Scenario -FakeTime { Connect-App }
        Describe-Error $result.Error | Should -Be 'TokenRequestFailed (ResourceUnavailable)'
        $result.Stats.tokenEndpointRequests | Should -Be 4
        $result.Seconds | Should -BeLessThan 8
        Add-Row 'Identity faults' 'Token endpoint down (503)' 'TokenRequestFailed (ResourceUnavailable) after 3 retries, within 8 s' "$(Describe-Error $result.Error) after $($result.Stats.tokenEndpointRequests) token requests"
    }

    It 'the token endpoint resetting the connection once ends in a token after 1 retry' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/connect/token'; action = 'reset'; times = 1 })
        $result = Invoke-Scenario -FakeTime { Connect-App }
        $result.Error | Should -BeNullOrEmpty
        $result.Stats.tokenEndpointRequests | Should -Be 2
        Add-Row 'Identity faults' 'Token endpoint resets the connection once' 'a token after 1 retry, within 4 s' "a token after $($result.Stats.tokenEndpointRequests - 1) retry"
    }

    It 'discovery <Name> ends in <ErrorId>' -ForEach @(
        @{ Name = 'down (503)'; Fault = @{ path = '/.well-known/openid-configuration'; status = 503; times = -1 }; ErrorId = 'DiscoveryFailed (ResourceUnavailable)'; Requests = 4 }
        @{ Name = 'without token_endpoint'; Fault = @{ path = '/.well-known/openid-configuration'; status = 200; body = '{"issuer":"x"}'; times = -1 }; ErrorId = 'DiscoveryDocumentInvalid (InvalidData)'; Requests = 1 }
    ) {
        # Removing the module forgets discovered endpoints.
        Remove-Module ITwinAuth; Import-Module $env:ITWINAUTH_MODULE
        Add-EmulatorFault -Emulator $emulator -Fault @($Fault)
        $result = Invoke-Scenario -FakeTime { Connect-App }
        Describe-Error $result.Error | Should -Be $ErrorId
        $result.Stats.discoveryRequests | Should -Be $Requests
        $result.Stats.tokenEndpointRequests | Should -Be 0
        $result.Seconds | Should -BeLessThan 8
        Add-Row 'Identity faults' "Discovery $Name" "$ErrorId after $Requests request(s), no token request, within 8 s" "$(Describe-Error $result.Error) after $($result.Stats.discoveryRequests) request(s), $($result.Stats.tokenEndpointRequests) token requests"
    }

    It 'a rotated signing key: the old token is refused once, renewed, and the call succeeds' {
        Connect-App
        Invoke-ITwinRequest -Path /users/me | Out-Null
        # Returns once the API's cached signing keys are the new one only.
        Invoke-EmulatorAdmin -Emulator $emulator -Method Post -Path 'keys/rotate' | Out-Null
        Reset-EmulatorStats $emulator
        $result = Invoke-Scenario { Get-ITwinMe }
        $result.Error | Should -BeNullOrEmpty
        $result.Objects[0].Email | Should -BeLike "$($app.ClientId)@*"
        $result.Stats.apiUnauthorized | Should -Be 1
        $result.Stats.tokensIssued | Should -Be 1
        Add-Row 'Identity faults' 'Signing key rotated' 'one 401, one renewal, then success' "$($result.Stats.apiUnauthorized) 401, $($result.Stats.tokensIssued) renewal, success"
    }
}

Describe 'Paging under faults' -Tag Reliability {
    BeforeAll {
        Connect-App
        $expected = 1..1000 | ForEach-Object { 'iTwin {0:D6}' -f $_ }
    }
    BeforeEach { Clear-EmulatorFault $emulator; Reset-EmulatorStats $emulator }

    It '<Name>: -All yields every item exactly once, in order' -ForEach @(
        @{ Name = 'The token expires in the middle of -All (401 on page 3)'; Faults = @(@{ path = '/itwins'; status = 401; skip = 2; times = 1 }); Extra = 1 }
        @{ Name = 'A 429, a 503, a reset, a 401 and a timeout on different pages'; Extra = 5; Faults = @(
                @{ path = '/itwins'; status = 429; retryAfterSeconds = 0; skip = 1; times = 1 }
                @{ path = '/itwins'; status = 503; skip = 2; times = 1 }
                @{ path = '/itwins'; action = 'reset'; skip = 2; times = 1 }
                @{ path = '/itwins'; status = 401; skip = 2; times = 1 }
                @{ path = '/itwins'; action = 'delay'; delayMs = 2500; skip = 2; times = 1 }) }
    ) {
        Add-EmulatorFault -Emulator $emulator -Fault $Faults
        $result = Invoke-Scenario -FakeTime { Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 100 } -All -TimeoutSec 1 }
        $result.Error | Should -BeNullOrEmpty
        $names = @($result.Objects.displayName)
        $names.Count | Should -Be 1000
        ($names -join ',') | Should -Be ($expected -join ',')
        $result.Stats.apiRequests | Should -Be (10 + $Extra)
        $result.Seconds | Should -BeLessThan 15
        Add-Row 'Paging under faults' $Name 'all 1,000 items exactly once, in order; one retry per fault' "$($names.Count) items, $(@($names | Select-Object -Unique).Count) distinct, in order; $($result.Stats.apiRequests) requests for 10 pages"
    }
}

Describe 'Load' -Tag Reliability, Soak {
    It 'a soak of 8 runspaces with short-lived tokens and 5% injected 503s loses no request' {
        $perRunspace = if ($soakFull) { 2000 } else { 400 }
        $lifetime = if ($soakFull) { 10 } else { 5 }
        $soakApp = New-TestApp -Emulator $emulator -TokenLifetimeSeconds $lifetime
        Clear-EmulatorFault $emulator
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 503; probability = 0.05; times = -1 })
        Reset-EmulatorStats $emulator
        $module = $env:ITWINAUTH_MODULE
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $results = 1..8 | ForEach-Object -ThrottleLimit 8 -Parallel {
            Import-Module $using:module
            $secret = ConvertTo-SecureString $using:soakApp.Secret -AsPlainText -Force
            $connection = $null
            Get-ITwinServiceToken -ClientId $using:soakApp.ClientId -ClientSecret $secret -Authority $using:emulator.Authority -ApiBaseUri $using:emulator.ApiBaseUri | Out-Null
            $connection = Get-ITwinConnection
            $ok = 0; $failed = 0
            for ($i = 0; $i -lt $using:perRunspace; $i++) {
                try { $null = Invoke-ITwinRequest -Path /users/me -Connection $connection -ErrorAction Stop; $ok++ } catch { $failed++ }
            }
            [pscustomobject]@{ Ok = $ok; Failed = $failed }
        }
        $seconds = $watch.Elapsed.TotalSeconds
        $stats = Get-Stats
        Clear-EmulatorFault $emulator
        $total = 8 * $perRunspace
        ($results | Measure-Object Ok -Sum).Sum | Should -Be $total
        ($results | Measure-Object Failed -Sum).Sum | Should -Be 0
        $injected = $stats.apiRequests - $total
        $injected | Should -BeGreaterThan 0 -Because '503s were injected and retried'
        # A token is used until a tenth of its lifetime (and a second of slack) is left; the lifetime
        # is the expires_in the emulator sent (rounded down from the configured one).
        $probe = Get-ITwinServiceToken -ClientId $soakApp.ClientId -ClientSecret $soakApp.SecureSecret -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri
        $expiresIn = ($probe.ExpiresOn - $probe.IssuedOn).TotalSeconds
        $usable = $expiresIn - $expiresIn / 10 - [Math]::Min(1, $expiresIn / 2)
        $bound = [Math]::Ceiling($seconds / $usable) + 1
        $atLeast = [Math]::Floor($seconds / $lifetime)
        $stats.tokensIssued | Should -BeLessOrEqual $bound -Because "one token per $usable s, not per runspace ($seconds s)"
        $stats.tokensIssued | Should -BeGreaterOrEqual $atLeast -Because "tokens are renewed as they expire ($seconds s of $lifetime-s tokens)"
        $stats.connectionsOpened | Should -BeLessOrEqual 16 -Because 'connections are pooled and shared by the runspaces'
        $stats.connectionsOpenPeak | Should -BeLessOrEqual 16
        Write-Host ("Soak: {0} requests in {1:N1} s, {2} injected 503s retried, {3} token requests (bound {4}), {5} TCP connections opened (peak {6} open)" -f `
                $total, $seconds, $injected, $stats.tokensIssued, $bound, $stats.connectionsOpened, $stats.connectionsOpenPeak)
        $script:soakLine = "8 runspaces x $perRunspace requests, $lifetime-s tokens"
        Add-Row 'Load' "Soak: 8 runspaces x 400 requests (CI; 2,000 with ITWINAUTH_SOAK=full), 5-s tokens (10 s in full), 5% 503s" `
            'no failed request; token requests between duration / lifetime and duration / usable lifetime + 1 (not per runspace); at most 16 TCP connections' `
            'no failed request; token requests within both bounds; TCP connections within 16, pooled'
    }
}

Describe 'Bad input' -Tag Reliability, BadInput {
    BeforeAll { Connect-App }

    It '<Case> gives <ErrorId> (<Category>) and sends nothing' -ForEach @(
        @{ Case = '-ClientId empty'; ErrorId = 'ClientIdMissing'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId '' -ClientSecret $app.SecureSecret -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-ClientId whitespace'; ErrorId = 'ClientIdMissing'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId '   ' -ClientSecret $app.SecureSecret -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-ClientSecret empty'; ErrorId = 'ClientSecretMissing'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret ([securestring]::new()) -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-ClientSecret whitespace'; ErrorId = 'ClientSecretMissing'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret (ConvertTo-SecureString ' ' -AsPlainText -Force) -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-Credential with an empty user name'; ErrorId = 'ClientIdMissing'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -Credential ([pscredential]::new(' ', $app.SecureSecret)) -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-Scope openid'; ErrorId = 'ScopeNotAllowed'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Scope openid -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-Scope email'; ErrorId = 'ScopeNotAllowed'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Scope email -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-Scope profile'; ErrorId = 'ScopeNotAllowed'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Scope profile -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-Scope organization'; ErrorId = 'ScopeNotAllowed'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Scope organization -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-Scope blank'; ErrorId = 'ScopeNotAllowed'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Scope ' ' -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-Authority not a URI'; ErrorId = 'InvalidUri'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority 'ims bentley com' } }
        @{ Case = '-Authority ftp://'; ErrorId = 'InvalidUri'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority 'ftp://ims.bentley.com' } }
        @{ Case = '-Authority http:// not loopback'; ErrorId = 'InsecureUri'; Category = 'SecurityError'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority 'http://ims.bentley.com' } }
        @{ Case = '-ApiBaseUri relative'; ErrorId = 'InvalidUri'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority $emulator.Authority -ApiBaseUri '/api' } }
        @{ Case = '-ApiBaseUri http:// not loopback'; ErrorId = 'InsecureUri'; Category = 'SecurityError'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority $emulator.Authority -ApiBaseUri 'http://api.bentley.com' } }
        @{ Case = '-Environment Staging'; ErrorId = 'CannotConvertArgumentNoMessage'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Environment Staging } }
        @{ Case = '-RefreshMargin negative'; ErrorId = 'InvalidParameter'; Category = 'InvalidArgument'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -RefreshMargin ([timespan]::FromMinutes(-1)) -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-Vault that does not exist'; ErrorId = 'VaultNotFound'; Category = 'ObjectNotFound'; Run = { Get-ITwinServiceToken -Vault NoSuchVault -SecretName app -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-SecretName that does not exist'; ErrorId = 'SecretNotFound'; Category = 'ObjectNotFound'; Run = { Get-ITwinServiceToken -Vault ReliabilityVault -SecretName no-such-secret -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri } }
        @{ Case = '-Path on another host'; ErrorId = 'ForeignHostRefused'; Category = 'SecurityError'; Run = { Invoke-ITwinRequest -Path 'https://evil.example/users/me' } }
        @{ Case = '-Path protocol-relative to another host'; ErrorId = 'ForeignHostRefused'; Category = 'SecurityError'; Run = { Invoke-ITwinRequest -Path '//evil.example/users/me' } }
        @{ Case = '-Uri protocol-relative to another host'; ErrorId = 'ForeignHostRefused'; Category = 'SecurityError'; Run = { Invoke-ITwinRequest -Uri '//evil.example/users/me' } }
        @{ Case = '-Uri on another host'; ErrorId = 'ForeignHostRefused'; Category = 'SecurityError'; Run = { Invoke-ITwinRequest -Uri "$($emulator.ForeignUri)/users/me" } }
        @{ Case = '-Body with a SecureString'; ErrorId = 'BodySerializationFailed'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body @{ s = $app.SecureSecret } -Confirm:$false } }
        @{ Case = '-Body with a cycle'; ErrorId = 'BodySerializationFailed'; Category = 'InvalidArgument'; Run = { $loop = @{}; $loop.self = $loop; Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body $loop -Confirm:$false } }
        @{ Case = '-Body with NaN'; ErrorId = 'BodySerializationFailed'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body @{ n = [double]::NaN } -Confirm:$false } }
        @{ Case = '-Body with a script block'; ErrorId = 'BodySerializationFailed'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body @{ s = { 1 } } -Confirm:$false } }
        @{ Case = '-TimeoutSec 0'; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData'; Run = { Invoke-ITwinRequest -Path /users/me -TimeoutSec 0 } }
        @{ Case = '-TimeoutSec -5'; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData'; Run = { Invoke-ITwinRequest -Path /users/me -TimeoutSec -5 } }
        @{ Case = '-MaximumRetryCount -1'; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData'; Run = { Invoke-ITwinRequest -Path /users/me -MaximumRetryCount -1 } }
        @{ Case = '-ApiVersion latest'; ErrorId = 'InvalidParameter'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /users/me -ApiVersion latest } }
        @{ Case = '-Method TRACE'; ErrorId = 'CannotConvertArgumentNoMessage'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /users/me -Method TRACE } }
        @{ Case = '-Headers with Authorization'; ErrorId = 'HeaderNotAllowed'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /users/me -Headers @{ Authorization = 'Bearer stolen' } } }
        @{ Case = '-Headers value with CR LF and a second Authorization'; ErrorId = 'InvalidHeaderValue'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /users/me -Headers @{ 'X-Custom' = "a`r`nAuthorization: Bearer stolen" } } }
        @{ Case = '-Headers value smuggling a second request'; ErrorId = 'InvalidHeaderValue'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /users/me -Headers @{ 'X-Custom' = "a`r`n`r`nGET /users/me HTTP/1.1`r`nHost: other`r`n`r`n" } } }
        @{ Case = '-Headers value with NUL'; ErrorId = 'InvalidHeaderValue'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /users/me -Headers @{ 'X-Custom' = "a`0b" } } }
        @{ Case = '-Headers with Host'; ErrorId = 'HeaderNotAllowed'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /users/me -Headers @{ Host = 'evil.example' } } }
        @{ Case = '-Headers with Content-Length'; ErrorId = 'HeaderNotAllowed'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /users/me -Headers @{ 'Content-Length' = '0' } } }
        @{ Case = '-Headers with Transfer-Encoding'; ErrorId = 'HeaderNotAllowed'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /users/me -Headers @{ 'Transfer-Encoding' = 'chunked' } } }
        @{ Case = '-TimeoutSec 2147483647'; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData'; Run = { Invoke-ITwinRequest -Path /users/me -TimeoutSec 2147483647 } }
        @{ Case = '-TotalTimeoutSec 0'; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData'; Run = { Invoke-ITwinRequest -Path /users/me -TotalTimeoutSec 0 } }
        @{ Case = "-ContentType 'not a type'"; ErrorId = 'InvalidParameter'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body '{}' -ContentType 'not a type' -Confirm:$false } }
        @{ Case = '-OutFile naming a folder'; ErrorId = 'OutFileFailed'; Category = 'WriteError'; Run = { Invoke-ITwinRequest -Path /users/me -OutFile ([IO.Path]::GetTempPath()) } }
        @{ Case = "-OutFile ''"; ErrorId = 'OutFileFailed'; Category = 'WriteError'; Run = { Invoke-ITwinRequest -Path /users/me -OutFile '' } }
        @{ Case = '-OutFile in a folder that does not exist'; ErrorId = 'OutFileFailed'; Category = 'WriteError'; Run = { Invoke-ITwinRequest -Path /users/me -OutFile (Join-Path ([IO.Path]::GetTempPath()) 'no-such-folder-itwinauth/me.json') } }
        @{ Case = '-OutFile that cannot be written (/proc/version)'; ErrorId = 'OutFileFailed'; Category = 'WriteError'; Run = { Invoke-ITwinRequest -Path /users/me -OutFile /proc/version } }
        @{ Case = "-Path '///host:1/x'"; ErrorId = 'InvalidPath'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path '///host:1/x' } }
        @{ Case = "-Path '\\host\x'"; ErrorId = 'InvalidPath'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path '\\host\x' } }
        @{ Case = "-Path 'http:\\x'"; ErrorId = 'InvalidPath'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path 'http:\\x' } }
        @{ Case = '-ApiVersion with non-ASCII digits (v١٢)'; ErrorId = 'InvalidParameter'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /users/me -ApiVersion "v$([char]0x661)$([char]0x662)" } }
        @{ Case = '-Query with a hashtable value'; ErrorId = 'InvalidQuery'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /itwins -Query @{ filter = @{ a = 1 } } } }
        @{ Case = '-Query with a credential value'; ErrorId = 'InvalidQuery'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /itwins -Query @{ c = [pscredential]::new('u', $app.SecureSecret) } } }
        @{ Case = '-Query with a SecureString value'; ErrorId = 'InvalidQuery'; Category = 'InvalidArgument'; Run = { Invoke-ITwinRequest -Path /itwins -Query @{ s = $app.SecureSecret } } }
        @{ Case = '-Connection and -Token together'; ErrorId = 'AmbiguousParameterSet'; Category = 'InvalidArgument'; Run = { Get-ITwinMe -Connection (Get-ITwinConnection) -Token (Connect-TestApp -Emulator $emulator -App $app) } }
    ) {
        $before = Get-Stats
        $record = Get-ErrorRecord $Run
        $after = Get-Stats
        ($record.FullyQualifiedErrorId -split ',')[0] | Should -Be $ErrorId
        $record.CategoryInfo.Category | Should -Be $Category
        ($record | Out-String) | Should -Not -Match $StackTracePattern
        [void] $captured.AppendLine(($record | Format-List * -Force | Out-String -Width 300))
        $after.apiRequests | Should -Be $before.apiRequests -Because 'no API request is sent for input that is already wrong'
        $after.tokenEndpointRequests | Should -Be $before.tokenEndpointRequests -Because 'no token request is sent for input that is already wrong'
        @($after.foreignRequests).Count | Should -Be @($before.foreignRequests).Count
        Add-Row 'Bad input' $Case "$ErrorId ($Category), nothing sent" "$(Describe-Error $record), $($after.apiRequests - $before.apiRequests + $after.tokenEndpointRequests - $before.tokenEndpointRequests) requests sent"
    }
}

Describe 'Hostile server' -Tag Reliability, Hostile {
    BeforeAll { Connect-App }
    BeforeEach { Clear-EmulatorFault $emulator; Reset-EmulatorStats $emulator }
    AfterAll { Clear-EmulatorFault $emulator }

    It 'the token endpoint answering <Status> to <Where> gets RedirectRefused, and the secret goes nowhere' -ForEach @(
        @{ Status = 307; Where = 'the foreign host'; Relative = $false }
        @{ Status = 308; Where = 'the foreign host'; Relative = $false }
        @{ Status = 302; Where = 'the foreign host'; Relative = $false }
        @{ Status = 307; Where = 'a protocol-relative //host'; Relative = $true }
    ) {
        $foreign = [uri] $emulator.ForeignUri
        $location = if ($Relative) { "//$($foreign.Authority)/connect/token" } else { "$($emulator.ForeignUri)/connect/token" }
        $sightings = (Get-Stats).secretSightings
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/connect/token'; status = $Status; location = $location; times = 1 })
        $result = Invoke-Scenario { Connect-App }
        Describe-Error $result.Error | Should -Be 'RedirectRefused (SecurityError)'
        $result.Error.Exception.Message | Should -BeLike "*$($foreign.Authority)*"
        @($result.Stats.foreignRequests).Count | Should -Be 0
        $result.Stats.secretSightings | Should -Be $sightings
        (Get-ITwinConnection).ClientId | Should -Be $app.ClientId -Because 'the earlier connection stays; nothing from the other host was cached'
        Add-Row 'Hostile server' "Token endpoint answers $Status to $Where" 'RedirectRefused (SecurityError); 0 requests and 0 secrets at the foreign host' `
            "$(Describe-Error $result.Error); $(@($result.Stats.foreignRequests).Count) requests and $($result.Stats.secretSightings - $sightings) secrets at the foreign host"
    }

    It 'an API redirect (<Status>) to another host is followed without Authorization, -Headers or cookies' -ForEach @(
        @{ Status = 302 }, @{ Status = 307 }, @{ Status = 308 }
    ) {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = $Status; location = "$($emulator.ForeignUri)/elsewhere"; times = 1 })
        $result = Invoke-Scenario { Invoke-ITwinRequest -Path /users/me -Headers @{ 'X-Api-Key' = 'api-key-value'; Cookie = 'session=cookie-value' } }
        $result.Error | Should -BeNullOrEmpty
        $seen = @($result.Stats.foreignRequests)
        $seen.Count | Should -Be 1
        $seen[0].hadAuthorization | Should -BeFalse
        ($seen[0].headers -join "`n") | Should -Not -Match 'api-key-value|cookie-value|Bearer'
        Add-Row 'Hostile server' "API GET answered $Status to the foreign host, with -Headers X-Api-Key and Cookie" 'followed; the foreign host sees no Authorization, X-Api-Key or Cookie' `
            "followed; the foreign host saw $(@($seen[0].headers | Where-Object { $_ -match '^(Authorization|X-Api-Key|Cookie):' }).Count) of them"
    }

    It 'an API POST with a body answered <Status> to another host gets RedirectRefused, and the body goes nowhere' -ForEach @(
        @{ Status = 307 }, @{ Status = 308 }
    ) {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/_emulator/echo'; status = $Status; location = "$($emulator.ForeignUri)/steal"; times = 1 })
        $result = Invoke-Scenario { Invoke-ITwinRequest -Method Post -Path /_emulator/echo -Body @{ card = 'body-value' } -Headers @{ 'X-Api-Key' = 'api-key-value' } -Confirm:$false }
        Describe-Error $result.Error | Should -Be 'RedirectRefused (SecurityError)'
        @($result.Stats.foreignRequests).Count | Should -Be 0
        Add-Row 'Hostile server' "API POST with a body answered $Status to the foreign host" 'RedirectRefused (SecurityError); nothing reaches the foreign host' `
            "$(Describe-Error $result.Error); $(@($result.Stats.foreignRequests).Count) requests at the foreign host"
    }

    It 'a bodyless POST to a server that drops the connection after reading it is delivered once' {
        Invoke-ITwinRequest -Path /users/me | Out-Null  # a pooled connection: the handler re-sends only on a reused one
        Reset-EmulatorStats $emulator
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/_emulator/echo'; action = 'abort'; times = -1 })
        $result = Invoke-Scenario { Invoke-ITwinRequest -Method Post -Path /_emulator/echo -MaximumRetryCount 0 -Confirm:$false }
        Describe-Error $result.Error | Should -Be 'ApiUnreachable (ConnectionError)'
        $result.Stats.apiRequests | Should -Be 1
        Add-Row 'Hostile server' 'POST without -Body, the server drops the connection after reading it' 'ApiUnreachable (ConnectionError); delivered once' `
            "$(Describe-Error $result.Error); delivered $($result.Stats.apiRequests) time(s)"
    }

    It '<Name> is <ErrorId>, not retried, and the rest of the pipeline goes on' -ForEach @(
        @{ Name = 'A gzip body that is not gzip'; Fault = @{ path = '/users/me'; action = 'bad-encoding'; encoding = 'gzip'; status = 200; times = -1 }; ErrorId = 'ResponseDecodingFailed (InvalidData)'; Run = { Invoke-ITwinRequest -Path /users/me } }
        @{ Name = 'A brotli body that is not brotli'; Fault = @{ path = '/users/me'; action = 'bad-encoding'; encoding = 'br'; status = 200; times = -1 }; ErrorId = 'ResponseDecodingFailed (InvalidData)'; Run = { Invoke-ITwinRequest -Path /users/me } }
        @{ Name = 'The valid JSON {"":1}'; Fault = @{ path = '/users/me'; status = 200; body = '{"":1}'; times = -1 }; ErrorId = 'ResponseNotConvertible (InvalidResult)'; Run = { Invoke-ITwinRequest -Path /users/me } }
    ) {
        Add-EmulatorFault -Emulator $emulator -Fault @($Fault)
        $result = Invoke-Scenario -FakeTime $Run
        Describe-Error $result.Error | Should -Be $ErrorId
        ($result.Error | Out-String) | Should -Not -Match $StackTracePattern
        $result.Stats.apiRequests | Should -Be 1
        $after = @(Invoke-ITwinRequest -Path /users/me -ErrorAction SilentlyContinue; 'next')
        $after[-1] | Should -Be 'next' -Because 'a failed request is a non-terminating error'
        Add-Row 'Hostile server' $Name "$ErrorId after 1 request, non-terminating" "$(Describe-Error $result.Error) after $($result.Stats.apiRequests) request(s), non-terminating"
    }

    It '{"":1} converts with -AsHashtable' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 200; body = '{"":1}'; times = 1 })
        (Invoke-ITwinRequest -Path /users/me -AsHashtable)[''] | Should -Be 1
    }

    It 'a token response with <Name> is TokenResponseInvalid' -ForEach @(
        @{ Name = 'expires_in 1e12'; Body = '{"access_token":"abc","token_type":"Bearer","expires_in":1e12}' }
        @{ Name = 'expires_in 9223372036854775807'; Body = '{"access_token":"abc","token_type":"Bearer","expires_in":9223372036854775807}' }
        @{ Name = 'expires_in 3e11'; Body = '{"access_token":"abc","token_type":"Bearer","expires_in":3e11}' }
        @{ Name = 'expires_in 1e20'; Body = '{"access_token":"abc","token_type":"Bearer","expires_in":1e20}' }
        @{ Name = 'expires_in "abc"'; Body = '{"access_token":"abc","token_type":"Bearer","expires_in":"abc"}' }
        @{ Name = 'expires_in null'; Body = '{"access_token":"abc","token_type":"Bearer","expires_in":null}' }
        @{ Name = 'an access_token of 70,000 characters'; Body = '{"access_token":"' + ('a' * 70000) + '","token_type":"Bearer","expires_in":3600}' }
        @{ Name = 'CR LF in access_token'; Body = '{"access_token":"abc\r\nX-Evil: 1","token_type":"Bearer","expires_in":3600}' }
        @{ Name = 'NUL in access_token'; Body = '{"access_token":"abc\u0000","token_type":"Bearer","expires_in":3600}' }
        @{ Name = 'a non-ASCII access_token'; Body = '{"access_token":"abc\u00e9","token_type":"Bearer","expires_in":3600}' }
        @{ Name = 'CR LF in token_type'; Body = '{"access_token":"abc","token_type":"Bearer\r\nX-Evil: 1","expires_in":3600}' }
    ) {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/connect/token'; status = 200; body = $Body; times = 1 })
        $result = Invoke-Scenario { Connect-App }
        Describe-Error $result.Error | Should -Be 'TokenResponseInvalid (InvalidResult)'
        ($result.Error | Out-String) | Should -Not -Match $StackTracePattern
        $result.Stats.tokenEndpointRequests | Should -Be 1
        Add-Row 'Hostile server' "Token response with $Name" 'TokenResponseInvalid (InvalidResult)' "$(Describe-Error $result.Error)"
    }

    It 'a Retry-After of <Value> is told in -Verbose, and the call <Outcome>' -ForEach @(
        @{ Value = '-5'; Says = 'neither seconds nor an HTTP date'; Outcome = 'backs off instead' }
        @{ Value = 'abc'; Says = 'neither seconds nor an HTTP date'; Outcome = 'backs off instead' }
        @{ Value = '99999999999'; Says = 'would pass the call''s 120 s deadline'; Outcome = 'gives up at once' }
    ) {
        Connect-App # independent of the token-response cases before it
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 503; times = 1; retryAfterRaw = $Value })
        $result = Invoke-Scenario -FakeTime { Invoke-ITwinRequest -Path /users/me }
        $result.Verbose | Should -Match ([regex]::Escape($Says))
        $result.Stats.apiRequests | Should -Be $(if ($Outcome -eq 'gives up at once') { 1 } else { 2 })
        Add-Row 'Hostile server' "Retry-After: $Value on a 503" "said in -Verbose ('$Says'); $Outcome" "said; $(if ($result.Error) { Describe-Error $result.Error } else { 'success' }) after $($result.Stats.apiRequests) request(s)"
    }

    It 'a server that never answers ends at the call''s deadline (-TimeoutSec 2 -TotalTimeoutSec 3)' {
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; action = 'delay'; delayMs = 30000; times = -1 })
        $result = Invoke-Scenario { Invoke-ITwinRequest -Path /users/me -TimeoutSec 2 -TotalTimeoutSec 3 }
        Describe-Error $result.Error | Should -Be 'RequestTimedOut (OperationTimeout)'
        $result.Error.Exception.Message | Should -Match 'overall deadline of 3 s'
        $result.Seconds | Should -BeGreaterOrEqual 2.9
        $result.Seconds | Should -BeLessThan 6
        Add-Row 'Hostile server' 'A server that never answers (-TimeoutSec 2 -TotalTimeoutSec 3; default 100 and 120)' 'RequestTimedOut (OperationTimeout) at the 3 s deadline, not 2 x 2 s' `
            "$(Describe-Error $result.Error) after $($result.Stats.apiRequests) attempts, within the deadline"
    }

    It '-Query values are culture-invariant under de-DE, and a list repeats its key' {
        Connect-App
        $saved = [cultureinfo]::CurrentCulture
        try {
            [cultureinfo]::CurrentCulture = 'de-DE'
            Invoke-ITwinRequest -Path /itwins -Query ([ordered]@{ n = 1.5; d = [datetime]::new(2024, 1, 2, 3, 4, 5, [DateTimeKind]::Utc); id = 1, 2 }) | Out-Null
        }
        finally { [cultureinfo]::CurrentCulture = $saved }
        $sent = @((Get-EmulatorStats $emulator -WithLog).apiLog)[-1].pathAndQuery
        $sent | Should -Be '/itwins?n=1.5&d=2024-01-02T03%3A04%3A05.0000000Z&id=1&id=2'
        Add-Row 'Hostile server' '-Query 1.5, a date and a list under de-DE' 'n=1.5, ISO 8601, id=1&id=2' ($sent -replace '^/itwins\?', '' -replace '%3A', ':')
    }

    It '-RefreshMargin 2h with one-hour tokens is held to half the lifetime, with a warning: 20 calls, 1 token' {
        $warnings = @()
        Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri `
            -RefreshMargin (New-TimeSpan -Hours 2) -Force -WarningVariable warnings -WarningAction SilentlyContinue | Out-Null
        1..20 | ForEach-Object { Invoke-ITwinRequest -Path /users/me } | Out-Null
        $stats = Get-Stats
        $stats.tokensIssued | Should -Be 1
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'half the lifetime'
        Connect-App
        Add-Row 'Hostile server' '-RefreshMargin 2h with 1-hour tokens, then 20 calls' '1 token request and a warning' "$($stats.tokensIssued) token request(s) and $($warnings.Count) warning"
    }

    It 'against every oversized or endless body the process stays under 300 MB and fails within its deadline' -Tag Memory {
        $child = Join-Path $PSScriptRoot 'Hostile.Child.ps1'
        $run = Invoke-ChildPwsh -TimeoutSeconds 240 -ArgumentList @('-NoProfile', '-NonInteractive', '-File', $child,
            '-ModulePath', $env:ITWINAUTH_MODULE, '-EmulatorModule', (Join-Path $PSScriptRoot '../Emulator.psm1'),
            '-Authority', $emulator.Authority, '-ApiBaseUri', $emulator.ApiBaseUri, '-ClientId', $app.ClientId, '-Secret', $app.Secret)
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $cases = @(($run.Output -split "`n" | Where-Object { $_ -like 'CASE *' }) | ForEach-Object { $_.Substring(5) | ConvertFrom-Json })
        $cases.Count | Should -Be 7
        foreach ($case in $cases) {
            $case.ErrorId | Should -Be 'ResponseTooLarge' -Because $case.Name
            $case.PeakMB | Should -BeLessThan 300 -Because "$($case.Name) peaked at $($case.PeakMB) MB"
            $case.Seconds | Should -BeLessThan 30 -Because $case.Name
            $case.Requests | Should -Be 1 -Because "$($case.Name) is not retried"
            Write-Host ("Hostile: {0}: {1} after {2} request(s) in {3:N2} s, peak {4} MB" -f $case.Name, $case.ErrorId, $case.Requests, $case.Seconds, $case.PeakMB)
            Add-Row 'Hostile server' $case.Name 'ResponseTooLarge (LimitsExceeded) after 1 request; peak under 300 MB' "$($case.ErrorId) after $($case.Requests) request(s); peak under 300 MB"
        }
    }
}

Describe 'No leaks, no trespass' -Tag Reliability, Leak {
    BeforeAll {
        # Enough of its own that the scan stands alone (-Tag Leak): several tokens and a retry story.
        Clear-EmulatorFault $emulator
        1..6 | ForEach-Object { Invoke-Scenario { Connect-App } | Out-Null }
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 503; times = 1 })
        Invoke-Scenario -FakeTime { Invoke-ITwinRequest -Path /users/me } | Out-Null
    }

    It 'no secret or token appears in any stream, $Error, the transcript, a view or a message of all the scenarios above' {
        Stop-Transcript | Out-Null
        $issued = @((Invoke-EmulatorAdmin -Emulator $emulator -Path 'tokens') | ForEach-Object { $_ })
        $issued.Count | Should -BeGreaterThan 5 -Because 'the scenarios issued many tokens, and all of them are searched for'
        Write-Host "Leak scan: $($issued.Count) tokens issued, the secret and its Basic form, across $($captured.Length) characters of streams, the transcript and $($Error.Count) error records"
        $secrets = @($app.Secret)
        $basic = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("$($app.ClientId):$($app.Secret)"))
        $errors = ($Error | ForEach-Object {
                $_ | Out-String
                if ($_ -is [System.Management.Automation.ErrorRecord]) { "$($_.Exception)"; "$($_.ErrorDetails)"; "$($_.TargetObject)" } else { "$_" }
            }) -join "`n"
        $places = @{ Streams = $captured.ToString(); Transcript = (Get-Content $transcript -Raw); Errors = $errors }
        $places.Streams | Should -Match 'waiting .* before retry' -Because 'the scan must see the verbose story'
        $hits = 0
        foreach ($place in $places.Keys) {
            foreach ($needle in $secrets + $basic + $issued) { if ($places[$place].Contains($needle)) { $hits++; Write-Host "LEAK in $place" } }
        }
        $hits | Should -Be 0
        Add-Row 'No leaks, no trespass' 'Secrets and tokens in streams, $Error, transcript and messages of every scenario above (-Verbose -Debug)' '0 found' "$hits found (every token the emulator issued, the secret, its Basic form)"
    }

    It 'no token reached a host other than the API, and no secret anything but the token endpoint' {
        $stats = Get-Stats
        $stats.authorizationElsewhere | Should -Be 0
        @($stats.foreignRequests | Where-Object hadAuthorization).Count | Should -Be 0
        $stats.secretSightings | Should -Be 0
        Add-Row 'No leaks, no trespass' 'Authorization headers at any host but the API; client secrets anywhere but the token endpoint' '0 and 0' "$($stats.authorizationElsewhere) and $($stats.secretSightings)"
    }

    It 'the module writes nothing to disk' {
        $homeDir = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-disk-$PID"
        $files = @{}
        foreach ($kind in 'baseline', 'session') {
            $dir = Join-Path $homeDir $kind
            New-Item -ItemType Directory -Path (Join-Path $dir 'tmp') -Force | Out-Null
            $work = if ($kind -eq 'session') {
                @"
Get-ITwinServiceToken | Out-Null
Get-ITwinMe | Out-Null
Invoke-ITwinRequest -Path /itwins -All -First 250 | Out-Null
try { Invoke-ITwinRequest -Path /users/not-a-guid -ErrorAction Stop } catch { }
Clear-ITwinTokenCache
Get-ITwinServiceToken -Force | Out-Null
Remove-Module ITwinAuth
"@
            }
            else { '' }
            $run = Invoke-ChildPwsh -Environment @{ HOME = $dir; TMPDIR = (Join-Path $dir 'tmp'); ITWIN_CLIENT_ID = $app.ClientId; ITWIN_CLIENT_SECRET = $app.Secret
                ITWIN_AUTHORITY = $emulator.Authority; ITWIN_API_BASE_URI = $emulator.ApiBaseUri } -ArgumentList @('-NoProfile', '-NonInteractive', '-Command',
                "`$ErrorActionPreference = 'Stop'; Import-Module '$env:ITWINAUTH_MODULE'; $work")
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $files[$kind] = @(Get-ChildItem $dir -Recurse -File -Force | ForEach-Object { $_.FullName.Substring($dir.Length) } | Sort-Object)
        }
        Remove-Item $homeDir -Recurse -Force
        $extra = @($files.session | Where-Object { $_ -notin $files.baseline })
        $extra | Should -BeNullOrEmpty
        Add-Row 'No leaks, no trespass' 'Files written by a session (sign-in, requests, paging, errors, cache clear, removal)' 'none beyond what Import-Module alone writes' "$($extra.Count) extra files"
    }
}

Describe 'docs/RELIABILITY.md' -Tag Reliability {
    It 'is written as this run observed every scenario, for build.ps1 -Task Check to compare' {
        $lines = @(
            '# Reliability and security: scenarios and observed outcomes'
            ''
            'Generated from `tests/Pester/Reliability.Tests.ps1`; `build.ps1 -Task Check` checks that this file still'
            'says what the last test run observed (rewrite it with `ITWINAUTH_UPDATE_DOCS=1`). Every scenario runs against'
            'the iTwin emulator with `-Verbose -Debug`, bounded in time; the emulator counts the requests.'
            ''
            '| Area | Scenario | Expected | Observed |'
            '|---|---|---|---|'
        ) + ($rows | ForEach-Object { "| $($_.Area) | $($_.Scenario -replace '\|', '\|') | $($_.Expected) | $($_.Observed) |" })
        $text = ($lines -join "`n") + "`n"
        $rows.Count | Should -BeGreaterThan 50
        Set-Content -Path (Join-Path $env:ITWINAUTH_TEST_RESULTS "RELIABILITY-$env:ITWINAUTH_TEST_EDITION.md") -Value $text -NoNewline
        # The file's last section, the attacks, is Attack.Tests.ps1's: kept as it is.
        if ($env:ITWINAUTH_UPDATE_DOCS -eq '1') { Update-ReliabilityDoc { param($Old) $text + $(if ($Old -match '(?s)\n(## Attacks \(issue 22\)\n.*)$') { "`n" + $Matches[1] }) } }
    }
}
