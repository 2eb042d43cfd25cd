<#
.SYNOPSIS
    The network scenario of bench/Invoke-Benchmarks.ps1, run in a child pwsh that trusts the
    emulators' test CA (SSL_CERT_FILE is read once per process). Two emulators serve TLS behind a
    delaying relay (a round trip on every connect, handshake and request): one offers HTTP/2 and
    HTTP/1.1, the other HTTP/1.1 only. Writes one JSON object: the medians and the server's counts.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Settings,   # JSON: h2 and h1 emulators (authority, api, clientId, secret), sizes
    [string] $BenchCommon
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
. $BenchCommon
$s = $Settings | ConvertFrom-Json
$size = $s.Size

function Connect([object] $Emulator) {
    Get-ITwinServiceToken -ClientId $Emulator.clientId -ClientSecret (ConvertTo-SecureString $Emulator.secret -AsPlainText -Force) `
        -Authority $Emulator.authority -ApiBaseUri $Emulator.api | Out-Null
    Get-ITwinConnection
}
function Admin([object] $Emulator, [string] $Path, [string] $Method = 'Get', $Body) {
    $params = @{ Method = $Method; Uri = "$($Emulator.authority)/_emulator/$Path" }
    if ($PSBoundParameters.ContainsKey('Body')) { $params.Body = ConvertTo-Json $Body; $params.ContentType = 'application/json' }
    Invoke-RestMethod @params
}

$h1 = Connect $s.H1
$h2 = Connect $s.H2
$token = Get-ITwinServiceToken -ClientId $s.H2.clientId -ClientSecret (ConvertTo-SecureString $s.H2.secret -AsPlainText -Force) -Authority $s.H2.authority -ApiBaseUri $s.H2.api
$bearer = "Bearer $([Net.NetworkCredential]::new('', $token.Token).Password)"
$meUri = "$($s.H2.api)/users/me"
$headers = @{ Authorization = $bearer; Accept = 'application/vnd.bentley.itwin-platform.v1+json' }
$client = [Net.Http.HttpClient]::new()   # keep-alive, HTTP/1.1: the raw wire as people write it

# (a) Per request over the network: no server hold.
foreach ($e in $s.H1, $s.H2) { Admin $e settings Put @{ latencyMs = 0 } | Out-Null }
$perRequest = Measure-SideBySide -Rounds $size.Rounds -PerRound $size.PerRound -Warmup $size.Warmup -Contenders ([ordered]@{
        ITwinAuth        = { $null = Invoke-ITwinRequest -Path /users/me -Connection $h2 }
        HttpClient       = {
            $request = [Net.Http.HttpRequestMessage]::new([Net.Http.HttpMethod]::Get, $meUri)
            $null = $request.Headers.TryAddWithoutValidation('Authorization', $bearer)
            $response = $client.SendAsync($request).GetAwaiter().GetResult()
            $null = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() | ConvertFrom-Json
            $response.Dispose()
        }
        InvokeRestMethod = { $null = Invoke-RestMethod -Uri $meUri -Headers $headers }
    })

# (b) and (c): fan-out, each call also held by the server.
foreach ($e in $s.H1, $s.H2) { Admin $e settings Put @{ latencyMs = $size.HoldMs } | Out-Null }
$calls = $size.FanOutCalls
$paths = 0..($calls - 1) | ForEach-Object { "/itwins?`$top=1&`$skip=$($_ % 100)" }
$peaks = @{}
function Invoke-Counted([string] $Name, [object] $Emulator, [scriptblock] $Run) {
    Admin $Emulator stats/reset Post | Out-Null
    $count = @(& $Run).Count
    if ($count -ne $calls) { throw "$Name returned $count results, not $calls." }
    $stats = Admin $Emulator stats
    $script:peaks[$Name] = [Math]::Max([int]$script:peaks[$Name], [int]$stats.apiInFlightPeak)
    if ($Name -eq 'ThrottleLimitH2') { $script:h2Requests = $stats.http2Requests; $script:h2Connections = $stats.connectionsOpened }
    if ($Name -eq 'ThrottleLimitH1') { $script:h1Connections = $stats.connectionsOpened }
}
$fanOut = Measure-SideBySide -Rounds $size.FanOutRounds -PerRound 1 -Warmup 0 -Contenders ([ordered]@{
        ThrottleLimitH2 = { Invoke-Counted ThrottleLimitH2 $s.H2 { $paths | Invoke-ITwinRequest -Connection $h2 -ThrottleLimit 16 } }
        ThrottleLimitH1 = { Invoke-Counted ThrottleLimitH1 $s.H1 { $paths | Invoke-ITwinRequest -Connection $h1 -ThrottleLimit 16 } }
        OneByOne        = { Invoke-Counted OneByOne $s.H2 { $paths | Invoke-ITwinRequest -Connection $h2 } }
        Parallel        = {
            Invoke-Counted Parallel $s.H2 {
                $paths | ForEach-Object -ThrottleLimit 16 -Parallel {
                    Import-Module $using:ModulePath
                    Invoke-ITwinRequest -Path $_ -Connection $using:h2
                }
            }
        }
    })
foreach ($e in $s.H1, $s.H2) { Admin $e settings Put @{ latencyMs = 0 } | Out-Null }

[pscustomobject]@{
    PerRequest    = $perRequest
    FanOut        = $fanOut
    Peaks         = $peaks
    H2Requests    = $h2Requests
    H2Connections = $h2Connections
    H1Connections = $h1Connections
} | ConvertTo-Json -Compress -Depth 4
