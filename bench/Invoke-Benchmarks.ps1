<#
.SYNOPSIS
    Measures ITwinAuth side by side with what users would otherwise use, against the emulator on
    loopback, in one run, and writes bench/results.md.
.DESCRIPTION
    Run by ./build.ps1 -Task Bench (-Quick for the short smoke pass CI runs). Every comparison is
    measured in interleaved rounds in the same process (or fresh processes, for start-up and
    memory) and reported as medians and ratios; the ratios are the verdict, since this machine is
    shared and noisy. Benchmarks report: they never fail on a missed target.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EmulatorPath,
    [switch] $Quick,
    [string] $OutFile = (Join-Path $PSScriptRoot 'results.md')
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../tests/Emulator.psm1') -Force
Import-Module (Join-Path $PSScriptRoot '../tests/ChildPwsh.psm1') -Force
Import-Module $ModulePath -Force

$size = if ($Quick) {
    # The smoke pass CI runs: every scenario and contender once or twice, in seconds. Too small to
    # judge by; it proves the benchmark still runs and measures what it says.
    @{ Rounds = 2; PerRound = 3; Warmup = 2; PagingItems = 300; PagingRounds = 1; CacheHits = 50; Parallel = 8; StartupRuns = 1; TokenRounds = 2; TokenPerRound = 2; MemorySmall = 200; MemoryLarge = 400; MemoryRuns = 1
        Network = @{ Rounds = 1; PerRound = 2; Warmup = 1; FanOutCalls = 4; FanOutRounds = 1; HoldMs = 20; RoundTripMs = 20 }
        Shared = @{ Rounds = 1; Crowd = 4 } }
}
else {
    # Many short rounds: a noisy moment spoils one round, not the median.
    @{ Rounds = 15; PerRound = 70; Warmup = 300; PagingItems = 10000; PagingRounds = 7; CacheHits = 10000; Parallel = 50; StartupRuns = 10; TokenRounds = 15; TokenPerRound = 15; MemorySmall = 10000; MemoryLarge = 100000; MemoryRuns = 2
        Network = @{ Rounds = 7; PerRound = 15; Warmup = 10; FanOutCalls = 96; FanOutRounds = 3; HoldMs = 20; RoundTripMs = 20 }
        Shared = @{ Rounds = 7; Crowd = 20 } }
}

. (Join-Path $PSScriptRoot 'BenchCommon.ps1')

function Invoke-FreshPwsh([string] $Command, [hashtable] $Environment = @{}) {
    $run = Invoke-ChildPwsh -TimeoutSeconds 300 -Environment $Environment -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $Command)
    if ($run.ExitCode -ne 0) { throw "A benchmark child process failed: $($run.Output)" }
    $run.Output
}

# An emulator with network options (TLS, a round trip), started without waiting for its ready line
# (Start-ITwinEmulator waits), so that two start at once and are waited for together. It stops when
# its stdin closes, or after 15 minutes.
function Start-BenchEmulatorProcess([string[]] $Options) {
    Start-ChildProcess -FilePath dotnet -ArgumentList (@($EmulatorPath, '--env', 'none', '--exit-on-stdin-close', '--stop-after', '900') + $Options) -KeepInput
}
function Wait-BenchEmulator([Diagnostics.Process] $Process) {
    $read = $Process.StandardOutput.ReadLineAsync()
    if (-not $read.Wait([timespan]::FromSeconds(60)) -or $read.Result -notmatch 'ready authority=(\S+) api=(\S+) foreign=(\S+)') {
        if (-not $Process.HasExited) { $Process.Kill($true) }
        throw "A network emulator did not start: $($Process.StandardError.ReadToEnd())"
    }
    [pscustomobject]@{ Process = $Process; Authority = $Matches[1].TrimEnd('/'); ApiBaseUri = $Matches[2].TrimEnd('/'); ForeignUri = $Matches[3].TrimEnd('/') }
}

