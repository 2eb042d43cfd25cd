# Issue 25 under attack: the shared token cache (-ShareToken) against the real Microsoft.PowerShell.SecretManagement,
# with a hostile extension vault written here (HostileVault: file-backed, so that processes sharing a HOME share it;
# it logs every call and misbehaves as a file it reads at each call says). Each case runs in a child pwsh with a HOME
# of its own (tests/Vaults/VaultTests.psm1), so its vault registry, its lock folder ($HOME/.local/share/ITwinAuth/locks)
# and its vault files are its own. Tests whose name ends "(found: ...)" failed on the code they were written against (fixed since)
# (commit 4b1d959); the others hold and prove it. Tagged CoreOnly (the real SecretManagement runs on PowerShell 7
# here) and SharedAttack. Without the real modules every test is skipped, with the reason.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module (Join-Path $PSScriptRoot '../Vaults/VaultTests.psm1') -Force
    $realSkip = Get-RealVaultSkipReason
    if ($realSkip) {
        Write-Host "SharedAttack.Tests.ps1: every test is skipped: $realSkip" -ForegroundColor Yellow
        return
    }
    $emulator = Start-ITwinEmulator
    $app = New-TestApp -Emulator $emulator -Secret 'Shared-Attack-Canary-Secret-4e1f+&=/'

    # The hostile vault, written to a folder of this run's (deleted in AfterAll) and registered by path.
    $vaultRoot = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-hostilevault-$PID"
    $vaultModule = Join-Path $vaultRoot 'HostileVault'
    New-Item -ItemType Directory -Path (Join-Path $vaultModule 'HostileVault.Extension') -Force | Out-Null
    Set-Content -Path (Join-Path $vaultModule 'HostileVault.psd1') -Value @'
@{ ModuleVersion = '1.0.0'; GUID = '6a1e2f33-7c4b-4d8e-a9f0-1b2c3d4e5f60'; NestedModules = @('./HostileVault.Extension')
   FunctionsToExport = @(); CmdletsToExport = @(); VariablesToExport = @(); AliasesToExport = @() }
'@
    Set-Content -Path (Join-Path $vaultModule 'HostileVault.Extension/HostileVault.Extension.psd1') -Value @'
@{ ModuleVersion = '1.0.0'; GUID = '7b2f3a44-8d5c-4e9f-b0a1-2c3d4e5f6071'; RootModule = 'HostileVault.Extension.psm1'
   FunctionsToExport = @('Get-Secret', 'Get-SecretInfo', 'Set-Secret', 'Set-SecretInfo', 'Remove-Secret', 'Test-SecretVault')
   CmdletsToExport = @(); VariablesToExport = @(); AliasesToExport = @() }
'@
    Set-Content -Path (Join-Path $vaultModule 'HostileVault.Extension/HostileVault.Extension.psm1') -Value @'
# -VaultParameters @{ Folder = <dir> }. Secrets are files in Folder (plain text: a test vault). Each call is logged to
# Folder/calls.log, and the words in Folder/mode (read at every call) make the ITwinAuthToken-* entries misbehave:
#   hang-read hang-write hang-remove   wait 60 s in PowerShell code (a stopped pipeline ends the wait)
#   fail-read fail-write fail-remove   throw the text of Folder/reason
#   read:<kind>                        Get-Secret returns that instead of what was stored (see below)
function Get-Mode($p) { $f = Join-Path $p.Folder 'mode'; if (Test-Path $f) { @((Get-Content $f -Raw) -split '\s+' | Where-Object { $_ }) } else { @() } }
function Write-CallLog($Line, $p) { Add-Content -Path (Join-Path $p.Folder 'calls.log') -Value $Line }
function Get-Reason($p) { $f = Join-Path $p.Folder 'reason'; if (Test-Path $f) { Get-Content $f -Raw } else { 'The vault failed (simulated).' } }
function Get-SecretPath($Name, $p) { Join-Path $p.Folder ('secret-' + [uri]::EscapeDataString($Name) + '.json') }
function Read-Stored($Name, $p) {
    $path = Get-SecretPath $Name $p
    if (-not (Test-Path $path)) { return }
    $e = Get-Content $path -Raw | ConvertFrom-Json
    switch ($e.Type) {
        'SecureString' { ConvertTo-SecureString $e.Value -AsPlainText -Force }
        'PSCredential' { [pscredential]::new($e.User, (ConvertTo-SecureString $e.Value -AsPlainText -Force)) }
        default { $e.Value }
    }
}

