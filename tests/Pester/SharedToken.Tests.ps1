# Issue 25: the token cache shared through a SecretManagement vault (-ShareToken, -ShareTokenVault),
# against the real Microsoft.PowerShell.SecretManagement and SecretStore, in fresh pwsh processes. What
# is shared is counted where it cannot be faked: at the emulator's token endpoint (every request that
# reached it), never by the module's own flags alone.
# - 20 processes started at once on one SecretStore ask for one token; 20 more ask for none. The renewal
#   lock's protocol step by step: a process that waited for the lock, and one that found no entry and then
#   took a free lock, both use the entry another process wrote meanwhile.
# - An entry that is not a usable token of this app (a PSCredential, a Hashtable, garbage, another app's
#   entry, another client id's token, an expired one) is replaced without an error, for one token request.
# - A vault that fails to write, or fails altogether, is one warning per process; one that hangs is bounded.
# - Disconnect-ITwin and Clear-ITwinTokenCache remove the entry; -ShareToken needs a vault.
# - No token and no secret in any stream, $Error, a transcript, the connection or the entry's metadata.
# The processes of a test share a HOME (tests/Vaults/VaultTests.psm1 New-VaultHome: one vault registry,
# one SecretStore) and have XDG_RUNTIME_DIR in it, so the renewal locks (MachineLock) are the test's own.
# Tagged CoreOnly for the reason docs/EDITIONS.md gives for SecretVaults.Tests.ps1 (the vault code has no
# edition-specific path; some fifty child processes); without the real modules every test is reported as
# skipped, with the reason. Timings are printed (SharedToken: ...): the 20 + 20 processes are most of them.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module (Join-Path $PSScriptRoot '../Vaults/VaultTests.psm1') -Force
    $realSkip = Get-RealVaultSkipReason
    if ($realSkip) {
        Write-Host "SharedToken.Tests.ps1: every test is skipped: $realSkip" -ForegroundColor Yellow
        return
    }
    $fileWatch = [Diagnostics.Stopwatch]::StartNew()
    $emulator = Start-ITwinEmulator
    $app = New-TestApp -Emulator $emulator
    $other = New-TestApp -Emulator $emulator
    $email = "$($app.ClientId)@apps.imsoidc.bentley.com"
    $homes = [Collections.Generic.List[string]]::new()
    $childEnvironment = @{
        APP_ID = $app.ClientId; APP_SECRET = $app.Secret; OTHER_ID = $other.ClientId; OTHER_SECRET = $other.Secret
        AUTHORITY = $emulator.Authority; API = $emulator.ApiBaseUri; TESTS = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
    }

    # What every child script starts with (after tests/Vaults/VaultCase.ps1): the count of token
    # requests at the emulator, read by the child itself around each sign-in.
    $prelude = @'
Import-Module (Join-Path $env:TESTS 'Emulator.psm1')
$emulatorAt = [pscustomobject]@{ Authority = $env:AUTHORITY; ApiBaseUri = $env:API }
function Get-TokenRequestCount { (Get-EmulatorStats -Emulator $emulatorAt).tokenEndpointRequests }
function Get-SharedName { @(Get-SecretInfo -Vault Store -Name 'ITwinAuthToken-*' | ForEach-Object Name) }

'@

    # A HOME for the processes of one test, deleted in AfterAll.
    function New-SharedHome {
        $path = New-VaultHome
        $homes.Add($path)
        $path
    }

    # The child's environment: the apps, the emulator, the renewal locks in its HOME, and on PSModulePath
    # this file's test vaults (below), tests/Vaults (TestFileVault) and the real SecretManagement.
    function Get-ChildSettings([string] $HomePath, [hashtable] $With = @{}) {
        $settings = $childEnvironment.Clone()
        $settings.XDG_RUNTIME_DIR = $HomePath
        $settings.PSModulePath = (@($vaultModules, (Join-Path $PSScriptRoot '../Vaults'), $env:ITWINAUTH_SECRETMANAGEMENT_MODULES, $env:PSModulePath) |
                Where-Object { $_ }) -join [IO.Path]::PathSeparator
        foreach ($entry in $With.GetEnumerator()) { $settings[$entry.Key] = $entry.Value }
        $settings
    }

    # One child (tests/Vaults/VaultTests.psm1 Invoke-VaultCase), in -HomePath, after the prelude.
    function Invoke-Case([Parameter(Mandatory)] [string] $HomePath, [Parameter(Mandatory)] [string] $Script, [hashtable] $With = @{}) {
        Invoke-VaultCase -Script ($prelude + $Script) -Environment (Get-ChildSettings $HomePath $With) -HomePath $HomePath
    }

    # The emulator's own count: every request that reached its token endpoint.
    function Get-TokenRequestCount { (Get-EmulatorStats -Emulator $emulator).tokenEndpointRequests }

    # -Count fresh pwsh processes of one script file, started together, all in -HomePath. With
    # -Barrier each waits, modules loaded, for one line on its standard input, which all get at the same
    # moment once all are ready: their sign-ins race. Wait-Fleet waits for them, bounded: a process still
    # running at the deadline is killed and reported. It returns the results (the ##RESULT## line of
    # each, or what the process printed) and the times.
    function Start-Fleet {
        param([Parameter(Mandatory)] [int] $Count, [Parameter(Mandatory)] [string] $HomePath, [Parameter(Mandatory)] [string] $ScriptPath,
            [hashtable] $With = @{}, [switch] $Barrier, [switch] $Hold, [int] $TimeoutSeconds = 150)
        $settings = Get-ChildSettings $HomePath $With
        $settings += @{
            HOME = $HomePath; XDG_DATA_HOME = ''; XDG_CONFIG_HOME = ''; XDG_CACHE_HOME = ''; NO_COLOR = '1'; BARRIER = $(if ($Barrier) { '1' } else { '' })
            ITWIN_CLIENT_ID = ''; ITWIN_CLIENT_SECRET = ''; ITWIN_SCOPE = ''; ITWIN_AUTHORITY = ''; ITWIN_API_BASE_URI = ''
            ITP_SERVICE_CLIENT_ID = ''; ITP_SERVICE_CLIENT_SECRET = ''; ITP_ISSUER_URL = ''; ITP_API_URL = ''
        }
        $pwsh = Get-PwshCommand
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $ScriptPath)
        $fleet = [pscustomobject]@{
            Deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds); Watch = [Diagnostics.Stopwatch]::StartNew(); ReadySeconds = $null; GoSeconds = 0
            Children = @(foreach ($n in 1..$Count) {
                    $process = Start-ChildProcess -FilePath $pwsh[0] -ArgumentList $arguments -Environment $settings -KeepInput:$Barrier
                    [pscustomobject]@{ Process = $process; Err = $process.StandardError.ReadToEndAsync(); Before = [Text.StringBuilder]::new(); Out = $null; Ready = $false }
                })
        }
        if ($Barrier) {
            foreach ($child in $fleet.Children) {
                while ($true) {
                    $read = $child.Process.StandardOutput.ReadLineAsync()
                    if (-not $read.Wait([Math]::Max(0, [int]($fleet.Deadline - [DateTime]::UtcNow).TotalMilliseconds))) { break }
                    if ($null -eq $read.Result) { break }
                    if ($read.Result -eq '##READY##') { $child.Ready = $true; break }
                    [void] $child.Before.AppendLine($read.Result)
                }
            }
            $fleet.ReadySeconds = $fleet.Watch.Elapsed.TotalSeconds
        }
        # -Hold: the caller lets them go (Send-FleetGo), or reads their first lines itself.
        if ($Hold) { return $fleet }
        Send-FleetGo $fleet
    }

    # Lets a fleet's processes go (started with -Barrier -Hold), and reads what they print from then on.
    function Send-FleetGo([Parameter(Mandatory)] $Fleet) {
        foreach ($child in $Fleet.Children) {
            if ($child.Ready) { try { $child.Process.StandardInput.WriteLine('go'); $child.Process.StandardInput.Close() } catch { } }
        }
        $Fleet.GoSeconds = $Fleet.Watch.Elapsed.TotalSeconds
        foreach ($child in $Fleet.Children) { if (-not $child.Out) { $child.Out = $child.Process.StandardOutput.ReadToEndAsync() } }
        $Fleet
    }

    function Wait-Fleet([Parameter(Mandatory)] $Fleet) {
        $killed = 0
        foreach ($child in $Fleet.Children) {
            if (-not $child.Out) { $child.Out = $child.Process.StandardOutput.ReadToEndAsync() }
            if (-not $child.Process.WaitForExit([Math]::Max(0, [int]($Fleet.Deadline - [DateTime]::UtcNow).TotalMilliseconds))) {
                $child.Process.Kill($true)
                $killed++
            }
            $child.Process.WaitForExit()
        }
        $doneSeconds = $Fleet.Watch.Elapsed.TotalSeconds
        $results = foreach ($child in $Fleet.Children) {
            $output = $child.Before.ToString() + $child.Out.Result + $child.Err.Result
            $line = @($output -split "`r?`n" | Where-Object { $_.StartsWith('##RESULT## ') }) | Select-Object -Last 1
            if ($line) { $line.Substring('##RESULT## '.Length) | ConvertFrom-Json | Add-Member -NotePropertyName Output -NotePropertyValue $output -PassThru }
            else { [pscustomobject]@{ Error = "no result (exit code $($child.Process.ExitCode), ready: $($child.Ready))"; Output = $output } }
        }
        [pscustomobject]@{
            Results = @($results); Killed = $killed; Ready = @($Fleet.Children | Where-Object Ready).Count
            StartSeconds = $Fleet.ReadySeconds; RaceSeconds = $doneSeconds - $Fleet.GoSeconds; TotalSeconds = $doneSeconds
        }
    }

    function Invoke-Fleet {
        param([Parameter(Mandatory)] [int] $Count, [Parameter(Mandatory)] [string] $HomePath, [Parameter(Mandatory)] [string] $ScriptPath,
            [hashtable] $With = @{}, [switch] $Barrier, [int] $TimeoutSeconds = 150)
        Wait-Fleet (Start-Fleet @PSBoundParameters)
    }

    # The fleet's script: sign in with the app from the shared SecretStore and call the API once, with
    # every warning counted (-WarningVariable) and the verbose lines about the shared token kept.
    $scripts = New-SharedHome
    $fleetScript = Join-Path $scripts 'SharedFleet.ps1'
    Set-Content -Path $fleetScript -Value @'