# Progress on the way (the smoke pass takes about 20 s; a full run minutes): one line per step.
function Write-BenchStep([int] $Step, [string] $Name) { Write-Host "[$Step/8] measuring $Name..." }

$rows = [System.Collections.Generic.List[object]]::new()

# The shared token, measured in fresh processes against one real SecretStore (a HOME of the bench's own):
# each process reads the app from the vault and makes one call, with -ShareToken or without, in
# interleaved rounds; then crowds started at once, whose token requests the emulator counts. Null when
# the real SecretManagement and SecretStore are not here (../shared/secretmanagement/modules).
function Measure-SharedToken($Emulator, $App, [string] $CaBundle) {
    $modules = if ($env:ITWINAUTH_SECRETMANAGEMENT_MODULES) { $env:ITWINAUTH_SECRETMANAGEMENT_MODULES } else { Join-Path $PSScriptRoot '../../shared/secretmanagement/modules' }
    if (-not (Test-Path (Join-Path $modules 'Microsoft.PowerShell.SecretStore'))) { return $null }
    $benchHome = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-bench-home-$PID"
    New-Item -ItemType Directory -Path $benchHome -Force | Out-Null
    $environment = @{
        HOME = $benchHome; XDG_DATA_HOME = ''; XDG_CONFIG_HOME = ''; XDG_CACHE_HOME = ''; XDG_RUNTIME_DIR = (Join-Path $benchHome 'run')
        PSModulePath = $modules; SSL_CERT_FILE = $CaBundle; HTTP_PROXY = ''; HTTPS_PROXY = ''
        BENCH_AUTHORITY = $Emulator.Authority; BENCH_API = $Emulator.ApiBaseUri; BENCH_ID = $App.clientId; BENCH_SECRET = $App.secret
    }
    $tokenRequests = { (Invoke-RestMethod -SkipCertificateCheck -Uri "$($Emulator.Authority)/_emulator/stats?log=false").tokenRequests }
    $signIn = "Import-Module '$ModulePath'; Connect-ITwin -Vault Store -SecretName app -Authority `$env:BENCH_AUTHORITY -ApiBaseUri `$env:BENCH_API"
    $call = '; $null = Get-ITwinMe'
    try {
        Invoke-FreshPwsh -Environment $environment -Command (
            'Reset-SecretStore -Authentication None -Interaction None -Force -WarningAction SilentlyContinue; ' +
            'Register-SecretVault -Name Store -ModuleName Microsoft.PowerShell.SecretStore; ' +
            'Set-Secret -Name app -Vault Store -Secret ([pscredential]::new($env:BENCH_ID, (ConvertTo-SecureString $env:BENCH_SECRET -AsPlainText -Force)))') | Out-Null
        # The first shares its token; every process "with" after it reads it.
        Invoke-FreshPwsh -Environment $environment -Command ($signIn + ' -ShareToken' + $call) | Out-Null
        $with = [System.Collections.Generic.List[double]]::new()
        $without = [System.Collections.Generic.List[double]]::new()
        foreach ($round in 1..$size.Shared.Rounds) {
            foreach ($share in $true, $false) {
                $watch = [Diagnostics.Stopwatch]::StartNew()
                Invoke-FreshPwsh -Environment $environment -Command ($signIn + $(if ($share) { ' -ShareToken' }) + $call) | Out-Null
                if ($share) { $with.Add($watch.Elapsed.TotalMilliseconds) } else { $without.Add($watch.Elapsed.TotalMilliseconds) }
            }
        }
        # Crowds: started at once, each signs in and makes one call.
        $crowd = {
            param([string] $Command)
            $before = & $tokenRequests
            $pwsh = Get-PwshCommand
            $settings = @{ NO_COLOR = '1' }
            foreach ($entry in $environment.GetEnumerator()) { $settings[$entry.Key] = $entry.Value }
            $children = foreach ($i in 1..$size.Shared.Crowd) {
                Start-ChildProcess -FilePath $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $Command)) -Environment $settings
            }
            foreach ($child in $children) {
                $output = $child.StandardOutput.ReadToEndAsync()
                $errors = $child.StandardError.ReadToEndAsync()
                if (-not $child.WaitForExit(300000)) { $child.Kill($true); throw 'A process of the shared-token crowd did not finish in 5 minutes.' }
                if ($child.ExitCode -ne 0) { throw "A process of the shared-token crowd failed: $($output.Result) $($errors.Result)" }
            }
            (& $tokenRequests) - $before
        }
        Invoke-FreshPwsh -Environment $environment -Command ($signIn + ' -ShareToken; Disconnect-ITwin') | Out-Null
        $crowdWith = & $crowd ($signIn + ' -ShareToken' + $call)
        $crowdAgain = & $crowd ($signIn + ' -ShareToken' + $call)
        $crowdWithout = & $crowd ($signIn + $call)
        [pscustomobject]@{
            With = Get-Median $with; Without = Get-Median $without
            Crowd = $size.Shared.Crowd; CrowdWith = $crowdWith; CrowdAgain = $crowdAgain; CrowdWithout = $crowdWithout
        }
    }
    finally { Remove-Item $benchHome -Recurse -Force -ErrorAction Ignore }
}
# -Property: the target is a behaviour (a count, an order), not a timing, and holds at any size.
# A timing below its target in the smoke pass is no verdict: its sizes are too small to measure.
function Add-Row([string] $Scenario, [string] $Ours, [string] $Theirs, [string] $Ratio, [string] $Target, [bool] $Met, [switch] $Property) {
    $smoke = $Quick -and -not $Property -and -not $Met
    $rows.Add([pscustomobject]@{ Scenario = $Scenario; ITwinAuth = $Ours; Alternative = $Theirs; Ratio = $Ratio; Target = $Target
            Met = $(if ($Met) { 'yes' } elseif ($smoke) { 'below target (smoke)' } else { 'NO' }) })
    Write-Host ("{0,-34} {1,-22} {2,-34} {3,-12} {4}" -f $Scenario, $Ours, $Theirs, $Ratio, $(if ($Met) { 'met' } elseif ($smoke) { 'below target (smoke sizes are not measurements)' } else { 'MISSED' }))
}