function Get-Secret {
    param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    $p = $AdditionalParameters; $mode = Get-Mode $p
    Write-CallLog "Get-Secret $Name" $p
    if ($Name -like 'ITwinAuthToken-*') {
        if ($mode -contains 'hang-read') { Start-Sleep -Seconds 60 }
        if ($mode -contains 'fail-read') { throw (Get-Reason $p) }
        $kind = @($mode | Where-Object { $_ -like 'read:*' }) | Select-Object -First 1
        if ($kind) {
            switch ($kind.Substring(5)) {
                'several' { 'not an entry'; 'another one'; (Read-Stored $Name $p) }
                'pscustomobject' { [pscustomobject]@{ v = 1; token = 'pscustomobject-token' } }
                'int' { 42 }
                'datetime' { [datetime]::UtcNow }
                'bytes' { , [byte[]](1..16) }
                'emptysecure' { [securestring]::new() }
                'hugestring' { 'x' * 70000 }
                'hugesecure' { ConvertTo-SecureString ('x' * 65536) -AsPlainText -Force }
                'credential' { [pscredential]::new('user', (ConvertTo-SecureString 'password' -AsPlainText -Force)) }
                'hashtable' { @{ v = 1; token = 'hashtable-token' } }
                'array' { , @('a', 'b') }
                'scriptblock' { { 'script' } }
                'escape' { "`e[2J`e]52;c;SGk=`a$([char]0x202e)WARNING: FORGED`r`n$([char]0x9b)2J" }
                'json-escape' { ConvertTo-SecureString ('{"v":1,"name":"' + $Name + '","token":"x\u001b[2J\u202eFORGED"}') -AsPlainText -Force }
                default { throw "HostileVault: no kind $kind" }
            }
            return
        }
    }
    Read-Stored $Name $p
}

function Get-SecretInfo {
    param([string] $Filter, [string] $VaultName, [hashtable] $AdditionalParameters)
    Write-CallLog "Get-SecretInfo $Filter" $AdditionalParameters
    foreach ($file in @(Get-ChildItem -Path $AdditionalParameters.Folder -Filter 'secret-*.json')) {
        $name = [uri]::UnescapeDataString($file.BaseName.Substring(7))
        if ($name -notlike $Filter) { continue }
        $e = Get-Content $file.FullName -Raw | ConvertFrom-Json
        $type = if ($e.Type -in 'SecureString', 'PSCredential', 'String') { $e.Type } else { 'Unknown' }
        [Microsoft.PowerShell.SecretManagement.SecretInformation]::new($name, [Microsoft.PowerShell.SecretManagement.SecretType]::$type, $VaultName)
    }
}

function Set-Secret {
    param([string] $Name, [object] $Secret, [string] $VaultName, [hashtable] $AdditionalParameters, [hashtable] $Metadata)
    $p = $AdditionalParameters; $mode = Get-Mode $p
    Write-CallLog "Set-Secret $Name" $p
    if ($Name -like 'ITwinAuthToken-*') {
        if ($mode -contains 'hang-write') { Start-Sleep -Seconds 60 }
        if ($mode -contains 'fail-write') { throw (Get-Reason $p) }
    }
    $entry = switch ($Secret) {
        { $_ -is [securestring] } { @{ Type = 'SecureString'; Value = [Net.NetworkCredential]::new('', $_).Password }; break }
        { $_ -is [pscredential] } { @{ Type = 'PSCredential'; User = $_.UserName; Value = $_.GetNetworkCredential().Password }; break }
        default { @{ Type = 'String'; Value = "$_" } }
    }
    $entry | ConvertTo-Json -Compress | Set-Content -Path (Get-SecretPath $Name $p) -NoNewline
    $true
}

function Set-SecretInfo {
    param([string] $Name, [hashtable] $Metadata, [string] $VaultName, [hashtable] $AdditionalParameters)
}