$ErrorActionPreference = 'Stop'
Import-Module $env:ITWINAUTH_MODULE
Import-Module Microsoft.PowerShell.SecretManagement
if ($env:BARRIER) { '##READY##'; $null = [Console]::In.ReadLine() }
$watch = [Diagnostics.Stopwatch]::StartNew()
$result = [ordered]@{ Pid = $PID; Error = $null; Warnings = @(); Shared = @() }
try {
    # The verbose lines are kept, and printed as they come: a process that dies shows how far it got.
    Connect-ITwin -Vault Store -SecretName app -ShareToken -Authority $env:AUTHORITY -ApiBaseUri $env:API -Verbose -WarningVariable signInWarnings 4>&1 |
        ForEach-Object { "$_" } | Tee-Object -Variable verbose | ForEach-Object { "##VERBOSE## $_"; [Console]::Out.Flush() }
    $result.SignInSeconds = $watch.Elapsed.TotalSeconds
    $result.Email = (Get-ITwinMe -WarningVariable meWarnings).Email
    # FromSharedCache describes one call: the sign-in's token is not output by Connect-ITwin, and a later
    # Get-ITwinServiceToken is an in-memory cache hit. The sign-in's verbose line says where its token came from.
    $result.FromSharedCache = [bool]($verbose | Where-Object { "$_" -match '^Using the shared token' })
    $result.SharedTokenVault = (Get-ITwinConnection).SharedTokenVault
    $result.Warnings = @(@($signInWarnings) + @($meWarnings) | Where-Object { $_ } | ForEach-Object { "$_" })
    $result.Shared = @($verbose | Where-Object { "$_" -match 'shared token|renewal lock|Another process' } | ForEach-Object { "$_" })
    $result.Entries = @(Get-SecretInfo -Vault Store -Name 'ITwinAuthToken-*' | ForEach-Object { [ordered]@{ Name = $_.Name; Type = "$($_.Type)"; ClientId = $_.Metadata['ClientId']; Label = $_.Metadata['ITwinAuth'] } })
}
catch {
    $result.Error = "$($_.FullyQualifiedErrorId): $($_.Exception.Message)"
}
$result.Seconds = $watch.Elapsed.TotalSeconds
'##RESULT## ' + (ConvertTo-Json -InputObject $result -Compress -Depth 4)
'@

    # The race's script (the two renewal-lock tests): one sign-in, its verbose lines printed as they come.
    $raceScript = Join-Path $scripts 'SharedRace.ps1'
    Set-Content -Path $raceScript -Value @'
$ErrorActionPreference = 'Stop'
Import-Module $env:ITWINAUTH_MODULE
Import-Module Microsoft.PowerShell.SecretManagement
if ($env:BARRIER) { '##READY##'; $null = [Console]::In.ReadLine() }
$watch = [Diagnostics.Stopwatch]::StartNew()
$result = [ordered]@{ Error = $null }
try {
    # Verbose lines reach the parent as they come: it waits for the one that says this process waits.
    $source = if ($env:SHARED_IN) {
        @{ Credential = [pscredential]::new($env:APP_ID, (ConvertTo-SecureString $env:APP_SECRET -AsPlainText -Force)); ShareTokenVault = $env:SHARED_IN }
    }
    else { @{ Vault = 'Store'; SecretName = 'app'; ShareToken = $true } }
    Connect-ITwin @source -Authority $env:AUTHORITY -ApiBaseUri $env:API -Verbose -WarningVariable warnings 4>&1 |
        ForEach-Object { "$_" } | Tee-Object -Variable verbose | ForEach-Object { "##VERBOSE## $_"; [Console]::Out.Flush() }
    $result.FromSharedCache = [bool]($verbose -match '^Using the shared token')
    $result.Waited = [bool]($verbose -match 'Another process is renewing')
    $result.Shared = @($verbose -match 'shared token|renewal lock')
    $result.Warnings = @($warnings | ForEach-Object { "$_" })
    $token = Get-ITwinServiceToken
    $result.ExpiresOnTicks = $token.ExpiresOn.UtcTicks   # ticks: ConvertFrom-Json would make a date of an ISO string
    $result.Lifetime = [long]($token.ExpiresOn - $token.IssuedOn).TotalSeconds
}
catch { $result.Error = "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" }
$result.Seconds = $watch.Elapsed.TotalSeconds
'##RESULT## ' + (ConvertTo-Json -InputObject $result -Compress -Depth 4)
'@

    # Script extension vaults of this file's own (tests/Vaults/TestFileVault cannot fail Set-Secret, nor
    # be shared by processes), written at the start of the run into a folder on the children's PSModulePath.
    $vaultModules = Join-Path $scripts 'modules'
    function New-TestVaultModule([string] $Name, [string] $Code) {
        $folder = Join-Path $vaultModules $Name
        New-Item -ItemType Directory -Path (Join-Path $folder "$Name.Extension") -Force | Out-Null
        Set-Content (Join-Path $folder "$Name.psd1") "@{ ModuleVersion = '1.0.0'; GUID = '$([guid]::NewGuid())'; NestedModules = @('./$Name.Extension'); FunctionsToExport = @(); CmdletsToExport = @(); VariablesToExport = @(); AliasesToExport = @() }"
        Set-Content (Join-Path $folder "$Name.Extension/$Name.Extension.psd1") "@{ ModuleVersion = '1.0.0'; GUID = '$([guid]::NewGuid())'; RootModule = '$Name.Extension.psm1'; FunctionsToExport = @('Get-Secret', 'Get-SecretInfo', 'Set-Secret', 'Remove-Secret', 'Test-SecretVault'); CmdletsToExport = @(); VariablesToExport = @(); AliasesToExport = @() }"
        Set-Content (Join-Path $folder "$Name.Extension/$Name.Extension.psm1") $Code
    }

    # SharedFailVault: in memory, like TestFileVault; -VaultParameters @{ FailOn = 'Set' } (or 'Get,Set,Remove')
    # makes those operations throw.
    New-TestVaultModule SharedFailVault @'
