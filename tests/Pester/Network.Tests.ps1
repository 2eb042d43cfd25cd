# Issue 14: paging by the platform's conventions (X-Max-Return, continuation tokens), HTTP/2 over TLS,
# and proxies; the emulator's own side (its 429, its refusals, latency) is tested in
# tests/ITwinAuth.Emulator.Tests. TLS and proxy runs happen in a child pwsh, since .NET reads
# SSL_CERT_FILE and HTTP(S)_PROXY once per process.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    # Start-ITwinEmulator with the network options (--tls, --proxy): same ready line, stopped the same way.
    function Start-NetworkEmulator([string[]] $Options) {
        $emulator = Start-ITwinEmulator -ArgumentList (@('--stop-after', '600') + $Options)
        $emulator | Add-Member Network (Admin $emulator network)
        $emulator
    }

    # The admin endpoints, over TLS too: this process does not trust the emulator's CA (the children do).
    function Admin($Emulator, [string] $Path, [string] $Method = 'Get', $Body) {
        $params = @{ Method = $Method; Uri = "$($Emulator.Authority)/_emulator/$Path"; SkipCertificateCheck = $true }
        if ($PSBoundParameters.ContainsKey('Body')) { $params.Body = ConvertTo-Json $Body -Depth 5; $params.ContentType = 'application/json' }
        Invoke-RestMethod @params
    }

    # A fresh pwsh that signs in and runs $Work with the module, under the given environment.
    function Invoke-Child($Emulator, $App, [string] $Work, [hashtable] $Environment = @{}) {
        $command = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$env:ITWINAUTH_MODULE'
Get-ITwinServiceToken | Out-Null
$Work
"@
        $childEnvironment = @{
            ITWIN_CLIENT_ID = $App.client_id; ITWIN_CLIENT_SECRET = $App.client_secret
            ITWIN_AUTHORITY = $Emulator.Authority; ITWIN_API_BASE_URI = $Emulator.ApiBaseUri
            HTTP_PROXY = ''; HTTPS_PROXY = ''; NO_PROXY = ''; ALL_PROXY = ''
        }
        foreach ($entry in $Environment.GetEnumerator()) { $childEnvironment[$entry.Key] = $entry.Value }
        $run = Invoke-ChildPwsh -TimeoutSeconds 120 -Environment $childEnvironment -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $command)
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output
    }

    $plain = Start-NetworkEmulator @('--itwins', '1500', '--proxy')
    $plainApp = Admin $plain apps Post @{}
    $secure = Start-NetworkEmulator @('--itwins', '200', '--proxy', '--tls', (Join-Path ([IO.Path]::GetTempPath()) "itwinauth-ca-$PID.pem"))
    $secureApp = Admin $secure apps Post @{}
    $secureEnvironment = @{ SSL_CERT_FILE = $secure.Network.caCertificatePath }

    Get-ITwinServiceToken -ClientId $plainApp.client_id -ClientSecret (ConvertTo-SecureString $plainApp.client_secret -AsPlainText -Force) `
        -Authority $plain.Authority -ApiBaseUri $plain.ApiBaseUri | Out-Null
}
AfterAll {
    foreach ($emulator in $plain, $secure) { if ($emulator) { Stop-ITwinEmulator -Emulator $emulator } }
    if ($secure) { Remove-Item $secure.Network.caCertificatePath -ErrorAction Ignore }
}

Describe 'Paging by the platform''s conventions' -Tag Network {
    BeforeEach {
        Admin $plain faults Delete | Out-Null
        Admin $plain stats/reset Post | Out-Null
    }

    It 'caps an /itwins listing at X-Max-Return (default 1000), echoes it, and -All warns at the cap' {
        $items = @(Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 500 } -All -WarningVariable warnings -WarningAction SilentlyContinue -ResponseHeadersVariable headers)
        $items.Count | Should -Be 1000
        "$warnings" | Should -BeLike "*X-Max-Return*10000*"
        "$($headers['X-Max-Return'])" | Should -Be '1000'

        $raised = @(Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 500 } -Headers @{ 'X-Max-Return' = 1200 } -All -WarningVariable raisedWarnings -WarningAction SilentlyContinue)
        $raised.Count | Should -Be 1200
        [Collections.Generic.HashSet[string]]::new([string[]]$raised.id).Count | Should -Be 1200
        "$raisedWarnings" | Should -BeLike '*1200*'

        $all = @(Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 1000 } -Headers @{ 'X-Max-Return' = 10000 } -All -WarningVariable noWarnings)
        $all.Count | Should -Be 1500
        $noWarnings | Should -BeNullOrEmpty
    }

    It 'pages /realitydata by an opaque continuation token in _links.next, and -All follows it' {
        $iTwinId = (Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 1 }).iTwins[0].id
        $first = Invoke-ITwinRequest -Path /realitydata -Query @{ iTwinId = $iTwinId; '$top' = 100 }
        $first.realityData.Count | Should -Be 100
        $first._links.next.href | Should -Match 'continuationToken=[A-Za-z0-9_%-]+'
        $first._links.next.href | Should -Not -Match 'skip'

        $items = @(Invoke-ITwinRequest -Path /realitydata -Query @{ iTwinId = $iTwinId; '$top' = 100 } -All)
        $items.Count | Should -Be 250
        @($items.id | Select-Object -Unique).Count | Should -Be 250
        $items[0].displayName | Should -Be 'Reality data 0001'
        $items[-1].displayName | Should -Be 'Reality data 0250'
        @((Admin $plain stats).apiLog | Where-Object pathAndQuery -like '/realitydata*continuationToken=*').Count | Should -Be 2 -Because 'pages 2 and 3 are asked for by token'
    }
}

Describe 'HTTP/2 where the server offers it' -Tag Network {
    # HTTP/2 is PowerShell 7's: Windows PowerShell's HttpClientHandler speaks HTTP/1.1 only.
    It 'multiplexes a fan-out over TLS on one connection, in input order, never past -ThrottleLimit' -Tag CoreOnly {
        Admin $secure stats/reset Post | Out-Null
        $output = Invoke-Child $secure $secureApp -Environment $secureEnvironment -Work @'
$names = @(0..47 | Invoke-ITwinRequest -Path { "/itwins?`$top=1&`$skip=$_" } -ThrottleLimit 16 | ForEach-Object { $_.iTwins[0].displayName })
"ORDERED=$(($names -join ',') -eq ((0..47 | ForEach-Object { 'iTwin {0:D6}' -f ($_ + 1) }) -join ','))"
'@
        $output | Should -Match 'ORDERED=True'
        $stats = Admin $secure stats
        $stats.http2Requests | Should -Be 48
        $stats.http1Requests | Should -Be 0
        $stats.apiInFlightPeak | Should -BeLessOrEqual 16
        # One to IMS, one to the API, and the API's own discovery fetch from IMS: HTTP/1.1 would need ~16 to the API.
        $stats.connectionsOpened | Should -BeLessOrEqual 4
    }

    It 'stays on HTTP/1.1 over plain http' {
        Admin $plain stats/reset Post | Out-Null
        1..4 | Invoke-ITwinRequest -Path { '/users/me' } -ThrottleLimit 4 | Out-Null
        $stats = Admin $plain stats
        $stats.http1Requests | Should -Be 4
        $stats.http2Requests | Should -Be 0
    }
}

Describe 'Proxies (HTTP_PROXY, HTTPS_PROXY, NO_PROXY)' -Tag Network {
    It 'sends the sign-in and the API calls through HTTP_PROXY, loopback included, and the token nowhere else' {
        Admin $plain stats/reset Post | Out-Null
        Invoke-Child $plain $plainApp -Environment @{ HTTP_PROXY = $plain.Network.proxy } -Work 'Invoke-ITwinRequest -Path /users/me | Out-Null' | Out-Null
        $stats = Admin $plain stats
        $proxied = @($stats.proxyRequests)
        $proxied | Where-Object { $_.method -eq 'POST' -and $_.target -eq "$($plain.Authority)/connect/token" } | Should -Not -BeNullOrEmpty
        $api = @($proxied | Where-Object { $_.method -eq 'GET' -and $_.target -eq "$($plain.ApiBaseUri)/users/me" })
        $api.Count | Should -Be 1
        $api[0].hadAuthorization | Should -BeTrue
        $stats.apiRequests | Should -Be 1
        $stats.tokenSightings | Should -Be 0
        $stats.authorizationElsewhere | Should -Be 0
        @($stats.foreignRequests).Count | Should -Be 0
    }

    It 'tunnels https through HTTPS_PROXY with CONNECT' {
        Admin $secure stats/reset Post | Out-Null
        $environment = $secureEnvironment.Clone()
        $environment.HTTPS_PROXY = $secure.Network.proxy
        Invoke-Child $secure $secureApp -Environment $environment -Work 'Invoke-ITwinRequest -Path /users/me | Out-Null' | Out-Null
        $stats = Admin $secure stats
        $targets = @($stats.proxyRequests | Where-Object method -eq 'CONNECT' | ForEach-Object target)
        $targets | Should -Contain ([uri]$secure.Authority).Authority
        $targets | Should -Contain ([uri]$secure.ApiBaseUri).Authority
        $stats.apiRequests | Should -Be 1
        $stats.tokenSightings | Should -Be 0
    }

    It 'goes direct to the hosts NO_PROXY names' {
        Admin $plain stats/reset Post | Out-Null
        Invoke-Child $plain $plainApp -Environment @{ HTTP_PROXY = $plain.Network.proxy; NO_PROXY = '127.0.0.1' } -Work 'Invoke-ITwinRequest -Path /users/me | Out-Null' | Out-Null
        $stats = Admin $plain stats
        @($stats.proxyRequests).Count | Should -Be 0
        $stats.apiRequests | Should -Be 1
    }
}