function Remove-Secret {
    param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    $p = $AdditionalParameters; $mode = Get-Mode $p
    Write-CallLog "Remove-Secret $Name" $p
    if ($Name -like 'ITwinAuthToken-*') {
        if ($mode -contains 'hang-remove') { Start-Sleep -Seconds 60 }
        if ($mode -contains 'fail-remove') { throw (Get-Reason $p) }
    }
    Remove-Item -Path (Get-SecretPath $Name $p) -ErrorAction Ignore
    $true
}

function Test-SecretVault {
    param([string] $VaultName, [hashtable] $AdditionalParameters)
    $true
}
'@

    # Prepended to every case: the hostile vault (Hostile) in a folder of the child's HOME, and helpers.
    $prelude = @'
$vaultFolder = Join-Path $HOME 'hostile-vault'
New-Item -ItemType Directory -Path $vaultFolder -Force | Out-Null
if (-not (Get-SecretVault -Name Hostile -ErrorAction Ignore)) { Register-SecretVault -Name Hostile -ModuleName $env:HOSTILE_VAULT -VaultParameters @{ Folder = $vaultFolder } }
function Set-VaultMode([string] $Mode) { Set-Content -Path (Join-Path $vaultFolder 'mode') -Value $Mode }
function Set-VaultReason([string] $Reason) { Set-Content -Path (Join-Path $vaultFolder 'reason') -Value $Reason -NoNewline }
function Get-HostileCall {
    $log = Join-Path $vaultFolder 'calls.log'
    $calls = @(if (Test-Path $log) { Get-Content $log })
    Remove-Item $log -ErrorAction Ignore
    , $calls
}
function Get-PlainToken($Token) { [System.Net.NetworkCredential]::new('', $Token.Token).Password }
$share = @{ Credential = $app; ShareTokenVault = 'Hostile' } + $at
# What the attack suite refuses in any stream (tests/Pester/Attack.Tests.ps1): C0 but tab, DEL, C1, U+2028/9, bidi controls.
$unshowable = '[\x00-\x08\x0A-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069]'
'@
    $childEnvironment = @{
        APP_ID = $app.ClientId; APP_SECRET = $app.Secret; OTHER_ID = $app.ClientId; OTHER_SECRET = $app.Secret
        AUTHORITY = $emulator.Authority; API = $emulator.ApiBaseUri; HOSTILE_VAULT = $vaultModule
        # The lock folder is $HOME/.local/share/ITwinAuth/locks, the child's own: never the runner's runtime folder.
        XDG_RUNTIME_DIR = ''
    }
    function Invoke-Case([string] $Script, [string] $HomePath, [int] $TimeoutSeconds = 120) {
        Invoke-VaultCase -Script ($prelude + "`n" + $Script) -Environment $childEnvironment -HomePath $HomePath -TimeoutSeconds $TimeoutSeconds
    }
    function Get-TokenRequests { (Get-EmulatorStats -Emulator $emulator).tokenRequests }
}
AfterAll {
    if ($emulator) { Stop-ITwinEmulator -Emulator $emulator }
    if ($vaultRoot) { Remove-Item $vaultRoot -Recurse -Force -ErrorAction Ignore }
}