$script:Store = @{}
function Assert-Works([string] $Operation, [hashtable] $AdditionalParameters) {
    if (@("$($AdditionalParameters.FailOn)" -split ',') -contains $Operation) { throw "The vault backend refused the $Operation (simulated outage)." }
}
function Get-Secret {
    param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    Assert-Works Get $AdditionalParameters
    if ($script:Store.ContainsKey($Name)) { , $script:Store[$Name] }
}
function Get-SecretInfo {
    param([string] $Filter, [string] $VaultName, [hashtable] $AdditionalParameters)
    Assert-Works Get $AdditionalParameters
    foreach ($name in @($script:Store.Keys | Where-Object { $_ -like $Filter } | Sort-Object)) {
        [Microsoft.PowerShell.SecretManagement.SecretInformation]::new($name, [Microsoft.PowerShell.SecretManagement.SecretType]::SecureString, $VaultName)
    }
}
function Set-Secret {
    param([string] $Name, [object] $Secret, [string] $VaultName, [hashtable] $AdditionalParameters, [hashtable] $Metadata)
    Assert-Works Set $AdditionalParameters
    $script:Store[$Name] = $Secret
    $true
}
function Remove-Secret {
    param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    Assert-Works Remove $AdditionalParameters
    $script:Store.Remove($Name)
    $true
}
function Test-SecretVault { param([string] $VaultName, [hashtable] $AdditionalParameters) $true }
'@

    # SharedFileVault: SecureStrings kept as files in -VaultParameters @{ Folder = ... }, read afresh on
    # every call (no cache, unlike SecretStore), so processes share it. A process whose PAUSE_FIRST_READ is
    # set pauses its first Get-Secret after reading the file: it creates "<PAUSE_FIRST_READ>.paused", and
    # answers what it read once "<PAUSE_FIRST_READ>.go" exists (bounded: 60 s).
    $fileVaultCode = @'
$script:Paused = $false
function Get-Path([string] $Name, [hashtable] $AdditionalParameters) { Join-Path $AdditionalParameters.Folder ([uri]::EscapeDataString($Name)) }
function Get-Secret {
    param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    $path = Get-Path $Name $AdditionalParameters
    $text = if (Test-Path $path) { [IO.File]::ReadAllText($path) }
    if ($env:PAUSE_FIRST_READ -and -not $script:Paused) {
        $script:Paused = $true
        $folder = Split-Path $env:PAUSE_FIRST_READ
        $watcher = [IO.FileSystemWatcher]::new($folder, (Split-Path $env:PAUSE_FIRST_READ -Leaf) + '.go')
        try {
            Set-Content "$env:PAUSE_FIRST_READ.paused" ''
            if (-not (Test-Path "$env:PAUSE_FIRST_READ.go")) { $null = $watcher.WaitForChanged([IO.WatcherChangeTypes]::Created, 60000) }
        }
        finally { $watcher.Dispose() }
    }
    if ($null -ne $text) { ConvertTo-SecureString $text -AsPlainText -Force }
}
function Get-SecretInfo {
    param([string] $Filter, [string] $VaultName, [hashtable] $AdditionalParameters)
    foreach ($file in @(Get-ChildItem $AdditionalParameters.Folder -File -ErrorAction Ignore | Sort-Object Name)) {
        $name = [uri]::UnescapeDataString($file.Name)
        if ($name -like $Filter) { [Microsoft.PowerShell.SecretManagement.SecretInformation]::new($name, [Microsoft.PowerShell.SecretManagement.SecretType]::SecureString, $VaultName) }
    }
}
function Set-Secret {
    param([string] $Name, [object] $Secret, [string] $VaultName, [hashtable] $AdditionalParameters, [hashtable] $Metadata)
    New-Item -ItemType Directory -Path $AdditionalParameters.Folder -Force | Out-Null
    $text = if ($Secret -is [securestring]) { ConvertFrom-SecureString $Secret -AsPlainText } else { "$Secret" }
    [IO.File]::WriteAllText((Get-Path $Name $AdditionalParameters), $text)
    $true
}
function Remove-Secret {
    param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    Remove-Item (Get-Path $Name $AdditionalParameters) -ErrorAction Ignore
    $true
}
function Test-SecretVault { param([string] $VaultName, [hashtable] $AdditionalParameters) $true }
'@
    New-TestVaultModule SharedFileVault $fileVaultCode

    # SharedNoMetaVault: SharedFileVault, but its Set-Secret has no -Metadata, so SecretManagement
    # refuses metadata for it (it writes the secret, then removes it, and reports SetSecretMetadataCommandNotSupported).
    $noMetaCode = $fileVaultCode.Replace(', [hashtable] $Metadata)', ')')
    if ($noMetaCode -eq $fileVaultCode) { throw 'SharedNoMetaVault: the Set-Secret of SharedFileVault has changed; this Replace no longer removes -Metadata.' }
    New-TestVaultModule SharedNoMetaVault $noMetaCode
}
AfterAll {
    if ($emulator) { Stop-ITwinEmulator -Emulator $emulator }
    foreach ($path in $homes) { Remove-Item $path -Recurse -Force -ErrorAction Ignore }
    if ($fileWatch) { Write-Host ("SharedToken.Tests.ps1: {0:0.0} s in all" -f $fileWatch.Elapsed.TotalSeconds) -ForegroundColor Cyan }
}

Describe '20 processes started at once share one token through one real SecretStore' -Tag CoreOnly, SharedToken, Vaults {
    BeforeAll {
        if ($realSkip) { return }
        $fleetHome = New-SharedHome
        $setup = Invoke-Case $fleetHome @'
New-Store -Name Store -Default
Set-Secret -Name app -Vault Store -Secret $app
Write-Result @{ Names = @(Get-SecretInfo -Vault Store | ForEach-Object Name) }
'@
        $before = Get-TokenRequestCount
        $first = Invoke-Fleet -Count 20 -HomePath $fleetHome -ScriptPath $fleetScript -Barrier
        $firstRequests = (Get-TokenRequestCount) - $before
        $before = Get-TokenRequestCount
        $second = Invoke-Fleet -Count 20 -HomePath $fleetHome -ScriptPath $fleetScript -Barrier
        $secondRequests = (Get-TokenRequestCount) - $before
        $locks = @(Get-ChildItem (Join-Path $fleetHome 'ITwinAuth') -Filter 'ITwinAuthToken-*.lock' -ErrorAction Ignore | ForEach-Object Name)
        foreach ($run in @{ Name = 'first 20'; Fleet = $first; Requests = $firstRequests }, @{ Name = 'next 20'; Fleet = $second; Requests = $secondRequests }) {
            $fleet = $run.Fleet
            $waited = @($fleet.Results | Where-Object { $_.Shared -match 'Another process is renewing' }).Count
            $sharedUse = @($fleet.Results | Where-Object FromSharedCache).Count
            Write-Host ("SharedToken: {0}: {1} token request(s) at the emulator; {2} s to start ({3} ready), {4:0.0} s from go to the last exit, {5:0.0} s in all; slowest sign-in {6:0.0} s; {7} used the shared entry, {8} waited for the renewal lock, {9} killed, {10} warning(s)" -f
                $run.Name, $run.Requests, [Math]::Round([double]$fleet.StartSeconds, 1), $fleet.Ready, $fleet.RaceSeconds, $fleet.TotalSeconds,
                (@($fleet.Results | ForEach-Object { [double]$_.SignInSeconds }) | Measure-Object -Maximum).Maximum, $sharedUse, $waited, $fleet.Killed,
                @($fleet.Results.Warnings | Where-Object { $_ }).Count) -ForegroundColor Cyan
            foreach ($warning in @($fleet.Results.Warnings | Where-Object { $_ } | Sort-Object -Unique)) { Write-Host "SharedToken: $($run.Name): warning: $warning" -ForegroundColor Yellow }
            foreach ($failed in @($fleet.Results | Where-Object Error)) { Write-Host "SharedToken: $($run.Name): failed: $($failed.Error)`n$($failed.Output)" -ForegroundColor Red }
        }
    }
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It 'the first 20: every sign-in and API call succeeds, none hangs, and a process has at most one warning' {
        $setup.Names | Should -Be @('app')
        $first.Killed | Should -Be 0 -Because 'no process may hang'
        $first.Ready | Should -Be 20 -Because 'all 20 were loaded before the race began'
        @($first.Results | Where-Object Error | ForEach-Object Error) | Should -BeNullOrEmpty
        @($first.Results | Where-Object Email -eq $email).Count | Should -Be 20
        @($first.Results | Where-Object SharedTokenVault -eq 'Store').Count | Should -Be 20
        foreach ($result in $first.Results) { @($result.Warnings | Where-Object { $_ }).Count | Should -BeLessOrEqual 1 -Because 'a failing store is one warning per process' }
        $locks.Count | Should -Be 1 -Because 'the renewal lock is a file in XDG_RUNTIME_DIR/ITwinAuth, named after the entry'
    }

    It 'the first 20: at most 2 token requests reach the emulator (1 expected); every other process read the entry' {
        $firstRequests | Should -BeGreaterThan 0 -Because 'the first process had to ask for the token'
        $firstRequests | Should -BeLessOrEqual 2 -Because 'one process renews; the others wait for its lock and read its entry (issue 25, "Done when")'
        @($first.Results | Where-Object FromSharedCache).Count | Should -Be (20 - $firstRequests) -Because 'every process that did not request read the entry'
    }

    # The real SecretStore may fail a write while other processes read its file (observed: "Unable to write to
    # local store file with error: The process cannot access the file '<HOME>/.secretmanagement/localstore/storefile'
    # because it is being used by another process", after its own four attempts 250 ms apart); how often depends
    # on the machine's load, so the count is printed above, not asserted. What is asserted: such a failure is
    # that process's one warning, names the vault and says what failed, and never holds the token or the secret.
    It 'the first 20: a process whose store failed says so in its one warning, naming the vault, without the token or the secret' {
        foreach ($warning in @($first.Results.Warnings | Where-Object { $_ })) {
            $warning | Should -Match "^The shared token cache in the SecretManagement vault 'Store' could not be (read|written): "
            $warning | Should -Not -Match ([regex]::Escape($app.Secret))
            $warning | Should -Not -Match 'eyJ[A-Za-z0-9_-]{20,}' -Because 'no JWT'
        }
    }

    It 'the next 20: every sign-in reads the shared entry, no token request at all' {
        $second.Killed | Should -Be 0
        @($second.Results | Where-Object Error | ForEach-Object Error) | Should -BeNullOrEmpty
        @($second.Results | Where-Object Email -eq $email).Count | Should -Be 20
        $secondRequests | Should -Be 0
        @($second.Results | Where-Object FromSharedCache).Count | Should -Be 20
        @($second.Results.Warnings | Where-Object { $_ }) | Should -BeNullOrEmpty
    }

    It 'the store holds one entry, named ITwinAuthToken- and 32 hex digits, like the lock, a SecureString with its metadata' {
        foreach ($result in $second.Results) {
            @($result.Entries).Count | Should -Be 1
            $result.Entries[0].Name | Should -Match '^ITwinAuthToken-[0-9a-f]{32}$'
            $result.Entries[0].Name | Should -Be ($locks[0] -replace '\.lock$')
            $result.Entries[0].Type | Should -Be 'SecureString'
            $result.Entries[0].ClientId | Should -Be $app.ClientId
            $result.Entries[0].Label | Should -Be 'shared access token'
        }
    }
}