$emulator = Start-ITwinEmulator -EmulatorPath $EmulatorPath -ITwinCount $size.PagingItems
try {
    # These listings go past the platform's X-Max-Return cap (10,000 at most) on purpose.
    Invoke-EmulatorAdmin -Emulator $emulator -Method Put -Path settings -Body @{ enforceMaxReturn = $false } | Out-Null
    $app = Register-EmulatorApp -Emulator $emulator
    $secret = ConvertTo-SecureString $app.client_secret -AsPlainText -Force
    $signIn = @{ ClientId = $app.client_id; ClientSecret = $secret; Authority = $emulator.Authority; ApiBaseUri = $emulator.ApiBaseUri }
    $token = Get-ITwinServiceToken @signIn
    $meUri = "$($emulator.ApiBaseUri)/users/me"
    $bearer = "Bearer $([Net.NetworkCredential]::new('', $token.Token).Password)"
    $headers = @{ Authorization = $bearer; Accept = 'application/vnd.bentley.itwin-platform.v1+json' }
    $client = [Net.Http.HttpClient]::new()

    # 1. Per request ------------------------------------------------------------------------------
    Write-BenchStep 1 'per request'
    $perRequest = Measure-SideBySide -Rounds $size.Rounds -PerRound $size.PerRound -Warmup $size.Warmup -Contenders ([ordered]@{
            ITwinAuth       = { $null = Invoke-ITwinRequest -Path /users/me }
            InvokeRestMethod = { $null = Invoke-RestMethod -Uri $meUri -Headers $headers }
            # The same work by hand: the request, the body, the objects.
            HttpClientJson  = {
                $request = [Net.Http.HttpRequestMessage]::new([Net.Http.HttpMethod]::Get, $meUri)
                $null = $request.Headers.TryAddWithoutValidation('Authorization', $bearer)
                $null = $request.Headers.TryAddWithoutValidation('Accept', $headers.Accept)
                $response = $client.SendAsync($request).GetAwaiter().GetResult()
                $null = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() | ConvertFrom-Json
                $response.Dispose()
            }
            # The wire alone: the body as a string, no objects.
            HttpClient      = {
                $request = [Net.Http.HttpRequestMessage]::new([Net.Http.HttpMethod]::Get, $meUri)
                $null = $request.Headers.TryAddWithoutValidation('Authorization', $bearer)
                $response = $client.SendAsync($request).GetAwaiter().GetResult()
                $null = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
                $response.Dispose()
            }
        })
    $vsIrm = $perRequest.InvokeRestMethod / $perRequest.ITwinAuth
    $vsRaw = $perRequest.ITwinAuth / $perRequest.HttpClientJson
    $vsWire = $perRequest.ITwinAuth / $perRequest.HttpClient
    Add-Row 'Per request: vs Invoke-RestMethod' ('{0:N3} ms' -f $perRequest.ITwinAuth) ('Invoke-RestMethod {0:N3} ms' -f $perRequest.InvokeRestMethod) ('{0:N2}x faster' -f $vsIrm) '>= 3x faster' ($vsIrm -ge 3)
    Add-Row 'Per request: vs raw HttpClient + ConvertFrom-Json' ('{0:N3} ms' -f $perRequest.ITwinAuth) ('HttpClient + ConvertFrom-Json {0:N3} ms' -f $perRequest.HttpClientJson) ('{0:N3}x the raw call' -f $vsRaw) '<= 1.1x' ($vsRaw -le 1.1)
    Add-Row 'Per request: vs the wire alone (no JSON)' ('{0:N3} ms' -f $perRequest.ITwinAuth) ('HttpClient, body as text {0:N3} ms' -f $perRequest.HttpClient) ('{0:N2}x the wire' -f $vsWire) '<= 1.5x' ($vsWire -le 1.5)

    # 2. Paging ---------------------------------------------------------------------------------
    Write-BenchStep 2 'paging'
    $pages = $size.PagingItems / 100
    $paging = Measure-SideBySide -Rounds $size.PagingRounds -PerRound 1 -Warmup 1 -Contenders ([ordered]@{
            ITwinAuth       = { $script:pagedCount = (Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 100 } -All | Measure-Object).Count }
            # What people write today, feeding the same consumer as ITwinAuth's side.
            InvokeRestMethod = {
                $script:irmCount = (& {
                        $next = "$($emulator.ApiBaseUri)/itwins?`$top=100"
                        while ($next) {
                            $page = Invoke-RestMethod -Uri $next -Headers $headers
                            $page.iTwins
                            $next = $page._links.next.href
                        }
                    } | Measure-Object).Count
            }
        })
    if ($script:pagedCount -ne $size.PagingItems -or $script:irmCount -ne $size.PagingItems) { throw "Paging counted $script:pagedCount and $script:irmCount items, not $($size.PagingItems)." }
    $pagingRatio = $paging.InvokeRestMethod / $paging.ITwinAuth
    Add-Row "Paging: $($size.PagingItems) items, $pages pages" ('{0:N0} ms' -f $paging.ITwinAuth) ('Invoke-RestMethod loop {0:N0} ms' -f $paging.InvokeRestMethod) ('{0:N2}x faster' -f $pagingRatio) '>= 3x faster' ($pagingRatio -ge 3)

    Reset-EmulatorStats $emulator
    $script:pageRequestsAtFirstItem = $null
    Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 100 } -All | ForEach-Object {
        if ($null -eq $script:pageRequestsAtFirstItem) {
            $script:pageRequestsAtFirstItem = @((Get-EmulatorStats $emulator -WithLog).apiLog | Where-Object pathAndQuery -like '/itwins*').Count
        }
    }
    Add-Row 'Paging: first item out' "after $script:pageRequestsAtFirstItem page request(s)" '' '' 'before page 2 is requested' ($script:pageRequestsAtFirstItem -eq 1) -Property

    $memory = @{}
    foreach ($count in $size.MemorySmall, $size.MemoryLarge) {
        Set-EmulatorSettings -Emulator $emulator -ITwinCount $count | Out-Null
        $peaks = foreach ($run in 1..$size.MemoryRuns) {
            [long](Invoke-FreshPwsh -Environment @{ ITWIN_CLIENT_ID = $app.client_id; ITWIN_CLIENT_SECRET = $app.client_secret; ITWIN_AUTHORITY = $emulator.Authority; ITWIN_API_BASE_URI = $emulator.ApiBaseUri } -Command @"
Import-Module '$ModulePath'
Get-ITwinServiceToken | Out-Null
`$n = (Invoke-ITwinRequest -Path /itwins -Query @{ '`$top' = 1000 } -All | Measure-Object).Count
if (`$n -ne $count) { throw "counted `$n" }
[System.Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
"@).Trim()
        }
        $memory[$count] = ($peaks | Measure-Object -Minimum).Minimum
    }
    Set-EmulatorSettings -Emulator $emulator -ITwinCount $size.PagingItems | Out-Null
    $memoryRatio = $memory[$size.MemoryLarge] / $memory[$size.MemorySmall]
    Add-Row "Paging: peak memory $($size.MemoryLarge / 1000)k vs $($size.MemorySmall / 1000)k items" ('{0:N0} MB vs {1:N0} MB' -f ($memory[$size.MemoryLarge] / 1MB), ($memory[$size.MemorySmall] / 1MB)) '' ('{0:N2}x' -f $memoryRatio) '<= 1.2x' ($memoryRatio -le 1.2)

    # 3. Cache hit ------------------------------------------------------------------------------
    Write-BenchStep 3 'cache hits'
    Get-ITwinServiceToken @signIn | Out-Null
    $before = (Get-EmulatorStats $emulator).tokenRequests
    $watch = [Diagnostics.Stopwatch]::StartNew()
    for ($i = 0; $i -lt $size.CacheHits; $i++) { $null = Get-ITwinServiceToken @signIn }
    $hitMicroseconds = $watch.Elapsed.TotalMilliseconds * 1000 / $size.CacheHits
    $hitRequests = (Get-EmulatorStats $emulator).tokenRequests - $before
    Clear-ITwinTokenCache
    $watch.Restart()
    Get-ITwinServiceToken @signIn | Out-Null
    $coldMilliseconds = $watch.Elapsed.TotalMilliseconds
    Add-Row "Cache hit: $($size.CacheHits) warm calls" ('{0:N0} us a call, {1} requests' -f $hitMicroseconds, $hitRequests) ('one cold call {0:N1} ms' -f $coldMilliseconds) ('{0:N0}x' -f ($coldMilliseconds * 1000 / $hitMicroseconds)) '0 token requests' ($hitRequests -eq 0) -Property

    # 4. Cold concurrency -------------------------------------------------------------------------
    Write-BenchStep 4 'cold concurrency'
    $coldApp = Register-EmulatorApp -Emulator $emulator
    $before = (Get-EmulatorStats $emulator).tokensIssued
    $null = 1..$size.Parallel | ForEach-Object -ThrottleLimit $size.Parallel -Parallel {
        Import-Module $using:ModulePath
        $s = ConvertTo-SecureString $using:coldApp.client_secret -AsPlainText -Force
        Get-ITwinServiceToken -ClientId $using:coldApp.client_id -ClientSecret $s -Authority $using:emulator.Authority -ApiBaseUri $using:emulator.ApiBaseUri
    }
    $ourRequests = (Get-EmulatorStats $emulator).tokensIssued - $before
    $nodeText = 'not measured'
    $node = Get-Command node -ErrorAction Ignore
    $nodeDir = Join-Path $PSScriptRoot 'node'
    if (-not $Quick -and $node -and (Get-Command npm -ErrorAction Ignore)) {
        if (-not (Test-Path (Join-Path $nodeDir 'node_modules/@itwin/service-authorization'))) {
            Push-Location $nodeDir; try { npm ci --no-audit --no-fund 2>&1 | Out-Null } finally { Pop-Location }
        }
        $nodeApp = Register-EmulatorApp -Emulator $emulator
        $before = (Get-EmulatorStats $emulator).tokensIssued
        $nodeResult = & node (Join-Path $nodeDir 'concurrency.mjs') $emulator.Authority $nodeApp.client_id $nodeApp.client_secret $size.Parallel | ConvertFrom-Json
        $nodeText = "official Node client $((Get-EmulatorStats $emulator).tokensIssued - $before) requests"
    }
    elseif (-not $Quick) { $nodeText = 'official Node client: Node.js not installed' }
    Add-Row "Cold: $($size.Parallel) runspaces at once" "$ourRequests token request(s)" $nodeText '' 'exactly 1 request' ($ourRequests -eq 1) -Property

    # 5. Start-up -------------------------------------------------------------------------------
    Write-BenchStep 5 'start-up'
    $importOurs = foreach ($run in 1..$size.StartupRuns) {
        [double](Invoke-FreshPwsh -Command "`$w = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$ModulePath'; [Console]::WriteLine(`$w.Elapsed.TotalMilliseconds)").Trim()
    }
    $importUtility = foreach ($run in 1..$size.StartupRuns) {
        [double](Invoke-FreshPwsh -Command "`$w = [Diagnostics.Stopwatch]::StartNew(); Import-Module Microsoft.PowerShell.Utility -Force; [Console]::WriteLine(`$w.Elapsed.TotalMilliseconds)").Trim()
    }
    $ours = Get-Median $importOurs; $theirs = Get-Median $importUtility
    Add-Row 'Start-up: Import-Module' ('{0:N0} ms' -f $ours) ('Microsoft.PowerShell.Utility {0:N0} ms' -f $theirs) ('{0:N2}x' -f ($ours / $theirs)) '< 250 ms (ours)' ($ours -lt 250)

    # 6. Token request overhead -------------------------------------------------------------------
    Write-BenchStep 6 'token requests'
    $tokenEndpoint = "$($emulator.Authority)/connect/token"
    $tokens = Measure-SideBySide -Rounds $size.TokenRounds -PerRound $size.TokenPerRound -Warmup 3 -Contenders ([ordered]@{
            ITwinAuth  = { $null = Get-ITwinServiceToken @signIn -Force }
            HttpClient = {
                $fields = [System.Collections.Generic.Dictionary[string, string]]::new()
                $fields['grant_type'] = 'client_credentials'; $fields['client_id'] = $app.client_id
                $fields['client_secret'] = $app.client_secret; $fields['scope'] = 'itwin-platform'
                $form = [Net.Http.FormUrlEncodedContent]::new($fields)
                $response = $client.PostAsync($tokenEndpoint, $form).GetAwaiter().GetResult()
                $null = [System.Text.Json.JsonDocument]::Parse($response.Content.ReadAsStringAsync().GetAwaiter().GetResult())
                $response.Dispose()
            }
        })
    $tokenRatio = $tokens.ITwinAuth / $tokens.HttpClient
    Add-Row 'Token request: cold' ('{0:N2} ms' -f $tokens.ITwinAuth) ('HttpClient form post {0:N2} ms' -f $tokens.HttpClient) ('{0:N2}x the wire' -f $tokenRatio) '<= 1.5x' ($tokenRatio -le 1.5)

    # 7. The network: TLS behind a delaying relay ----------------------------------------------------
    Write-BenchStep 7 'the network (TLS, round trip)'
    $net = $size.Network
    $caDir = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-bench-ca-$PID"
    $networkEmulators = @{}
    try {
        # Both at once (they take a second or two to start): one offers h2 and HTTP/1.1, one HTTP/1.1 only.
        $starting = foreach ($kind in 'H2', 'H1') {
            $options = @('--tls', (Join-Path $caDir "$kind.pem"), '--rtt-ms', $net.RoundTripMs, '--itwins', 100)
            if ($kind -eq 'H1') { $options += '--no-http2' }
            @{ Kind = $kind; Process = Start-BenchEmulatorProcess $options }
        }
        foreach ($start in $starting) { $networkEmulators[$start.Kind] = Wait-BenchEmulator $start.Process }
        $settings = @{ Size = $net }
        foreach ($kind in 'H2', 'H1') {
            $e = $networkEmulators[$kind]
            $registered = Invoke-RestMethod -SkipCertificateCheck -Method Post -Uri "$($e.Authority)/_emulator/apps" -Body '{}' -ContentType application/json
            $settings[$kind] = @{ authority = $e.Authority; api = $e.ApiBaseUri; clientId = $registered.client_id; secret = $registered.client_secret }
        }
        $bundle = Join-Path $caDir 'bundle.pem'
        Set-Content -Path $bundle -Value ((Get-ChildItem $caDir -Filter H?.pem | Get-Content -Raw) -join "`n")
        $run = Invoke-ChildPwsh -TimeoutSeconds 600 -Environment @{ SSL_CERT_FILE = $bundle; HTTP_PROXY = ''; HTTPS_PROXY = '' } -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'Network.ps1'), '-ModulePath', $ModulePath,
            '-Settings', (ConvertTo-Json $settings -Compress -Depth 4), '-BenchCommon', (Join-Path $PSScriptRoot 'BenchCommon.ps1'))
        if ($run.ExitCode -ne 0) { throw "The network benchmark failed: $($run.Output)" }
        $result = ($run.Output -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1) | ConvertFrom-Json

        # 8. The shared token (-ShareToken), over the same network ------------------------------------
        Write-BenchStep 8 'the shared token (fresh processes, TLS, round trip)'
        $shared = Measure-SharedToken -Emulator $networkEmulators['H2'] -App $settings['H2'] -CaBundle $bundle
    }
    finally {
        foreach ($e in $networkEmulators.Values) { Stop-ITwinEmulator -Emulator $e }
        Remove-Item $caDir -Recurse -Force -ErrorAction Ignore
    }
    $where = "TLS, $($net.RoundTripMs) ms round trip"
    if ($shared) {
        $startRatio = $shared.With / $shared.Without
        Add-Row "Shared token ($where): a fresh process, start to first call's result" ('{0:N0} ms with -ShareToken' -f $shared.With) ('{0:N0} ms without' -f $shared.Without) ('{0:N2}x' -f $startRatio) '< 1x' ($startRatio -lt 1)
        Add-Row "Shared token: token requests of $($shared.Crowd) fresh processes started at once" "$($shared.CrowdWith) with -ShareToken" "$($shared.CrowdWithout) without" '' '<= 2 (1 expected)' ($shared.CrowdWith -le 2) -Property
        Add-Row "Shared token: token requests of $($shared.Crowd) more, within the token's life" "$($shared.CrowdAgain) with -ShareToken" "$($shared.CrowdWithout) without" '' '0' ($shared.CrowdAgain -eq 0) -Property
    }
    else {
        Add-Row 'Shared token: not measured' 'the real SecretManagement and SecretStore were not found' '' '' '' $false -Property
    }
    $p = $result.PerRequest
    $netWire = $p.ITwinAuth / $p.HttpClient
    $netIrm = $p.InvokeRestMethod / $p.ITwinAuth
    Add-Row "Network ($where): per request vs raw HttpClient" ('{0:N1} ms' -f $p.ITwinAuth) ('HttpClient keep-alive {0:N1} ms' -f $p.HttpClient) ('{0:N2}x the wire' -f $netWire) '<= 1.15x' ($netWire -le 1.15)
    Add-Row "Network ($where): per request vs Invoke-RestMethod" ('{0:N1} ms' -f $p.ITwinAuth) ('Invoke-RestMethod, no session {0:N1} ms' -f $p.InvokeRestMethod) ('{0:N2}x faster' -f $netIrm) '>= 3x faster' ($netIrm -ge 3)
    $f = $result.FanOut
    $calls = $net.FanOutCalls
    $fanRatio = $f.OneByOne / $f.ThrottleLimitH2
    Add-Row "Network: fan-out of $calls calls held $($net.HoldMs) ms, -ThrottleLimit 16 vs one by one" ('{0:N0} ms' -f $f.ThrottleLimitH2) ('one by one {0:N0} ms' -f $f.OneByOne) ('{0:N2}x faster' -f $fanRatio) '>= 8x faster' ($fanRatio -ge 8)
    Add-Row 'Network: fan-out, most in flight at the server' "$($result.Peaks.ThrottleLimitH2) (h2), $($result.Peaks.ThrottleLimitH1) (HTTP/1.1)" "ForEach-Object -Parallel 16: $($result.Peaks.Parallel)" '' '<= 16' ([Math]::Max($result.Peaks.ThrottleLimitH2, $result.Peaks.ThrottleLimitH1) -le 16) -Property
    $parallelRatio = $f.Parallel / $f.ThrottleLimitH2
    Add-Row 'Network: fan-out vs ForEach-Object -Parallel' ('{0:N0} ms' -f $f.ThrottleLimitH2) ('-Parallel -ThrottleLimit 16, import per runspace {0:N0} ms' -f $f.Parallel) ('{0:N2}x faster' -f $parallelRatio) 'faster' ($parallelRatio -gt 1)
    $h2Ratio = $f.ThrottleLimitH1 / $f.ThrottleLimitH2
    Add-Row 'Network: fan-out HTTP/2 vs HTTP/1.1' ('h2 {0:N0} ms, {1} connection(s)' -f $f.ThrottleLimitH2, $result.H2Connections) ('HTTP/1.1 {0:N0} ms, {1} connections' -f $f.ThrottleLimitH1, $result.H1Connections) ('{0:N2}x' -f $h2Ratio) "all $calls calls on h2" ($result.H2Requests -eq $calls) -Property
}
finally {
    Stop-ITwinEmulator -Emulator $emulator
}