Describe 'The shared token cache under attack' -Tag CoreOnly, SharedAttack {
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It 'whatever a vault returns under the entry''s name (several objects, odd types, a byte[], an empty or a 65,536-character SecureString, escapes) never fails a sign-in, is never used, and is replaced' {
        $kinds = 'several', 'pscustomobject', 'int', 'datetime', 'bytes', 'emptysecure', 'hugestring', 'hugesecure', 'credential', 'hashtable', 'array', 'scriptblock', 'escape', 'json-escape'
        $result = Invoke-Case -Script (@'
$rows = foreach ($kind in $env:KINDS -split ',') {
    Set-VaultMode "read:$kind"
    Clear-ITwinTokenCache -WarningAction SilentlyContinue
    $null = Get-HostileCall
    $Error.Clear()
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $warnings = $null; $failure = $null; $token = $null
    # Dot-sourced, so that $token and $failure are this scope's.
    $lines = . { try { $token = Get-ITwinServiceToken @share -Verbose -WarningVariable +warnings -WarningAction SilentlyContinue } catch { $failure = $_ } } 4>&1 | ForEach-Object { "$_" }
    [pscustomobject]@{
        Kind = $kind; Seconds = $watch.Elapsed.TotalSeconds; Failure = "$failure"; Errors = $Error.Count
        Token = $null -ne $token; Shared = [bool]$token.FromSharedCache; Plain = $(if ($token) { Get-PlainToken $token })
        Warnings = @($warnings | ForEach-Object { "$_" }); Reason = @($lines | Where-Object { $_ -match 'is not used' }) -join ' | '
        Unshowable = @(@($lines) + @($warnings | ForEach-Object { "$_" }) | Where-Object { $_ -match $unshowable }).Count
        Calls = Get-HostileCall
    }
}
Write-Result @{ Rows = @($rows) }
'@ -replace '\$env:KINDS', "'$($kinds -join ',')'")
        $result.Rows.Count | Should -Be $kinds.Count
        foreach ($row in $result.Rows) {
            $row.Failure | Should -BeNullOrEmpty -Because "a vault answering $($row.Kind) must not fail the sign-in"
            $row.Errors | Should -Be 0 -Because "$($row.Kind): nothing in `$Error"
            $row.Token | Should -BeTrue -Because $row.Kind
            $row.Shared | Should -BeFalse -Because "$($row.Kind) is no shared token"
            $row.Plain | Should -Not -BeIn @('pscustomobject-token', 'hashtable-token', 'script', 'not an entry', 'x') -Because $row.Kind
            # SecretManagement itself refuses some types (several objects, an Int32, a DateTime...): a failure of
            # the vault, warned about once per vault per process, then verbose. The others are replaced silently.
            @($row.Warnings | Where-Object { $_ -notmatch 'is of invalid type' }) | Should -BeNullOrEmpty -Because "$($row.Kind) is replaced without a warning (docs/SHARED-TOKEN.md)"
            $row.Unshowable | Should -Be 0 -Because "$($row.Kind): no control or bidi character reaches a line"
            $row.Seconds | Should -BeLessThan 10 -Because "$($row.Kind) costs no wait"
            @($row.Calls | Where-Object { $_ -like 'Set-Secret ITwinAuthToken-*' }).Count | Should -Be 1 -Because "$($row.Kind) is replaced once"
            @($row.Calls | Where-Object { $_ -like 'Get-Secret ITwinAuthToken-*' }).Count | Should -BeLessOrEqual 2 -Because "$($row.Kind): the vault is not read again and again"
        }
        @($result.Rows.Warnings | Where-Object { $_ }).Count | Should -BeLessOrEqual 1 -Because 'one warning per vault per process'
        ($result.Rows | Where-Object Kind -eq 'bytes').Reason | Should -Match 'a byte array'
        ($result.Rows | Where-Object Kind -eq 'credential').Reason | Should -Match 'a PSCredential'
    }

    It 'a vault that hangs on read, on write and on remove: a sign-in ends within 15 + 10 s with one warning; Disconnect-ITwin then calls it not at all (no entry was ever found or written there); Clear-ITwinTokenCache of a written entry ends within 10 s and a lock wait' {
        $before = Get-TokenRequests
        $result = Invoke-Case -TimeoutSeconds 150 -Script @'
Set-VaultMode 'hang-read hang-write hang-remove'
$watch = [Diagnostics.Stopwatch]::StartNew()
$token = Get-ITwinServiceToken @share -WarningVariable signInWarnings -WarningAction SilentlyContinue
$signIn = $watch.Elapsed.TotalSeconds
$watch.Restart()
Disconnect-ITwin -WarningVariable disconnectWarnings -WarningAction SilentlyContinue
$disconnect = $watch.Elapsed.TotalSeconds
Set-VaultMode 'hang-remove'
$token = Get-ITwinServiceToken @share -WarningAction SilentlyContinue
$watch.Restart()
Clear-ITwinTokenCache -WarningVariable clearWarnings -WarningAction SilentlyContinue
$clear = $watch.Elapsed.TotalSeconds
Write-Result @{
    Token = $null -ne $token; SignIn = $signIn; Disconnect = $disconnect; Clear = $clear
    SignInWarnings = @($signInWarnings | ForEach-Object { "$_" }); DisconnectWarnings = @($disconnectWarnings | ForEach-Object { "$_" })
    ClearWarnings = @($clearWarnings | ForEach-Object { "$_" }); Errors = $Error.Count
}
'@
        $result.Token | Should -BeTrue
        $result.Errors | Should -Be 0
        $result.SignIn | Should -BeLessThan 29 -Because 'docs/SHARED-TOKEN.md: a hung vault delays a renewal by at most 25 s'
        $result.SignIn | Should -BeGreaterThan 14 -Because 'the read is given up at the 15 s budget, not at once (else the test tests nothing)'
        $result.SignInWarnings.Count | Should -Be 1 -Because 'one warning per vault per process'
        $result.SignInWarnings[0] | Should -Match 'did not|in time|within'
        $result.Disconnect | Should -BeLessThan 5 -Because 'the vault never showed or took an entry: there is nothing of this process''s to remove, so it is not called'
        $result.DisconnectWarnings | Should -BeNullOrEmpty
        $result.Clear | Should -BeLessThan 14 -Because 'the removal has 10 s (and the lock 1 s)'
        $result.ClearWarnings | Should -Match 'could not be removed'
        $result.ClearWarnings | Should -Match 'Remove-Secret -Name ITwinAuthToken-[0-9a-f]{32}'
        (Get-TokenRequests) - $before | Should -Be 2 -Because 'each sign-in asked the authority once, whatever the vault did'
    }

    It 'Ctrl+C (PowerShell.Stop) in the middle of a shared renewal, with other runspaces waiting on the same token: the stop is prompt, the others get one token, nobody gets a raw exception' {
        $before = Get-TokenRequests
        $result = Invoke-Case -Script @'
Set-VaultMode 'hang-read'
$command = "`$c = [pscredential]::new('$env:APP_ID', (ConvertTo-SecureString '$env:APP_SECRET' -AsPlainText -Force)); " +
    "Get-ITwinServiceToken -Credential `$c -ShareTokenVault Hostile -Authority '$env:AUTHORITY' -ApiBaseUri '$env:API' -Verbose"
# Every runspace imports the module first (a loaded machine can take longer than the renewal's 15 s to
# start one): the waiters then join the renewal within milliseconds of being started.
function New-Ready {
    $ps = [powershell]::Create()
    [void] $ps.AddScript("Import-Module '$env:ITWINAUTH_MODULE'").Invoke()
    $ps.Commands.Clear()
    [void] $ps.AddScript($command)
    $ps
}
function Start-Ready($PS) { [pscustomobject]@{ PS = $PS; Handle = $PS.BeginInvoke() } }
$ready = @(New-Ready; New-Ready; New-Ready)
$starter = Start-Ready $ready[0]
$deadline = [DateTime]::UtcNow.AddSeconds(60)
while (-not (@(Get-HostileCall) -like 'Get-Secret ITwinAuthToken-*') -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
$waiting = @(Start-Ready $ready[1]; Start-Ready $ready[2])
foreach ($w in $waiting) {
    while (-not (@($w.PS.Streams.Verbose) -match 'Joining the token request already under way') -and -not $w.Handle.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
}
$joined = @($waiting | Where-Object { @($_.PS.Streams.Verbose) -match 'Joining the token request already under way' }).Count
$watch = [Diagnostics.Stopwatch]::StartNew()
$starter.PS.Stop()
$stopSeconds = $watch.Elapsed.TotalSeconds
$answers = foreach ($w in $waiting) {
    $out = $null; $thrown = $null
    try { $out = $w.PS.EndInvoke($w.Handle) } catch { $thrown = $_.Exception.GetBaseException() }
    [pscustomobject]@{
        Token = $(if ($out) { Get-PlainToken $out[0] }); Thrown = $(if ($thrown) { $thrown.GetType().FullName + ': ' + $thrown.Message })
        Errors = @($w.PS.Streams.Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $($_.Exception.GetType().FullName)" })
        Warnings = @($w.PS.Streams.Warning | ForEach-Object { "$_" })
    }
}
$afterStop = $watch.Elapsed.TotalSeconds
$starterErrors = @($starter.PS.Streams.Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $($_.Exception.GetType().FullName)" })
Write-Result @{
    Joined = $joined; StopSeconds = $stopSeconds; AfterStop = $afterStop; State = "$($starter.PS.InvocationStateInfo.State)"
    StarterErrors = $starterErrors; Answers = @($answers); Again = (Get-PlainToken (Get-ITwinServiceToken @share -WarningAction SilentlyContinue))
}
'@
        $result.Joined | Should -Be 2 -Because 'both runspaces must have joined the renewal before the stop (else the test tests nothing)'
        $result.State | Should -Be 'Stopped'
        $result.StopSeconds | Should -BeLessThan 5
        $result.StarterErrors | Should -BeNullOrEmpty
        foreach ($answer in $result.Answers) {
            $answer.Thrown | Should -BeNullOrEmpty
            $answer.Errors | Should -BeNullOrEmpty
            $answer.Token | Should -Not -BeNullOrEmpty
        }
        @($result.Answers.Token | Select-Object -Unique).Count | Should -Be 1 -Because 'one renewal for everyone waiting on it'
        $result.AfterStop | Should -BeLessThan 20 -Because 'the waiting runspaces are answered within the budget, not after the vault''s 60 s'
        $result.Again | Should -Be $result.Answers[0].Token -Because 'the token is in memory afterwards'
        (Get-TokenRequests) - $before | Should -Be 1
    }

    It 'Ctrl+C (PowerShell.Stop) on a Disconnect-ITwin waiting on a vault that hangs on remove: the stop is prompt, raises nothing raw, and the connection is forgotten (found: DisconnectITwinCommand.cs:31-33 forgets the connection only after the vault''s removal)' {
        $result = Invoke-Case -Script @'
$null = Get-ITwinServiceToken @share
Set-VaultMode 'hang-remove'
$null = Get-HostileCall
$ps = [powershell]::Create()
[void] $ps.AddScript("Import-Module '$env:ITWINAUTH_MODULE'; Disconnect-ITwin -WarningAction SilentlyContinue")
$handle = $ps.BeginInvoke()
$deadline = [DateTime]::UtcNow.AddSeconds(60)
while (-not (@(Get-HostileCall) -like 'Remove-Secret ITwinAuthToken-*') -and -not $handle.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
$watch = [Diagnostics.Stopwatch]::StartNew()
$ps.Stop()
$stopSeconds = $watch.Elapsed.TotalSeconds
Write-Result @{
    StopSeconds = $stopSeconds; State = "$($ps.InvocationStateInfo.State)"
    Errors = @($ps.Streams.Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $($_.Exception.GetType().FullName)" })
    Reason = "$($ps.InvocationStateInfo.Reason)"
    Connected = $null -ne (Get-ITwinConnection)
}
'@
        $result.State | Should -Be 'Stopped'
        $result.StopSeconds | Should -BeLessThan 5
        $result.Errors | Should -BeNullOrEmpty
        $result.Reason | Should -Not -Match 'OperationCanceled|TaskCanceled'
        $result.Connected | Should -BeFalse -Because 'a Disconnect-ITwin stopped while the vault is slow must still forget the connection: the next command would otherwise sign in again from the secret and share a new token'
    }

    It 'a 401 from the API on a shared token is renewed once, promptly (found: 7 s waiting for the vault to show the rejected token, SharedTokenCache.cs:104-124)' {
        $homePath = New-VaultHome
        try {
            # The first process shares a token (and leaves its lock note); the second reads it, and the API rejects it.
            $first = Invoke-Case -HomePath $homePath -Script @'
$token = Get-ITwinServiceToken @share
Write-Result @{ Shared = [bool]$token.FromSharedCache }
'@
            $first.Shared | Should -BeFalse
            $before = Get-TokenRequests
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 401; times = 1 })
            $second = Invoke-Case -HomePath $homePath -Script @'
$null = Get-HostileCall
$shared = (Get-ITwinServiceToken @share).FromSharedCache
$watch = [Diagnostics.Stopwatch]::StartNew()
$me = Get-ITwinMe -Verbose 4>&1 | ForEach-Object { $_ }
$seconds = $watch.Elapsed.TotalSeconds
Write-Result @{
    Shared = $shared; Seconds = $seconds; Me = @($me | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).Count
    Waited = @($me | Where-Object { "$_" -match 'did not show the stored token' }).Count
    Reads = @(Get-HostileCall | Where-Object { $_ -like 'Get-Secret ITwinAuthToken-*' }).Count
}
'@
            $second.Shared | Should -BeTrue
            $second.Me | Should -Be 1
            (Get-TokenRequests) - $before | Should -Be 1 -Because 'the rejected token is replaced exactly once'
            $second.Reads | Should -BeLessOrEqual 3 -Because 'sign-in, then at most the renewal''s read and one after the lock'
            $second.Waited | Should -Be 0 -Because 'the vault already shows the token; it is the rejected one'
            $second.Seconds | Should -BeLessThan 4 -Because 'the emulator answers at once: a 401 costs one token request, not a 7 s wait'
        }
        finally {
            Clear-EmulatorFault -Emulator $emulator
            Remove-Item $homePath -Recurse -Force -ErrorAction Ignore
        }
    }

    It 'a vault''s failure text reaches a warning or a verbose line without control characters, bidirectional overrides or line separators' {
        $result = Invoke-Case -Script @'
Set-VaultReason "Backend`e[2J down$([char]0x202e)txt.exe$([char]0x202c) $([char]0x2066)x$([char]0x2069)$([char]0x2028)WARNING: FORGED BY VAULT$([char]0x9b)31m"
Set-VaultMode 'fail-read fail-write fail-remove'
$token = Get-ITwinServiceToken @share -Verbose -WarningVariable w -WarningAction SilentlyContinue 4>&1 | ForEach-Object { $_ }
Disconnect-ITwin -Verbose -WarningVariable +w -WarningAction SilentlyContinue 4>&1 | Out-Null
$texts = @($w | ForEach-Object { "$_" }) + @($token | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object { "$_" })
Write-Result @{
    Token = @($token | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).Count
    Warnings = @($w | ForEach-Object { "$_" })
    Bad = @($texts | Where-Object { $_ -match $unshowable } | ForEach-Object { $_ -replace '[\x00-\x1F\x7F-\x9F\u2028\u2029\u202A-\u202E\u2066-\u2069]', '<?>' })
}
'@
        $result.Token | Should -Be 1
        $result.Warnings.Count | Should -Be 1 -Because 'one warning for the vault (then verbose); no removal is tried of an entry the vault never showed or took'
        $result.Warnings | Should -Match 'Backend'
        $result.Bad | Should -BeNullOrEmpty -Because 'a vault''s text must reach a warning as ServerText makes a server''s: without bidirectional overrides or line separators'
    }

    It 'a vault name with a bidirectional override: refused as -ShareTokenVault (InvalidParameter); a registered one the secret came from (-ShareToken) reaches no line and not the connection''s view' {
        $result = Invoke-Case -Script @'
$registered = "Vault$([char]0x202e)lmx.exe"
Register-SecretVault -Name $registered -ModuleName $env:HOSTILE_VAULT -VaultParameters @{ Folder = $vaultFolder }
$refused = foreach ($name in $registered, "No$([char]0x202e)SuchVault") {
    try { Get-ITwinServiceToken -Credential $app -ShareTokenVault $name @at | Out-Null; 'accepted' } catch { $_.FullyQualifiedErrorId }
}
Set-Secret -Name app -Vault $registered -Secret $app
$token = Get-ITwinServiceToken -Vault $registered -SecretName app -ShareToken @at -Verbose -WarningVariable w -WarningAction SilentlyContinue 4>&1 | ForEach-Object { $_ }
$view = (Get-ITwinConnection | Format-List * | Out-String -Width 400) + (Get-ITwinConnection | Out-String -Width 400)
Write-Result @{
    Refused = @($refused)
    Token = @($token | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).Count
    Lines = @(@($w) + @($token | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) | Where-Object { "$_" -match $unshowable }).Count
    View = @($view -split "`r?`n" | Where-Object { $_ -match $unshowable } | ForEach-Object { $_ -replace '[\u202A-\u202E\u2066-\u2069]', '<BIDI>' })
    Property = (Get-ITwinConnection).SharedTokenVault -replace '[\u202A-\u202E\u2066-\u2069]', '<BIDI>'
}
'@
        $result.Refused | ForEach-Object { $_ | Should -BeLike 'InvalidParameter,*' }
        $result.Token | Should -Be 1
        $result.Lines | Should -Be 0 -Because 'CommandLog passes every line through ServerText'
        $result.View | Should -BeNullOrEmpty -Because "Get-ITwinConnection's view must not carry a bidirectional override (SharedTokenVault: $($result.Property))"
        $result.Property | Should -Not -BeNullOrEmpty -Because 'the token is shared through the vault the secret came from'
    }

    It 'no token or secret in any stream (-Verbose -Debug), $Error, a transcript, a warning or the lock file, across sharing, reading, a 401 and Disconnect-ITwin' {
        $homePath = New-VaultHome
        try {
            $scan = @'
$transcript = Join-Path $HOME "transcript-$PID.txt"
$Error.Clear()
$VerbosePreference = 'Continue'; $DebugPreference = 'Continue'; $InformationPreference = 'Continue'
Start-Transcript -Path $transcript -Force | Out-Null
$tokens = [System.Collections.Generic.List[string]]::new()
$captured = & {
    $t = Get-ITwinServiceToken @share -Verbose -Debug; $tokens.Add((Get-PlainToken $t)); $t; "$t"; $t | Format-List *; $t.Claims | Format-List *
    Connect-ITwin @share -Verbose -Debug | Format-List *
    Get-ITwinConnection | Format-List *
    Get-ITwinMe -Verbose -Debug | Format-List *
    $t = Get-ITwinServiceToken -Verbose -Debug; $tokens.Add((Get-PlainToken $t))
    if ($env:DISCONNECT) { Disconnect-ITwin -Verbose -Debug }
} *>&1 | Out-String -Width 400
Stop-Transcript | Out-Null
$VerbosePreference = 'SilentlyContinue'; $DebugPreference = 'SilentlyContinue'; $InformationPreference = 'SilentlyContinue'
$locks = @(Get-ChildItem (Join-Path $HOME '.local/share/ITwinAuth/locks') -Filter *.lock -ErrorAction Ignore)
$haystacks = [ordered]@{
    Streams = $captured; Transcript = Get-Content $transcript -Raw
    Errors = ($Error | ForEach-Object { $_ | Out-String; "$($_.Exception.Message)"; "$($_.TargetObject)" }) -join "`n"
    LockFiles = ($locks | ForEach-Object { Get-Content $_.FullName -Raw }) -join "`n"
}
$needles = [ordered]@{ Secret = $env:APP_SECRET }
for ($i = 0; $i -lt $tokens.Count; $i++) { $needles["Token$i"] = $tokens[$i] }
Write-Result @{
    Shared = $tokens.Count; Locks = $locks.Count; Errors = $Error.Count
    Found = @(foreach ($place in $haystacks.Keys) { foreach ($name in $needles.Keys) { if ("$($haystacks[$place])".Contains($needles[$name])) { "$name in $place" } } })
    Unshowable = @($captured -split "`r?`n" | Where-Object { $_ -match $unshowable }).Count
    Verbose = $captured -match 'Shared the new token|Using the shared token'
}
'@
            $first = Invoke-Case -HomePath $homePath -Script $scan
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 401; times = 1 })
            $second = Invoke-Case -HomePath $homePath -Script ('$env:DISCONNECT = 1' + "`n" + $scan)
            foreach ($run in $first, $second) {
                $run.Verbose | Should -BeTrue -Because 'the scan must have seen the shared cache''s verbose lines'
                $run.Locks | Should -Be 1 -Because 'the scan must have read the lock file'
                $run.Errors | Should -Be 0
                $run.Found | Should -BeNullOrEmpty -Because 'no token or secret may be in a stream, $Error, the transcript or the lock file'
                $run.Unshowable | Should -Be 0
            }
        }
        finally {
            Clear-EmulatorFault -Emulator $emulator
            Remove-Item $homePath -Recurse -Force -ErrorAction Ignore
        }
    }
}