Describe 'A process that waited for the renewal lock reads the entry the renewer wrote' -Tag CoreOnly, SharedToken, Vaults {
    # The race of the 20 processes, one step at a time, with no timing left to chance: the test holds the
    # renewal lock, as a renewing process would; process W signs in, finds no entry and waits for the lock;
    # process R (whose locks are in another folder, so it does not wait) requests a token and writes the
    # entry; the test lets go of the lock; W takes it and reads the entry again. W must use R's entry.
    BeforeAll {
        if ($realSkip) { return }
        $raceHome = New-SharedHome
        $named = Invoke-Case $raceHome @'
New-Store -Name Store -Default
Set-Secret -Name app -Vault Store -Secret $app
Connect-ITwin -Vault Store -SecretName app -ShareToken @at
$name = @(Get-SharedName)
Disconnect-ITwin
Write-Result @{ Name = $name; Left = Get-SharedName }
'@
        $lockFolder = Join-Path $raceHome 'ITwinAuth'
        $raceRun = $null
        $name = $named.Name | Select-Object -First 1
        if ($name) {
            New-Item -ItemType Directory -Path $lockFolder -Force | Out-Null
            $held = [IO.FileStream]::new((Join-Path $lockFolder "$name.lock"), 'OpenOrCreate', 'ReadWrite', 'None')
            try {
                $before = Get-TokenRequestCount
                # R, loaded and waiting, with its locks elsewhere.
                $renewer = Start-Fleet -Count 1 -HomePath $raceHome -ScriptPath $raceScript -Barrier -Hold -With @{ XDG_RUNTIME_DIR = (Join-Path $raceHome 'elsewhere') } -TimeoutSeconds 120
                # W, until it says it waits for the lock (bounded: at most the fleet's deadline).
                $waiter = Start-Fleet -Count 1 -HomePath $raceHome -ScriptPath $raceScript -Hold -TimeoutSeconds 120
                $waiting = $false
                $child = $waiter.Children[0]
                $lines = [Text.StringBuilder]::new()
                while (-not $waiting) {
                    $read = $child.Process.StandardOutput.ReadLineAsync()
                    if (-not $read.Wait([Math]::Max(0, [int]($waiter.Deadline - [DateTime]::UtcNow).TotalMilliseconds)) -or $null -eq $read.Result) { break }
                    [void] $lines.AppendLine($read.Result)
                    $waiting = $read.Result -match 'Another process is renewing'
                }
                $child.Before = $lines
                $child.Out = $child.Process.StandardOutput.ReadToEndAsync()
                $renewed = Wait-Fleet (Send-FleetGo $renewer)
                $renewedRequests = (Get-TokenRequestCount) - $before
                # R held its lock elsewhere; a renewer leaves a note in the lock it held (the stored token's
                # expiry and lifetime, never the token: MachineLock.WriteNote). The test holds W's lock, so it
                # leaves R's note there, as R would have.
                if ($renewed.Results[0].ExpiresOnTicks) {
                    $expires = [DateTime]::new([long]$renewed.Results[0].ExpiresOnTicks, 'Utc').ToString('O', [cultureinfo]::InvariantCulture)
                    $note = [Text.Encoding]::ASCII.GetBytes("ITwinAuth shared token lock 1`n$expires`n$($renewed.Results[0].Lifetime)`n")
                    $held.SetLength(0)
                    $held.Write($note, 0, $note.Length)
                    $held.Flush()
                }
            }
            finally {
                $held.Dispose()
            }
            $waited = Wait-Fleet $waiter
            $raceRequests = (Get-TokenRequestCount) - $before
            Write-Host ("SharedToken: the renewer made {0} token request(s); with the waiter, {1}. The waiter: {2}" -f $renewedRequests, $raceRequests, (@($waited.Results[0].Shared) -join ' | ')) -ForegroundColor Cyan
        }
    }
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It 'W waits for the lock, then uses the entry R wrote and noted, though SecretStore shows it to W only seconds later: one token request in all (R''s)' {
        $named.Name | Should -Match '^ITwinAuthToken-' -Because 'the entry''s name was read after a first sign-in'
        $named.Left | Should -BeNullOrEmpty -Because 'Disconnect-ITwin removed it, so W finds none'
        $waiting | Should -BeTrue -Because "W must have waited for the lock: $($lines.ToString())"
        $renewed.Results[0].Error | Should -BeNullOrEmpty
        $renewed.Results[0].Waited | Should -BeFalse
        $renewedRequests | Should -Be 1 -Because 'R requested and wrote the entry while W waited'
        $waited.Killed | Should -Be 0
        $waited.Results[0].Error | Should -BeNullOrEmpty
        $raceRequests | Should -Be 1 -Because "W read the entry again after the lock was let go, and R's entry was there: W needs no token of its own. W said: $(@($waited.Results[0].Shared) -join ' | ')"
        $waited.Results[0].FromSharedCache | Should -BeTrue
    }
}