# results.md -------------------------------------------------------------------------------------
$cpu = (Get-Content /proc/cpuinfo -ErrorAction Ignore | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '^model name\s*:\s*', ''
$memoryTotal = (Get-Content /proc/meminfo -ErrorAction Ignore | Where-Object { $_ -like 'MemTotal*' }) -replace '^MemTotal:\s*', ''
$lines = @(
    '# ITwinAuth benchmarks'
    ''
    "Written by ``bench/Invoke-Benchmarks.ps1`` $(if ($Quick) { '(**-Quick smoke pass: too small to judge by**)' } else { '(full run)' }) on $([DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm')) UTC."
    'Everything ran in one run on one machine, against the emulator on loopback; contenders were timed in interleaved rounds (medians of the rounds). The machine is shared and noisy: **judge by the ratios**, not the milliseconds.'
    ''
    "- Machine: $([Environment]::ProcessorCount) cores ($cpu), $memoryTotal RAM, $([Runtime.InteropServices.RuntimeInformation]::OSDescription)"
    "- PowerShell $($PSVersionTable.PSVersion), .NET $([Environment]::Version), ITwinAuth $((Import-PowerShellDataFile $ModulePath).ModuleVersion)"
    ''
    '| Scenario | ITwinAuth | Alternative | Ratio | Target | Met |'
    '|---|---|---|---|---|---|'
) + ($rows | ForEach-Object { "| $($_.Scenario) | $($_.ITwinAuth) | $($_.Alternative) | $($_.Ratio) | $($_.Target) | $($_.Met) |" }) + @(
    ''
    (Get-Content (Join-Path $PSScriptRoot 'FINDINGS.md') -Raw).TrimEnd()
)
Set-Content -Path $OutFile -Value ($lines -join "`n") -Encoding utf8
Write-Host "Wrote $OutFile"