Describe 'A process that found no entry, then took the free renewal lock, reads the entry again' -Tag CoreOnly, SharedToken, Vaults {
    # The other half of the lock's protocol, with a vault that reads afresh (SharedFileVault: no cache, so
    # SecretStore's is out of the picture): process W reads, finds no entry, and is held right after that
    # read; process R signs in meanwhile, requests, writes the entry and ends, which frees the lock; W then
    # takes the lock without waiting. Another process may have written the entry between W's read and its
    # lock, as R did: W must read again before it asks for a token of its own.
    BeforeAll {
        if ($realSkip) { return }
        $gapHome = New-SharedHome
        $signal = Join-Path $gapHome 'first-read'
        $registered = Invoke-Case $gapHome ("Register-SecretVault -Name Shared -ModuleName SharedFileVault -VaultParameters @{ Folder = '$(Join-Path $gapHome 'filevault')' }`n" + @'
Write-Result @{ Vaults = @(Get-SecretVault | ForEach-Object Name) }
'@)
        $before = Get-TokenRequestCount
        $renewer = Start-Fleet -Count 1 -HomePath $gapHome -ScriptPath $raceScript -Barrier -Hold -With @{ SHARED_IN = 'Shared' } -TimeoutSeconds 120
        $waiter = Start-Fleet -Count 1 -HomePath $gapHome -ScriptPath $raceScript -With @{ SHARED_IN = 'Shared'; PAUSE_FIRST_READ = $signal } -TimeoutSeconds 120
        # W has read (no entry) and is held: the vault's pause says so with a file.
        $watcher = [IO.FileSystemWatcher]::new($gapHome, 'first-read.paused')
        try { if (-not (Test-Path "$signal.paused")) { $null = $watcher.WaitForChanged([IO.WatcherChangeTypes]::Created, 90000) } }
        finally { $watcher.Dispose() }
        $paused = Test-Path "$signal.paused"
        $renewed = Wait-Fleet (Send-FleetGo $renewer)
        $renewedRequests = (Get-TokenRequestCount) - $before
        Set-Content "$signal.go" ''
        $held = Wait-Fleet $waiter
        $gapRequests = (Get-TokenRequestCount) - $before
        # The control: the vault does share (a fresh process reads the entry), so W could have read R's.
        $before = Get-TokenRequestCount
        $fresh = Invoke-Fleet -Count 1 -HomePath $gapHome -ScriptPath $raceScript -With @{ SHARED_IN = 'Shared' } -TimeoutSeconds 120
        $freshRequests = (Get-TokenRequestCount) - $before
        Write-Host ("SharedToken: lock taken without waiting: the renewer made {0} token request(s); with W, {1}. W: {2}" -f $renewedRequests, $gapRequests, (@($held.Results[0].Shared) -join ' | ')) -ForegroundColor Cyan
    }
    AfterAll {
        foreach ($fleet in $renewer, $waiter) { if ($fleet) { foreach ($child in $fleet.Children) { if (-not $child.Process.HasExited) { $child.Process.Kill($true) } } } }
    }
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It 'W uses the entry R wrote after W''s first read: one token request in all (R''s)' {
        $registered.Vaults | Should -Be @('Shared')
        $fresh.Results[0].Error | Should -BeNullOrEmpty
        $freshRequests | Should -Be 0 -Because 'SharedFileVault shares the entry between processes (the control)'
        $fresh.Results[0].FromSharedCache | Should -BeTrue
        $paused | Should -BeTrue -Because 'W read the vault, found nothing, and was held'
        $renewed.Results[0].Error | Should -BeNullOrEmpty
        $renewedRequests | Should -Be 1 -Because 'R requested and wrote the entry while W was held'
        $held.Killed | Should -Be 0
        $held.Results[0].Error | Should -BeNullOrEmpty
        $held.Results[0].Warnings | Should -BeNullOrEmpty -Because 'W''s read was held, not failed'
        $held.Results[0].Waited | Should -BeFalse -Because 'R had ended: the lock was free'
        $gapRequests | Should -Be 1 -Because "the entry R wrote was in the vault when W took the lock. W said: $(@($held.Results[0].Shared) -join ' | ')"
        $held.Results[0].FromSharedCache | Should -BeTrue
    }
}

Describe 'A vault that keeps no metadata gets the entry alone' -Tag CoreOnly, SharedToken, Vaults {
    # Set-Secret -Metadata on such a vault writes the secret, removes it again, and reports an error: the
    # module then writes the value alone, once, with no warning, and a fresh process reads it.
    BeforeAll {
        if ($realSkip) { return }
        $noMetaHome = New-SharedHome
        $registered = Invoke-Case $noMetaHome ("Register-SecretVault -Name NoMeta -ModuleName SharedNoMetaVault -VaultParameters @{ Folder = '$(Join-Path $noMetaHome 'nometa')' }`n" + @'
Write-Result @{ Vaults = @(Get-SecretVault | ForEach-Object Name) }
'@)
        $before = Get-TokenRequestCount
        $writer = Invoke-Fleet -Count 1 -HomePath $noMetaHome -ScriptPath $raceScript -With @{ SHARED_IN = 'NoMeta' } -TimeoutSeconds 120
        $writerRequests = (Get-TokenRequestCount) - $before
        $entries = @(Get-ChildItem (Join-Path $noMetaHome 'nometa') -File -ErrorAction Ignore | ForEach-Object { [uri]::UnescapeDataString($_.Name) })
        $before = Get-TokenRequestCount
        $reader = Invoke-Fleet -Count 1 -HomePath $noMetaHome -ScriptPath $raceScript -With @{ SHARED_IN = 'NoMeta' } -TimeoutSeconds 120
        $readerRequests = (Get-TokenRequestCount) - $before
    }
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It 'the first process writes the entry with no warning; a fresh one reads it with no token request' {
        $registered.Vaults | Should -Be @('NoMeta')
        $writer.Results[0].Error | Should -BeNullOrEmpty
        $writer.Results[0].Warnings | Should -BeNullOrEmpty -Because 'a vault without metadata is not a failing vault'
        $writerRequests | Should -Be 1
        $entries | Should -Match '^ITwinAuthToken-[0-9a-f]{32}$' -Because 'the value was written alone after SecretManagement refused the metadata (and removed what it wrote)'
        $reader.Results[0].Error | Should -BeNullOrEmpty
        $reader.Results[0].FromSharedCache | Should -BeTrue
        $readerRequests | Should -Be 0
    }
}

Describe 'An entry that is not a usable token of this app is replaced, without an error' -Tag CoreOnly, SharedToken, Vaults {
    # One app per case, each in the same SecretStore, so that three processes cover every case: one writes
    # the entries (a first sign-in, then the tampering), a fresh one signs each app in once (the first
    # sign-in of that app in that process: nothing in its memory), and a fresh one checks what was left.
    # Request counts are read around each sign-in by the child itself (nothing else calls this emulator).
    BeforeAll {
        if ($realSkip) { return }
        $caseNames = 'Control', 'PSCredential', 'Hashtable', 'Garbage', 'OtherAppsEntry', 'OtherClientId', 'Expired'
        $caseApps = [ordered]@{}
        foreach ($case in $caseNames) { $caseApps[$case] = New-TestApp -Emulator $emulator }
        $appsJson = ConvertTo-Json -Compress -InputObject @($caseNames | ForEach-Object { @{ Case = $_; Id = $caseApps[$_].ClientId; Secret = $caseApps[$_].Secret } })
        $tamperHome = New-SharedHome
        $written = Invoke-Case $tamperHome -With @{ CASE_APPS = $appsJson } @'
New-Store -Name Store -Default
$cases = $env:CASE_APPS | ConvertFrom-Json
foreach ($case in $cases) {
    Set-Secret -Name "app-$($case.Case)" -Vault Store -Secret ([pscredential]::new($case.Id, (ConvertTo-SecureString $case.Secret -AsPlainText -Force)))
}
function Write-Entry([string] $Name, [string] $Token, [datetime] $ExpiresOn, [int] $Lifetime, [string] $Scope) {
    $text = ConvertTo-Json -Compress -InputObject ([ordered]@{ v = 1; name = $Name; expiresOn = $ExpiresOn.ToUniversalTime().ToString('O'); lifetime = $Lifetime; scope = $Scope; token = $Token })
    Set-Secret -Name $Name -Vault Store -Secret $text
}
# Another app's genuine entry, and a real token of that other app.
$before = Get-SharedName
Connect-ITwin -Credential $other -ShareTokenVault Store @at
$otherName = @(Get-SharedName | Where-Object { $_ -notin $before })
$otherEntry = Get-Secret -Name $otherName[0] -Vault Store -AsPlainText
$otherToken = (Get-ITwinServiceToken).Token | ConvertFrom-SecureString -AsPlainText
$names = [ordered]@{}
$firstRequests = [ordered]@{}
foreach ($case in $cases) {
    $before = Get-SharedName
    $count = Get-TokenRequestCount
    Connect-ITwin -Vault Store -SecretName "app-$($case.Case)" -ShareToken @at
    $firstRequests[$case.Case] = (Get-TokenRequestCount) - $count
    $new = @(Get-SharedName | Where-Object { $_ -notin $before })
    $names[$case.Case] = $new
    if ($new.Count -ne 1) { continue }
    $name = $new[0]
    $token = Get-ITwinServiceToken
    $plain = $token.Token | ConvertFrom-SecureString -AsPlainText
    $scope = $token.Scopes -join ' '
    $lifetime = [int] [Math]::Round(($token.ExpiresOn - $token.IssuedOn).TotalSeconds)
    switch ($case.Case) {
        # A well-formed entry written here, with the app's own token: it must be used, or the cases below
        # would prove nothing about what they change.
        'Control' { Write-Entry $name $plain $token.ExpiresOn.UtcDateTime $lifetime $scope }
        'PSCredential' { Set-Secret -Name $name -Vault Store -Secret ([pscredential]::new('someone', (ConvertTo-SecureString 'not-a-token' -AsPlainText -Force))) }
        'Hashtable' { Set-Secret -Name $name -Vault Store -Secret @{ name = $name; token = 'not-a-token' } }
        'Garbage' { Set-Secret -Name $name -Vault Store -Secret "}{ garbage`r`n$('x' * 100)" }
        'OtherAppsEntry' { Set-Secret -Name $name -Vault Store -Secret $otherEntry }
        'OtherClientId' { Write-Entry $name $otherToken $token.ExpiresOn.UtcDateTime $lifetime $scope }
        'Expired' { Write-Entry $name $plain ([datetime]::UtcNow.AddMinutes(-5)) $lifetime $scope }
    }
}
Write-Result @{ Names = $names; OtherName = $otherName; FirstRequests = $firstRequests
    Types = @(Get-SecretInfo -Vault Store -Name 'ITwinAuthToken-*' | ForEach-Object { "$($_.Name) $($_.Type)" }) }
'@
        $checkScript = @'
$results = [ordered]@{}
foreach ($case in $env:CASE_APPS | ConvertFrom-Json) {
    $Error.Clear()
    $result = [ordered]@{ Error = $null }
    $count = Get-TokenRequestCount
    try {
        $output = Get-ITwinServiceToken -Vault Store -SecretName "app-$($case.Case)" -ShareToken @at -Verbose -WarningVariable warnings 4>&1
        $result.Requests = (Get-TokenRequestCount) - $count
        $token = @($output | Where-Object { $_ -is [ITwinAuth.ITwinAccessToken] })[0]
        $verbose = @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $result.Email = (Get-ITwinMe -Token $token).Email
        $result.FromSharedCache = $token.FromSharedCache
        $result.Warnings = @($warnings | ForEach-Object { "$_" })
        $result.Reason = @($verbose | Where-Object { "$_" -match 'is not used: ' } | ForEach-Object { "$_" })
        $entryName = ($env:CASE_NAMES | ConvertFrom-Json).($case.Case)
        $info = Get-SecretInfo -Vault Store -Name $entryName
        $entry = Get-Secret -Name $entryName -Vault Store -AsPlainText
        $result.EntryType = "$($info.Type)"
        $result.EntryClientId = $info.Metadata['ClientId']
        $parsed = if ($entry -is [string]) { try { ConvertFrom-Json $entry -DateKind String } catch { $null } }
        $result.EntryName = $parsed.name
        $result.EntryHoldsThisToken = $null -ne $parsed -and $parsed.token -ceq ($token.Token | ConvertFrom-SecureString -AsPlainText)
    }
    catch { $result.Error = "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" }
    $result.Errors = @($Error | ForEach-Object { "$_" })
    $results[$case.Case] = $result
}
Write-Result $results
'@
        $names = @{}
        foreach ($property in $written.Names.PSObject.Properties) { $names[$property.Name] = @($property.Value)[0] }
        $checkWith = @{ CASE_APPS = $appsJson; CASE_NAMES = (ConvertTo-Json -Compress -InputObject $names) }
        $replaced = Invoke-Case $tamperHome -With $checkWith $checkScript
        $reread = Invoke-Case $tamperHome -With $checkWith $checkScript
    }
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It 'the first sign-in of each app wrote one entry, whose name the test read from Get-SecretInfo' {
        foreach ($case in $caseNames) {
            @($written.Names.$case).Count | Should -Be 1 -Because "the first sign-in of the app of '$case' writes one entry"
            $written.FirstRequests.$case | Should -Be 1
        }
        @($written.OtherName).Count | Should -Be 1
        @($names.Values | Sort-Object -Unique).Count | Should -Be $caseNames.Count -Because 'each app, scope set and secret has its own name'
    }

    It 'a well-formed entry written by hand with the app''s own token is used (the control: the entries below differ from it only in what is tampered)' {
        $result = $replaced.Control
        $result.Error | Should -BeNullOrEmpty
        $result.Requests | Should -Be 0
        $result.FromSharedCache | Should -BeTrue
        $result.Email | Should -Be "$($caseApps.Control.ClientId)@apps.imsoidc.bentley.com"
    }

    It '<Case> under the entry''s name: no error, no warning, exactly one token request, and a valid entry afterwards that the next fresh process uses (0 requests)' -ForEach @(
        @{ Case = 'PSCredential'; Reason = 'PSCredential' }
        @{ Case = 'Hashtable'; Reason = 'Hashtable' }
        @{ Case = 'Garbage'; Reason = 'not a JSON object' }
        @{ Case = 'OtherAppsEntry'; Reason = 'another name' }
        @{ Case = 'OtherClientId'; Reason = 'another client id' }
        @{ Case = 'Expired'; Reason = 'expired' }
    ) {
        $result = $replaced.$Case
        $clientId = $caseApps[$Case].ClientId
        $result | Should -Not -BeNullOrEmpty
        $result.Error | Should -BeNullOrEmpty
        $result.Errors | Should -BeNullOrEmpty -Because '$Error stays empty'
        $result.Warnings | Should -BeNullOrEmpty -Because 'a bad entry is replaced, not warned about'
        $result.Requests | Should -Be 1 -Because 'the entry could not be used: one token request, counted at the emulator'
        $result.FromSharedCache | Should -BeFalse
        $result.Email | Should -Be "$clientId@apps.imsoidc.bentley.com"
        "$($result.Reason)" | Should -Match ([regex]::Escape($Reason)) -Because 'the verbose line says why the entry was not used'
        $result.EntryType | Should -Be 'SecureString'
        $result.EntryName | Should -Be $names[$Case] -Because 'the entry was rewritten in the module''s format, under its own name'
        $result.EntryHoldsThisToken | Should -BeTrue -Because 'the new token replaced what was there'
        $result.EntryClientId | Should -Be $clientId
        $next = $reread.$Case
        $next.Error | Should -BeNullOrEmpty
        $next.Requests | Should -Be 0 -Because 'the replaced entry is valid: the next fresh process reads it'
        $next.FromSharedCache | Should -BeTrue
        $next.Warnings | Should -BeNullOrEmpty
    }
}

Describe 'A vault that fails, or hangs, costs one warning per process and never the sign-in' -Tag CoreOnly, SharedToken, Vaults {
    BeforeAll {
        if ($realSkip) { return }
        $failHome = New-SharedHome
        # Several commands in one process, each with its warnings counted; every one must succeed.
        $failScript = @'
Register-SecretVault -Name $env:FAIL_VAULT -ModuleName $env:FAIL_MODULE -VaultParameters $vaultParameters
$Error.Clear()
$warnings = [Collections.Generic.List[string]]::new()
$steps = [ordered]@{}
function Step([string] $Name, [scriptblock] $Run) {
    $count = Get-TokenRequestCount
    $watch = [Diagnostics.Stopwatch]::StartNew()
    try { $output = & $Run; $failure = $null } catch { $failure = "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" }
    $steps[$Name] = [ordered]@{ Requests = (Get-TokenRequestCount) - $count; Seconds = $watch.Elapsed.TotalSeconds; Error = $failure; Output = "$output" }
}
$share = @{ Credential = $app; ShareTokenVault = $env:FAIL_VAULT }
Step 'Connect-ITwin' { Connect-ITwin @share @at -WarningVariable +w; foreach ($x in $w) { $warnings.Add("$x") } }
Step 'Get-ITwinMe' { (Get-ITwinMe -WarningVariable +w2).Email; foreach ($x in $w2) { $warnings.Add("$x") } }
Step 'Get-ITwinServiceToken -ForceRefresh' { $null = Get-ITwinServiceToken @share @at -ForceRefresh -WarningVariable +w3; foreach ($x in $w3) { $warnings.Add("$x") } }
Step 'Invoke-ITwinRequest' { (Invoke-ITwinRequest /users/me -WarningVariable +w4).user.email; foreach ($x in $w4) { $warnings.Add("$x") } }
Step 'Connect-ITwin again' { Connect-ITwin @share @at -WarningVariable +w5; foreach ($x in $w5) { $warnings.Add("$x") } }
$token = (Get-ITwinServiceToken).Token | ConvertFrom-SecureString -AsPlainText
$removal = [Collections.Generic.List[string]]::new()
Step 'Disconnect-ITwin' { Disconnect-ITwin -WarningVariable +w6; foreach ($x in $w6) { $removal.Add("$x") } }
Write-Result @{ Steps = $steps; Warnings = @($warnings); RemovalWarnings = @($removal); Errors = @($Error | ForEach-Object { "$_" })
    TokenInWarnings = [bool]($warnings | Where-Object { $_.Contains($token) }); SecretInWarnings = [bool]($warnings | Where-Object { $_.Contains($env:APP_SECRET) }) }
'@
        # The hang first: it waits, mostly; the other cases run meanwhile.
        $hangHome = New-SharedHome
        $hangScript = Join-Path $scripts 'SharedHang.ps1'
        Set-Content -Path $hangScript -Value (@'
$ErrorActionPreference = 'Stop'
. (Join-Path $env:TESTS 'Vaults/VaultCase.ps1')
'@ + "`n" + $prelude + @'
New-FileVault -Name Hung -HangSeconds 120
$Error.Clear()
$watch = [Diagnostics.Stopwatch]::StartNew()
$count = Get-TokenRequestCount
try { Connect-ITwin -Credential $app -ShareTokenVault Hung @at -WarningVariable warnings; $failure = $null } catch { $failure = "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" }
$seconds = $watch.Elapsed.TotalSeconds
$requests = (Get-TokenRequestCount) - $count
Write-Result @{ Seconds = $seconds; Requests = $requests; Error = $failure; Warnings = @($warnings | ForEach-Object { "$_" }); Email = (Get-ITwinMe).Email
    Calls = Get-VaultCall; Errors = @($Error | ForEach-Object { "$_" }) }
'@)
                # Its own emulator, so that what it requests is counted apart from the cases that run meanwhile.
        $hangEmulator = Start-ITwinEmulator
        $hangApp = New-TestApp -Emulator $hangEmulator
        $hangFleet = Start-Fleet -Count 1 -HomePath $hangHome -ScriptPath $hangScript -TimeoutSeconds 100 -With @{
            VAULT_LOG = (Join-Path $hangHome 'calls.log'); AUTHORITY = $hangEmulator.Authority; API = $hangEmulator.ApiBaseUri
            APP_ID = $hangApp.ClientId; APP_SECRET = $hangApp.Secret
        }
        $writeFails = Invoke-Case $failHome -With (@{ FAIL_VAULT = 'WriteFails'; FAIL_MODULE = 'SharedFailVault' }) ("`$vaultParameters = @{ FailOn = 'Set' }`n" + $failScript)
        $down = Invoke-Case $failHome -With (@{ FAIL_VAULT = 'Down'; FAIL_MODULE = 'SharedFailVault' }) ("`$vaultParameters = @{ FailOn = 'Get,Set,Remove' }`n" + $failScript)
    }
    AfterAll {
        if ($hangFleet) { foreach ($child in $hangFleet.Children) { if (-not $child.Process.HasExited) { $child.Process.Kill($true) } } }
        if ($hangEmulator) { Stop-ITwinEmulator -Emulator $hangEmulator }
    }
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It 'a vault whose Set-Secret throws: every command succeeds, the in-memory cache works, and the process has exactly one warning, naming the vault, without the token or the secret' {
        $result = $writeFails
        foreach ($step in $result.Steps.PSObject.Properties) { $step.Value.Error | Should -BeNullOrEmpty -Because "$($step.Name) must succeed" }
        $result.Steps.'Connect-ITwin'.Requests | Should -Be 1
        $result.Steps.'Get-ITwinMe'.Requests | Should -Be 0 -Because 'the in-memory cache holds the token'
        $result.Steps.'Get-ITwinMe'.Output | Should -Be $email
        $result.Steps.'Get-ITwinServiceToken -ForceRefresh'.Requests | Should -Be 1
        $result.Steps.'Invoke-ITwinRequest'.Requests | Should -Be 0
        $result.Steps.'Connect-ITwin again'.Requests | Should -Be 0 -Because 'the in-memory cache holds the token'
        @($result.Warnings).Count | Should -Be 1 -Because "one warning per process, whatever fails after it: $($result.Warnings -join ' | ')"
        $result.Warnings[0] | Should -Match "'WriteFails'"
        $result.Warnings[0] | Should -Match 'could not be written'
        $result.TokenInWarnings | Should -BeFalse
        $result.SecretInWarnings | Should -BeFalse
        $result.Errors | Should -BeNullOrEmpty -Because '$Error holds none of SecretManagement''s records'
        $result.RemovalWarnings | Should -BeNullOrEmpty -Because 'Disconnect-ITwin found nothing to remove, and that is no failure'
    }

    It 'a vault that fails every call (read, write, remove): every command succeeds, with exactly one warning, naming the vault' {
        $result = $down
        foreach ($step in $result.Steps.PSObject.Properties) { $step.Value.Error | Should -BeNullOrEmpty -Because "$($step.Name) must succeed" }
        $result.Steps.'Connect-ITwin'.Requests | Should -Be 1
        $result.Steps.'Get-ITwinMe'.Requests | Should -Be 0
        $result.Steps.'Connect-ITwin again'.Requests | Should -Be 0
        @($result.Warnings).Count | Should -Be 1 -Because "one warning per process: $($result.Warnings -join ' | ')"
        $result.Warnings[0] | Should -Match "'Down'"
        $result.Warnings[0] | Should -Match 'could not be read'
        $result.TokenInWarnings | Should -BeFalse
        $result.SecretInWarnings | Should -BeFalse
        $result.Errors | Should -BeNullOrEmpty
    }

    It 'a vault that fails every call: Disconnect-ITwin afterwards adds no warning, since this process never read or wrote an entry there' {
        # The process "used" no entry: its read and its write both failed, and it was already warned.
        # SharedTokenCache records the entry as used before anything succeeds, and Disconnect-ITwin then
        # warns that "other processes may use it", about an entry that nobody wrote.
        $down.Steps.'Disconnect-ITwin'.Error | Should -BeNullOrEmpty
        $down.RemovalWarnings | Should -BeNullOrEmpty -Because 'the vault already cost this process its one warning, and there is no entry to speak of'
    }

    It 'a vault that hangs on read: the sign-in still finishes (a hang guard: < 60 s), with one warning naming the vault, and one token request' {
        $fleet = Wait-Fleet $hangFleet
        Write-Host ("SharedToken: the sign-in against a vault hanging for 120 s took {0:0.0} s ({1:0.0} s with its process)" -f $fleet.Results[0].Seconds, $fleet.TotalSeconds) -ForegroundColor Cyan
        $fleet.Killed | Should -Be 0 -Because 'the process must end on its own'
        $result = $fleet.Results[0]
        $result.Error | Should -BeNullOrEmpty
        $result.Seconds | Should -BeLessThan 60 -Because 'the vault would hang for 120 s; the read is bounded'
        $result.Requests | Should -Be 1
        $result.Email | Should -Be "$($hangApp.ClientId)@apps.imsoidc.bentley.com"
        @($result.Warnings).Count | Should -Be 1
        $result.Warnings[0] | Should -Match "'Hung'"
        @($result.Calls | Where-Object { $_ -like 'Get-Secret ITwinAuthToken-* Hung' }).Count | Should -Be 1 -Because 'the hung read is not retried'
        $result.Errors | Should -BeNullOrEmpty
    }
}

Describe 'Removing the shared entry, and -ShareToken without a vault' -Tag CoreOnly, SharedToken, Vaults {
    BeforeAll {
        if ($realSkip) { return }
        $removeHome = New-SharedHome
        $first = Invoke-Case $removeHome @'
New-Store -Name Store -Default
Set-Secret -Name app -Vault Store -Secret $app
$count = Get-TokenRequestCount
$refused = @(
    Get-Failure { Connect-ITwin -ClientId $env:APP_ID -ClientSecret $app.Password -ShareToken @at }
    Get-Failure { Get-ITwinServiceToken -ClientId $env:APP_ID -ClientSecret $app.Password -ShareToken @at }
)
$refusedRequests = (Get-TokenRequestCount) - $count
$count = Get-TokenRequestCount
Connect-ITwin -Credential $app -ShareTokenVault Store @at
Write-Result @{ Refused = $refused; RefusedRequests = $refusedRequests; Connection = @{ CredentialSourceKind = "$((Get-ITwinConnection).CredentialSourceKind)"; SharedTokenVault = (Get-ITwinConnection).SharedTokenVault }
    Requests = (Get-TokenRequestCount) - $count; Entries = Get-SharedName; Email = (Get-ITwinMe).Email }
'@
        $second = Invoke-Case $removeHome @'
$result = [ordered]@{}
$count = Get-TokenRequestCount
$result.CredentialFromShared = (Get-ITwinServiceToken -Credential $app -ShareTokenVault Store @at).FromSharedCache
Connect-ITwin -Credential $app -ShareTokenVault Store @at
$result.CredentialRequests = (Get-TokenRequestCount) - $count
Disconnect-ITwin -WarningVariable disconnectWarnings
$result.AfterDisconnect = Get-SharedName
$result.AppKept = @(Get-SecretInfo -Vault Store -Name app | ForEach-Object Name)
$count = Get-TokenRequestCount
Connect-ITwin -Vault Store -SecretName app -ShareToken @at
$result.VaultRequests = (Get-TokenRequestCount) - $count
$result.BeforeClear = Get-SharedName
# -WhatIf tells on the host (a transcript sees it) that the vault entry goes too, and removes nothing.
$whatIfLog = Join-Path $HOME 'whatif.txt'
Start-Transcript -Path $whatIfLog -UseMinimalHeader | Out-Null
Clear-ITwinTokenCache -WhatIf
Stop-Transcript | Out-Null
$result.WhatIf = @(Get-Content $whatIfLog | Where-Object { $_ -like 'What if:*' })
$result.AfterWhatIf = Get-SharedName
Clear-ITwinTokenCache -WarningVariable clearWarnings
$result.AfterClear = Get-SharedName
$count = Get-TokenRequestCount
Connect-ITwin -Vault Store -SecretName app -ShareToken @at
$result.AfterClearRequests = (Get-TokenRequestCount) - $count
$result.AfterClearEntries = Get-SharedName
$result.Warnings = @(@($disconnectWarnings) + @($clearWarnings) | Where-Object { $_ } | ForEach-Object { "$_" })
$result.Errors = @($Error | ForEach-Object { "$_" })
Write-Result $result
'@
    }
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It '-ShareToken with -ClientSecret (no vault) is InvalidParameter, from Connect-ITwin and Get-ITwinServiceToken, before anything is sent' {
        $first.Refused.Count | Should -Be 2
        foreach ($failure in $first.Refused) {
            $failure.Id | Should -Be 'InvalidParameter'
            $failure.Category | Should -Be 'InvalidArgument'
            $failure.Message | Should -Match '-ShareTokenVault'
        }
        $first.RefusedRequests | Should -Be 0
    }

    It '-ShareTokenVault with -Credential shares the token: it writes the entry, and a fresh process reads it' {
        $first.Requests | Should -Be 1
        $first.Email | Should -Be $email
        $first.Connection.CredentialSourceKind | Should -Be 'Credential'
        $first.Connection.SharedTokenVault | Should -Be 'Store'
        @($first.Entries).Count | Should -Be 1
        $second.CredentialRequests | Should -Be 0
        $second.CredentialFromShared | Should -BeTrue
    }

    It 'Disconnect-ITwin removes the entry (the app''s secret stays); the vault source then finds none and writes a new one' {
        $second.AfterDisconnect | Should -BeNullOrEmpty
        $second.AppKept | Should -Be @('app')
        $second.VaultRequests | Should -Be 1 -Because 'the entry is gone: the same name (same app, scopes and secret) is requested again'
        @($second.BeforeClear) | Should -Be @($first.Entries)
    }

    It 'Clear-ITwinTokenCache removes the entry (-WhatIf says so, and removes nothing); the next sign-in requests a token and shares it again' {
        $second.WhatIf | Should -Match 'and 1 shared token\(s\) in their vaults' -Because 'a -WhatIf must say that other processes lose the token too'
        @($second.AfterWhatIf) | Should -Be @($first.Entries)
        $second.AfterClear | Should -BeNullOrEmpty
        $second.AfterClearRequests | Should -Be 1
        $second.Warnings | Should -BeNullOrEmpty
        $second.Errors | Should -BeNullOrEmpty
        @($second.AfterClearEntries) | Should -Be @($first.Entries) -Because 'the entry is back, under the same name'
    }
}

Describe 'No token and no secret anywhere a user or a log can see' -Tag CoreOnly, SharedToken, Vaults {
    BeforeAll {
        if ($realSkip) { return }
        $leakHome = New-SharedHome
        $null = Invoke-Case $leakHome @'
New-Store -Name Store -Default
Set-Secret -Name app -Vault Store -Secret $app
Connect-ITwin -Vault Store -SecretName app -ShareToken @at
Write-Result @{ Entries = Get-SharedName }
'@
        # A fresh process: the sign-in reads the entry, then -ForceRefresh requests and writes a new one,
        # both with -Verbose and -Debug, every stream captured, under a transcript.
        $leak = Invoke-Case $leakHome @'
$transcript = Join-Path $HOME 'transcript.txt'
$Error.Clear()
$DebugPreference = 'Continue'
Start-Transcript -Path $transcript | Out-Null
# Dot-sourced, so $first stays; every stream merged into the output, kept, and shown on the host, so
# that the transcript has it all too.
$items = . {
    Connect-ITwin -Vault Store -SecretName app -ShareToken @at -Verbose -Debug
    $first = Get-ITwinServiceToken
    Get-ITwinMe -Verbose -Debug
    Get-ITwinServiceToken -Vault Store -SecretName app -ShareToken @at -ForceRefresh -Verbose -Debug
    Get-ITwinMe -Verbose -Debug
    Get-ITwinConnection
} 2>&1 3>&1 4>&1 5>&1 6>&1 | Tee-Object -Variable kept | Out-Host
$captured = (@($kept | ForEach-Object { "$_" }) -join "`n") + "`n" + ($kept | Out-String -Width 10000)
Stop-Transcript | Out-Null
$DebugPreference = 'SilentlyContinue'
$tokens = @(@($first, (Get-ITwinServiceToken)) | ForEach-Object { $_.Token | ConvertFrom-SecureString -AsPlainText } | Select-Object -Unique)
$name = @(Get-SharedName)
$haystacks = [ordered]@{
    Streams    = $captured
    Transcript = Get-Content $transcript -Raw
    Errors     = ($Error | ForEach-Object { $_ | Out-String -Width 10000; "$($_.Exception)"; "$($_.TargetObject)" }) -join "`n"
    Connection = Get-ITwinConnection | Format-List * | Out-String -Width 10000
    Token      = (Get-ITwinServiceToken | Format-List * | Out-String -Width 10000) + (Get-ITwinServiceToken | ConvertTo-Json -Depth 3 -WarningAction Ignore)
    Metadata   = ConvertTo-Json -Depth 4 -InputObject @(Get-SecretInfo -Vault Store -Name 'ITwinAuthToken-*' | ForEach-Object { @{ Name = $_.Name; Metadata = $_.Metadata } })
}
# Whole, and in pieces of 24 characters from the token's payload and signature, in case a line was wrapped.
$needles = [ordered]@{ Secret = $env:APP_SECRET }
for ($i = 0; $i -lt $tokens.Count; $i++) {
    $needles["Token$i"] = $tokens[$i]
    $tail = $tokens[$i].Substring($tokens[$i].IndexOf('.') + 1)
    for ($at = 0; $at + 24 -le $tail.Length; $at += 97) { $needles["Token$i piece at $at"] = $tail.Substring($at, 24) }
}
Write-Result @{
    Tokens = $tokens.Count
    Found  = @(foreach ($place in $haystacks.Keys) { foreach ($needle in $needles.Keys) { if ($haystacks[$place].Contains($needles[$needle])) { "$needle in $place" } } })
    Read   = $captured -match 'Using the shared token'
    Wrote  = $captured -match 'Shared the new token'
    Debug  = @($kept | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Count -gt 0
    TranscriptVerbose = $haystacks.Transcript -match 'Using the shared token'
    Needles = $needles.Count
    Entry  = $name
    Metadata = $haystacks.Metadata
    EntryHoldsToken = (Get-Secret -Name $name[0] -Vault Store -AsPlainText).Contains($tokens[-1])
}
'@
    }
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It 'neither token nor the secret is in the streams (2..6), the transcript, $Error, the connection, the token object''s view or the entry''s metadata' {
        $leak.Tokens | Should -Be 2 -Because 'the scan looks for the token read from the entry and the one -ForceRefresh requested'
        $leak.Read | Should -BeTrue -Because 'the scan must have seen the read path (verbose)'
        $leak.Wrote | Should -BeTrue -Because 'the scan must have seen the write path (verbose)'
        $leak.Debug | Should -BeTrue -Because 'the scan must have seen debug output'
        $leak.TranscriptVerbose | Should -BeTrue -Because 'the transcript recorded the verbose lines too'
        $leak.Needles | Should -BeGreaterThan 10
        $leak.Metadata | Should -Match $app.ClientId -Because 'the metadata scanned is the entry''s'
        $leak.EntryHoldsToken | Should -BeTrue -Because 'the token is in the vault, where it belongs, and only there'
        $leak.Found | Should -BeNullOrEmpty
    }
}
