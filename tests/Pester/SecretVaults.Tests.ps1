# Issues 13 and 22: the vault source against the real Microsoft.PowerShell.SecretManagement and
# SecretStore. Every test (a table of cases: one for the table) runs in a child pwsh with its own HOME
# (tests/Vaults/VaultTests.psm1), so its vault registry and SecretStore are its own; TestFileVault (tests/Vaults) is a script extension
# vault that logs every call and can fail or hang. Tagged CoreOnly (docs/EDITIONS.md says why). Without the real modules every test here is
# reported as skipped, with the reason; build.ps1 says on the console whether it found them.
# Tests that need no vault are in Secrets.Tests.ps1.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module (Join-Path $PSScriptRoot '../Vaults/VaultTests.psm1') -Force
    $realSkip = Get-RealVaultSkipReason
    if ($realSkip) {
        Write-Host "SecretVaults.Tests.ps1: every test is skipped: $realSkip" -ForegroundColor Yellow
        return
    }
    $emulator = Start-ITwinEmulator
    $app = New-TestApp -Emulator $emulator
    $other = New-TestApp -Emulator $emulator -Scopes itwin-platform, users:read
    $childEnvironment = @{
        APP_ID = $app.ClientId; APP_SECRET = $app.Secret; OTHER_ID = $other.ClientId; OTHER_SECRET = $other.Secret
        AUTHORITY = $emulator.Authority; API = $emulator.ApiBaseUri
    }
    function Invoke-Case([string] $Script, [hashtable] $With = @{}, [string] $HomePath, [switch] $Interactive) {
        $environment = $childEnvironment.Clone()
        foreach ($entry in $With.GetEnumerator()) { $environment[$entry.Key] = $entry.Value }
        Invoke-VaultCase -Script $Script -Environment $environment -HomePath $HomePath -Interactive:$Interactive
    }
}
AfterAll {
    if ($emulator) { Stop-ITwinEmulator -Emulator $emulator }
}

Describe 'A secret in a real vault' -Tag CoreOnly, Secrets, Vaults {
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It 'reads a PSCredential (user name = client id), the recommended form' {
        $result = Invoke-Case @'
New-Store -Name TestVault -Default
Set-Secret -Name app-cred -Secret $app -Vault TestVault
$token = Get-ITwinServiceToken -Vault TestVault -SecretName app-cred @at
Write-Result @{ ClientId = $token.ClientId; Source = (Get-ITwinConnection).CredentialSource; Email = (Get-ITwinMe).Email }
'@
        $result.ClientId | Should -Be $app.ClientId
        $result.Source | Should -Be "SecretManagement vault 'TestVault' secret 'app-cred'"
        $result.Email | Should -BeLike "$($app.ClientId)@*"
    }

    # One child for the other forms (each child costs a few seconds of CPU on the shared build machines).
    It 'reads a SecureString (client id from -ClientId), a string whose metadata holds the settings, and a Hashtable (whose strings SecretStore returns as SecureStrings); parameters override metadata' {
        $result = Invoke-Case @'
New-Store -Name TestVault
Set-Secret -Name app-secure -Secret $app.Password -Vault TestVault
Set-Secret -Name app-meta -Secret $env:APP_SECRET -Vault TestVault -Metadata @{ ClientId = $env:APP_ID; Scope = 'itwin-platform'; Authority = $env:AUTHORITY; ApiBaseUri = $env:API }
Set-Secret -Name app-table -Vault TestVault -Secret @{ ClientId = $env:APP_ID; ClientSecret = $env:APP_SECRET; Authority = $env:AUTHORITY; ApiBaseUri = $env:API }
Set-Secret -Name app-override -Secret $env:APP_SECRET -Vault TestVault -Metadata @{ ClientId = $env:APP_ID; Scope = 'users:read'; Authority = 'https://ims.invalid'; ApiBaseUri = 'https://api.invalid' }
$secure = (Get-ITwinServiceToken -Vault TestVault -SecretName app-secure -ClientId $env:APP_ID @at -Force).ClientId
$meta = (Get-ITwinServiceToken -Vault TestVault -SecretName app-meta -Force).ClientId
$metaConnection = Get-ITwinConnection
$types = (Get-Secret -Name app-table -Vault TestVault).Values | ForEach-Object { $_.GetType().Name } | Sort-Object -Unique
$table = (Get-ITwinServiceToken -Vault TestVault -SecretName app-table -Force).ClientId
$overridden = @((Get-ITwinServiceToken -Vault TestVault -SecretName app-override -Scope itwin-platform @at -Force).Scopes)
Write-Result @{
    Secure = $secure
    Meta = $meta; MetaApi = $metaConnection.ApiBaseUri.ToString().TrimEnd('/'); MetaFrom = $metaConnection.SettingsFrom
    Types = @($types); Table = $table
    Overridden = $overridden; OverriddenFrom = (Get-ITwinConnection).SettingsFrom
}
'@
        $result.Secure | Should -Be $app.ClientId
        $result.Meta | Should -Be $app.ClientId
        $result.MetaApi | Should -Be $emulator.ApiBaseUri
        $result.MetaFrom | Should -Be 'ClientId=Metadata, Scopes=Metadata, Authority=Metadata, ApiBaseUri=Metadata'
        $result.Types | Should -Be @('SecureString')
        $result.Table | Should -Be $app.ClientId
        $result.Overridden | Should -Be @('itwin-platform')
        $result.OverriddenFrom | Should -Be 'ClientId=Metadata, Scopes=Parameter, Authority=Parameter, ApiBaseUri=Parameter'
    }

    It 'searches the default vault when -Vault is not given' {
        $result = Invoke-Case @'
New-Store -Name TestVault -Default
New-FileVault -Name Another
Set-Secret -Name app-default -Secret $app -Vault TestVault
Write-Result @{ ClientId = (Get-ITwinServiceToken -SecretName app-default @at).ClientId; Source = (Get-ITwinConnection).CredentialSource; Calls = Get-VaultCall }
'@
        $result.ClientId | Should -Be $app.ClientId
        $result.Source | Should -Be "SecretManagement vault 'TestVault' secret 'app-default'"
        $result.Calls | Should -BeNullOrEmpty -Because 'the secret was in the default vault: no other vault is asked'
    }

    It 'reads the vault again when the token must be renewed (a rotated secret is picked up)' {
        $rotating = New-TestApp -Emulator $emulator
        $result = Invoke-Case -With @{ ROTATING_ID = $rotating.ClientId; ROTATING_SECRET = $rotating.Secret; TESTS = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path } @'
Import-Module (Join-Path $env:TESTS 'Emulator.psm1')
$emulator = [pscustomobject]@{ Authority = $env:AUTHORITY; ApiBaseUri = $env:API }
New-Store -Name TestVault
Set-Secret -Name app-rotate -Vault TestVault -Secret ([pscredential]::new($env:ROTATING_ID, (ConvertTo-SecureString $env:ROTATING_SECRET -AsPlainText -Force)))
Get-ITwinServiceToken -Vault TestVault -SecretName app-rotate @at | Out-Null
Set-EmulatorApp -Emulator $emulator -ClientId $env:ROTATING_ID -ClientSecret 'rotated-secret' | Out-Null
Set-Secret -Name app-rotate -Vault TestVault -Secret ([pscredential]::new($env:ROTATING_ID, (ConvertTo-SecureString 'rotated-secret' -AsPlainText -Force)))
Get-ITwinConnection | Clear-ITwinTokenCache    # the next request must renew, as after expiry
Write-Result @{ Email = (Get-ITwinMe).Email }
'@
        $result.Email | Should -BeLike "$($rotating.ClientId)@*"
    }
}

Describe 'Vault failures are clear error records, never prompts' -Tag CoreOnly, Secrets, Vaults {
    BeforeAll {
        # The table's cases are read in one child with its own HOME ('no vault at all' before the store
        # is registered), each after $Error.Clear(), each with its own secret.
        if (-not $realSkip) {
            $cases = Invoke-Case @'
function Test-Case([scriptblock] $Run) {
    $Error.Clear()
    $failure = Get-Failure $Run
    [pscustomobject]@{ Failure = $failure; Errors = @($Error | ForEach-Object { ("$($_.FullyQualifiedErrorId)" -split ',')[0] }) }
}
$cases = [ordered]@{}
$cases['no vault registered at all'] = Test-Case { Get-ITwinServiceToken -SecretName app-cred @at }
New-Store -Name TestVault
Set-Secret -Name bytes -Vault TestVault -Secret ([byte[]](1, 2, 3))
Set-Secret -Name table-bad -Vault TestVault -Secret @{ Foo = 'bar' }
Set-Secret -Name bare -Vault TestVault -Secret $app.Password
$cases['an unknown vault'] = Test-Case { Get-ITwinServiceToken -Vault NoSuchVault -SecretName app-cred @at }
$cases['a missing secret'] = Test-Case { Get-ITwinServiceToken -Vault TestVault -SecretName no-such-secret @at }
$cases['a byte[] secret'] = Test-Case { Get-ITwinServiceToken -Vault TestVault -SecretName bytes @at }
$cases['a Hashtable without the keys'] = Test-Case { Get-ITwinServiceToken -Vault TestVault -SecretName table-bad @at }
$cases['a SecureString with no client id anywhere'] = Test-Case { Get-ITwinServiceToken -Vault TestVault -SecretName bare @at }
Write-Result $cases
'@
        }
    }
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It '<Case> is <ErrorId> (<Category>) and says <Remedy>' -ForEach @(
        @{ Case = 'no vault registered at all'; ErrorId = 'VaultNotFound'; Category = 'ObjectNotFound'; Remedy = 'Register-SecretVault' }
        @{ Case = 'an unknown vault'; ErrorId = 'VaultNotFound'; Category = 'ObjectNotFound'; Remedy = 'Get-SecretVault' }
        @{ Case = 'a missing secret'; ErrorId = 'SecretNotFound'; Category = 'ObjectNotFound'; Remedy = 'Set-Secret' }
        @{ Case = 'a byte[] secret'; ErrorId = 'SecretTypeNotSupported'; Category = 'InvalidType'; Remedy = 'PSCredential' }
        @{ Case = 'a Hashtable without the keys'; ErrorId = 'SecretTypeNotSupported'; Category = 'InvalidType'; Remedy = 'ClientSecret' }
        @{ Case = 'a SecureString with no client id anywhere'; ErrorId = 'ClientIdMissing'; Category = 'InvalidArgument'; Remedy = '-ClientId' }
    ) {
        $result = $cases.$Case
        $result | Should -Not -BeNullOrEmpty -Because "the child read the case '$Case'"
        $result.Failure.Id | Should -Be $ErrorId
        $result.Failure.Category | Should -Be $Category
        $result.Failure.Message | Should -Match ([regex]::Escape($Remedy))
        $result.Failure.Shown | Should -Not -Match $StackTracePattern
        $result.Errors | Should -Be @($ErrorId) -Because '$Error holds ITwinAuth''s record only, none of SecretManagement''s'
    }

    It 'a locked SecretStore (a new process) is VaultLocked, naming the vault and Unlock-SecretStore, with -Vault and without; unlocked, it signs in' {
        $shared = New-VaultHome
        try {
            # Created with its password, the store is unlocked in the process that created it only.
            $setup = Invoke-Case -HomePath $shared @'
New-Store -Name Store1 -Default -Password
Set-Secret -Name app -Vault Store1 -Secret $app
Write-Result @{ Stored = (Get-SecretInfo -Name app -Vault Store1).Name }
'@
            $setup.Stored | Should -Be 'app'
            $result = Invoke-Case -HomePath $shared @'
$Error.Clear()
$with = Get-Failure { Get-ITwinServiceToken -Vault Store1 -SecretName app @at }
$without = Get-Failure { Get-ITwinServiceToken -SecretName app @at }
$errors = @($Error | ForEach-Object { ("$($_.FullyQualifiedErrorId)" -split ',')[0] })
Unlock-SecretStore -Password $storePassword
Write-Result @{ With = $with; Without = $without; Errors = $errors; ClientId = (Get-ITwinServiceToken -Vault Store1 -SecretName app @at).ClientId }
'@
        }
        finally {
            Remove-Item $shared -Recurse -Force -ErrorAction Ignore
        }
        foreach ($failure in $result.With, $result.Without) {
            $failure.Id | Should -Be 'VaultLocked'
            $failure.Category | Should -Be 'SecurityError'
            $failure.Message | Should -Match "'Store1'"
            $failure.Message | Should -Match 'Unlock-SecretStore'
            $failure.Inner | Should -Be 'Microsoft.PowerShell.SecretManagement.PasswordRequiredException'
        }
        $result.Errors | Should -Be @('VaultLocked', 'VaultLocked')
        $result.ClientId | Should -Be $app.ClientId
    }

    It 'a store that asks for its password where none can be typed (stdin at its end) is SecretReadFailed, saying so' {
        $result = Invoke-Case -Interactive @'
New-LockedStore -Name Asking -Interaction Prompt
Write-Result @{ Failure = Get-Failure { Get-ITwinServiceToken -Vault Asking -SecretName app @at } }
'@
        $result.Output | Should -Match 'Enter password:' -Because 'SecretStore asked (shared/SECRETMANAGEMENT.md, Interaction Prompt)'
        $result.Failure.Id | Should -Be 'SecretReadFailed'
        $result.Failure.Category | Should -Be 'ReadError'
        $result.Failure.Message | Should -Match 'without a reason .*password.*Unlock-SecretStore'
    }
}

Describe 'Issue 13 against the real modules: one read of one vault, errors by id, renewal of the whole app' -Tag CoreOnly, Secrets, Vaults, Issue13 {
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It 'findings 1, 6 and 7: one read of the vault that holds the secret, at sign-in, on a cache hit and at renewal; a locked or offline other vault is not touched' {
        $result = Invoke-Case @'
New-FileVault -Name FileV -Default
New-FileVault -Name BrokenV -Broken
New-LockedStore -Name LockedStore -Interaction Prompt
Set-Secret -Name app -Vault FileV -Secret $app -Metadata @{ Scope = 'itwin-platform' }
$null = Get-VaultCall
$errorsBefore = $Error.Count
$null = Get-ITwinServiceToken -SecretName app @at
$withoutVault = Get-VaultCall; $source = (Get-ITwinConnection).CredentialSource
$null = Get-ITwinServiceToken -Vault FileV -SecretName app @at -Force
$withVault = Get-VaultCall
$null = Get-ITwinServiceToken -Vault FileV -SecretName app @at
$cacheHit = Get-VaultCall
Set-Secret -Name app -Vault FileV -Secret $other -Metadata @{ Scope = 'itwin-platform users:read' }
$null = Get-VaultCall
Get-ITwinConnection | Clear-ITwinTokenCache    # the next request must renew, as after expiry
$email = (Get-ITwinMe).Email
$renewal = Get-VaultCall
$connection = Get-ITwinConnection
Write-Result @{ WithoutVault = $withoutVault; WithVault = $withVault; CacheHit = $cacheHit; Renewal = $renewal; Source = $source
    Email = $email; ClientId = $connection.ClientId; Scopes = @($connection.Scopes); NewErrors = $Error.Count - $errorsBefore }
'@
        $result.WithoutVault | Should -Be @('Get-Secret app FileV', 'Get-SecretInfo app FileV') -Because 'Get-SecretVault finds the default vault in the registry; only it is read'
        $result.Source | Should -Be "SecretManagement vault 'FileV' secret 'app'"
        $result.WithVault | Should -Be @('Get-Secret app FileV', 'Get-SecretInfo app FileV')
        $result.CacheHit | Should -Be @('Get-Secret app FileV', 'Get-SecretInfo app FileV')
        $result.Renewal | Should -Be @('Get-Secret app FileV', 'Get-SecretInfo app FileV')
        $result.Email | Should -BeLike "$($other.ClientId)@*"
        $result.ClientId | Should -Be $other.ClientId
        $result.Scopes | Should -Be @('itwin-platform', 'users:read')
        $result.NewErrors | Should -Be 0
        $result.Output | Should -Not -Match 'requires a password|Enter password' -Because 'the locked store set to prompt was never called'
    }

    It 'finding 3: $Error and a transcript hold only ITwinAuth''s record, not SecretManagement''s' {
        $result = Invoke-Case @'
New-FileVault -Name FileV -Default
New-FileVault -Name Offline -Broken
New-LockedStore -Name LockedStore
$transcript = Join-Path $HOME 'transcript.txt'
$Error.Clear()
Start-Transcript -Path $transcript | Out-Null
foreach ($run in { Get-ITwinServiceToken -Vault FileV -SecretName missing-app @at }, { Get-ITwinServiceToken -SecretName missing-app @at },
    { Get-ITwinServiceToken -Vault Offline -SecretName app @at }) {
    try { & $run | Out-Null } catch { $_ | Out-Host }
}
Stop-Transcript | Out-Null
Write-Result @{ Errors = @($Error | ForEach-Object { ("$($_.FullyQualifiedErrorId)" -split ',')[0] }); Transcript = Get-Content $transcript -Raw }
'@
        # Newest first. Without -Vault the search passed the locked store (before Offline by name): that is what stopped it.
        $result.Errors | Should -Be @('SecretReadFailed', 'VaultLocked', 'SecretNotFound')
        $result.Transcript | Should -Not -Match 'Get-Secret(Info)?:'
        $result.Transcript | Should -Not -Match 'The secret missing-app was not found'
        $result.Transcript | Should -Match "No secret named 'missing-app'" -Because 'the transcript must have recorded ITwinAuth''s own errors'
    }

    It 'finding 4: Get-ITwinConnection names the vault that returned the secret, not "(default vault)"; vaults are asked one at a time' {
        $result = Invoke-Case @'
New-FileVault -Name FileV -Default
New-FileVault -Name OtherV
Set-Secret -Name app-elsewhere -Vault OtherV -Secret $app
$null = Get-VaultCall
Get-ITwinServiceToken -SecretName app-elsewhere @at | Out-Null
Write-Result @{ Source = (Get-ITwinConnection).CredentialSource; Calls = Get-VaultCall }
'@
        $result.Source | Should -Be "SecretManagement vault 'OtherV' secret 'app-elsewhere'"
        $result.Calls | Should -Be @('Get-Secret app-elsewhere FileV', 'Get-Secret app-elsewhere OtherV', 'Get-SecretInfo app-elsewhere OtherV')
    }

    It 'finding 5: an offline vault''s own reason is in the message and is the InnerException, with -Vault and without' {
        $result = Invoke-Case @'
New-FileVault -Name Offline -Default -Broken
Write-Result @{ With = Get-Failure { Get-ITwinServiceToken -Vault Offline -SecretName app-x @at }; Without = Get-Failure { Get-ITwinServiceToken -SecretName app-x @at } }
'@
        foreach ($failure in $result.With, $result.Without) {
            $failure.Id | Should -Be 'SecretReadFailed'
            $failure.Category | Should -Be 'ReadError'
            $failure.Message | Should -Match "'Offline'"
            $failure.Message | Should -Match 'unreachable \(simulated outage\)'
            $failure.Inner | Should -Be 'System.Management.Automation.PSInvalidOperationException'
            $failure.Innermost | Should -Be 'The vault backend is unreachable (simulated outage).'
        }
    }

    It 'finding 7: a Hashtable that holds every setting costs one call; explicit parameters can spare the metadata read' {
        $result = Invoke-Case @'
New-FileVault -Name LogVault
Set-Secret -Name app-full -Vault LogVault -Secret @{ ClientId = $env:APP_ID; ClientSecret = $env:APP_SECRET; Scope = 'itwin-platform'; Authority = $env:AUTHORITY; ApiBaseUri = $env:API }
Set-Secret -Name app-logged -Vault LogVault -Secret $app
$null = Get-VaultCall
Get-ITwinServiceToken -Vault LogVault -SecretName app-full | Out-Null
$full = Get-VaultCall
Get-ITwinServiceToken -Vault LogVault -SecretName app-logged -Scope itwin-platform @at | Out-Null
Write-Result @{ Full = $full; Explicit = Get-VaultCall }
'@
        $result.Full | Should -Be @('Get-Secret app-full LogVault')
        $result.Explicit | Should -Be @('Get-Secret app-logged LogVault')
    }

    It 'finding 8: an explicit -Environment against hosts stored with the secret is a clear error; -Authority/-ApiBaseUri override them' {
        $result = Invoke-Case @'
New-Store -Name TestVault
Set-Secret -Name app-hosts -Vault TestVault -Secret @{ ClientId = $env:APP_ID; ClientSecret = $env:APP_SECRET; Authority = $env:AUTHORITY; ApiBaseUri = $env:API }
$failure = Get-Failure { Get-ITwinServiceToken -Vault TestVault -SecretName app-hosts -Environment QA }
Get-ITwinServiceToken -Vault TestVault -SecretName app-hosts | Out-Null
$stored = Get-ITwinConnection
Get-ITwinServiceToken -Vault TestVault -SecretName app-hosts -Environment QA @at | Out-Null
Write-Result @{ Failure = $failure; Environment = $stored.Environment; StoredFrom = $stored.SettingsFrom; ExplicitFrom = (Get-ITwinConnection).SettingsFrom }
'@
        $result.Failure.Id | Should -Be 'InvalidParameter'
        $result.Failure.Category | Should -Be 'InvalidArgument'
        $result.Failure.Message | Should -Match '-Environment QA means Authority https://qa-ims.bentley.com'
        $result.Failure.Message | Should -Match ([regex]::Escape($emulator.Authority))
        $result.Environment | Should -BeNullOrEmpty
        $result.StoredFrom | Should -Be 'ClientId=Secret, Scopes=Default, Authority=Secret, ApiBaseUri=Secret'
        $result.ExplicitFrom | Should -Be 'ClientId=Secret, Scopes=Default, Authority=Parameter, ApiBaseUri=Parameter'
    }

    It 'finding 9 and completion: -Vault completes from the registry, -SecretName from this session''s sign-ins; no vault is called and none asks for a password' {
        $result = Invoke-Case @'
function Complete([string] $Line) { @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText) }
New-FileVault -Name LogVault -Default
New-FileVault -Name OtherVault
New-LockedStore -Name LockedStore -Interaction Prompt
Set-Secret -Name app-cred -Vault LogVault -Secret $app
Get-ITwinServiceToken -Vault LogVault -SecretName app-cred @at | Out-Null
$null = Get-VaultCall
Write-Result @{
    Vaults      = Complete 'Get-ITwinServiceToken -Vault Lo'
    Secrets     = Complete 'Get-ITwinServiceToken -Vault LogVault -SecretName app-c'
    Other       = Complete 'Get-ITwinServiceToken -Vault OtherVault -SecretName app-c'
    Locked      = Complete 'Get-ITwinServiceToken -Vault LockedStore -SecretName '
    AnyVault    = Complete 'Get-ITwinServiceToken -SecretName app'
    Calls       = Get-VaultCall
}
'@
        $result.Vaults | Should -Be @('LockedStore', 'LogVault')
        $result.Secrets | Should -Be @('app-cred')
        $result.Other | Should -Not -Contain 'app-cred'
        $result.AnyVault | Should -Be @('app-cred')
        $result.Calls | Should -BeNullOrEmpty
        $result.Output | Should -Not -Match 'requires a password|Enter password'
    }
}

Describe 'What a vault returns is checked before use' -Tag CoreOnly, Secrets, Vaults {
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It 'a Hashtable or metadata value that is not text is SecretTypeNotSupported, naming the key; it never signs in as System.Collections.Hashtable' {
        $result = Invoke-Case @'
New-FileVault -Name FileV
Set-Secret -Name nested -Vault FileV -Secret @{ ClientId = @{ Id = $env:APP_ID }; ClientSecret = $env:APP_SECRET }
Set-Secret -Name nested-meta -Vault FileV -Secret $env:APP_SECRET -Metadata @{ ClientId = @{ Id = $env:APP_ID } }
Set-Secret -Name listed -Vault FileV -Secret @{ ClientId = $env:OTHER_ID; ClientSecret = $env:OTHER_SECRET; Scope = @('itwin-platform', 'users:read') }
Set-Secret -Name secret-list -Vault FileV -Secret @{ ClientId = $env:APP_ID; ClientSecret = @('line 1', 'line 2') }
Write-Result @{
    Nested     = Get-Failure { Get-ITwinServiceToken -Vault FileV -SecretName nested @at }
    Metadata   = Get-Failure { Get-ITwinServiceToken -Vault FileV -SecretName nested-meta @at }
    SecretList = Get-Failure { Get-ITwinServiceToken -Vault FileV -SecretName secret-list @at }
    Scopes     = @((Get-ITwinServiceToken -Vault FileV -SecretName listed @at).Scopes)
}
'@
        foreach ($failure in $result.Nested, $result.Metadata) {
            $failure.Id | Should -Be 'SecretTypeNotSupported'
            $failure.Category | Should -Be 'InvalidType'
            $failure.Message | Should -Match 'The ClientId .* is a Hashtable, not text'
            $failure.Message | Should -Not -Match ([regex]::Escape($app.Secret))
        }
        $result.Nested.Message | Should -Match "Hashtable in the secret 'nested'"
        $result.Metadata.Message | Should -Match "metadata of the secret 'nested-meta'.*Set-SecretInfo"
        $result.SecretList.Id | Should -Be 'SecretTypeNotSupported'
        $result.SecretList.Message | Should -Match 'ClientSecret is a Object\[\].*-Raw'
        $result.Scopes | Should -Be @('itwin-platform', 'users:read') -Because 'a Scope may be a list of texts'
    }

    It 'a ClientSecret read with Get-Content (a PSObject-wrapped string) of more than 65,536 characters is SecretValueInvalid, never an ArgumentOutOfRangeException' {
        $result = Invoke-Case @'
New-FileVault -Name FileV
$file = Join-Path $HOME 'whole-file.txt'
Set-Content -Path $file -Value ('Canary-Secret-' * 5000) -NoNewline
$content = Get-Content $file -Raw
Set-Secret -Name from-file -Vault FileV -Secret @{ ClientId = $env:APP_ID; ClientSecret = $content }
$returned = (Get-Secret -Name from-file -Vault FileV).ClientSecret
Write-Result @{ Wrapped = $returned -is [psobject]; Length = $returned.Length; Failure = Get-Failure { Get-ITwinServiceToken -Vault FileV -SecretName from-file @at } }
'@
        $result.Wrapped | Should -BeTrue -Because 'SecretManagement passes a PSObject-wrapped string through unconverted'
        $result.Length | Should -Be 70000
        $result.Failure.Id | Should -Be 'SecretValueInvalid'
        $result.Failure.Category | Should -Be 'InvalidData'
        $result.Failure.Message | Should -Match '70,000 characters, more than the 65,536'
        $result.Failure.Message | Should -Match 'Get-Content <file> -Raw'
        $result.Failure.Shown | Should -Not -Match 'Canary-Secret|ArgumentOutOfRange'
    }

    It 'a vault''s own text reaches a message without control characters, cut to an excerpt; a setting with one is SecretValueInvalid' {
        $result = Invoke-Case @'
$reason = "`e[31mBackend`e[0m down`r`nsecond line`a" + ('x' * 2000) + 'END-OF-REASON'
New-FileVault -Name Loud -Broken -Reason $reason
New-FileVault -Name FileV
Set-Secret -Name escaped -Vault FileV -Secret @{ ClientId = "service-x`e[2J"; ClientSecret = $env:APP_SECRET }
Set-Secret -Name long-id -Vault FileV -Secret @{ ClientId = 'service-' + ('y' * 300); ClientSecret = $env:APP_SECRET }
Write-Result @{
    Reason  = Get-Failure { Get-ITwinServiceToken -Vault Loud -SecretName app @at }
    Escaped = Get-Failure { Get-ITwinServiceToken -Vault FileV -SecretName escaped @at }
    LongId  = Get-Failure { Get-ITwinServiceToken -Vault FileV -SecretName long-id @at }
}
'@
        $controls = '[\x00-\x08\x0A-\x1F\x7F-\x9F]'
        $result.Reason.Id | Should -Be 'SecretReadFailed'
        $result.Reason.Message | Should -Not -Match $controls
        $result.Reason.Message | Should -Match 'Backend\[0m down second line'
        $result.Reason.Message | Should -Match '\.\.\. \(\d+ more characters\)$'
        $result.Reason.Message | Should -Not -Match 'END-OF-REASON'
        $result.Reason.Message.Length | Should -BeLessThan 600
        $result.Reason.Innermost | Should -Match 'END-OF-REASON' -Because 'the vault''s whole reason stays in the InnerException'
        $result.Escaped.Id | Should -Be 'SecretValueInvalid'
        $result.Escaped.Category | Should -Be 'InvalidData'
        $result.Escaped.Message | Should -Match 'ClientId .*control character \(at position 10\)'
        $result.Escaped.Message | Should -Not -Match $controls
        $result.LongId.Id | Should -Be 'SecretValueInvalid'
        $result.LongId.Message | Should -Match '308 characters long; at most 256'
        $result.LongId.Message | Should -Not -Match 'yyyy'
    }
}

Describe 'Secrets and tokens never leak from the vault source' -Tag CoreOnly, Secrets, Vaults, Leak {
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    It 'appear in no stream, $Error, transcript, view or message across every vault read and vault failure' {
        $leakApp = New-TestApp -Emulator $emulator -Secret 'Leak-Canary-Secret-8f3a+&=/'
        # The secrets come in environment variables: as literals in the child's -Command text, they would be in
        # its transcript, which records the command line.
        $result = Invoke-Case -With @{ LEAK_ID = $leakApp.ClientId; LEAK_SECRET = $leakApp.Secret; WRONG_SECRET = 'Wrong-Canary-Secret' } @'
$secret = $env:LEAK_SECRET
$leak = [pscredential]::new($env:LEAK_ID, (ConvertTo-SecureString $secret -AsPlainText -Force))
New-Store -Name TestVault -Default
New-FileVault -Name FileV
New-FileVault -Name Loud -Broken -Reason "The backend refused the request`e[0m"
Set-Secret -Name leak-cred -Vault TestVault -Secret $leak
Set-Secret -Name leak-table -Vault TestVault -Secret @{ ClientId = $env:LEAK_ID; ClientSecret = $secret }
Set-Secret -Name leak-meta -Vault TestVault -Secret $secret -Metadata @{ ClientId = $env:LEAK_ID }
Set-Secret -Name leak-wrong -Vault TestVault -Secret ([pscredential]::new($env:LEAK_ID, (ConvertTo-SecureString $env:WRONG_SECRET -AsPlainText -Force)))
$file = Join-Path $HOME 'whole-file.txt'
Set-Content -Path $file -Value ($secret * 3000) -NoNewline
Set-Secret -Name leak-long -Vault FileV -Secret @{ ClientId = $env:LEAK_ID; ClientSecret = (Get-Content $file -Raw) }
Set-Secret -Name leak-nested -Vault FileV -Secret @{ ClientId = @{ Id = $env:LEAK_ID }; ClientSecret = $secret }
Set-Secret -Name leak-escape -Vault FileV -Secret @{ ClientId = "$($env:LEAK_ID)`e[2J"; ClientSecret = $secret }
$transcript = Join-Path $HOME 'transcript.txt'
$Error.Clear()
$tokens = [System.Collections.Generic.List[string]]::new()
function Get-PlainToken($Token) { [System.Net.NetworkCredential]::new('', $Token.Token).Password }
$VerbosePreference = 'Continue'; $DebugPreference = 'Continue'; $InformationPreference = 'Continue'
Start-Transcript -Path $transcript -Force | Out-Null
$captured = & {
    $t = Get-ITwinServiceToken -Vault TestVault -SecretName leak-cred @at -Force -Verbose -Debug; $tokens.Add((Get-PlainToken $t)); $t; "$t"; $t | Format-List *
    $t = Get-ITwinServiceToken -Vault TestVault -SecretName leak-table @at -Force -Verbose -Debug; $tokens.Add((Get-PlainToken $t)); $t
    $t = Get-ITwinServiceToken -SecretName leak-meta @at -Force -Verbose -Debug; $tokens.Add((Get-PlainToken $t)); $t
    Get-ITwinConnection | Format-List *
    Get-ITwinMe -Verbose -Debug | Format-List *
    Get-ITwinConnection | Clear-ITwinTokenCache    # a renewal reads the vault again
    Invoke-ITwinRequest -Path /users/me -Verbose -Debug
    foreach ($failure in @(
            { Get-ITwinServiceToken -Vault TestVault -SecretName leak-wrong @at -Verbose -Debug }
            { Get-ITwinServiceToken -Vault TestVault -SecretName missing @at -Verbose -Debug }
            { Get-ITwinServiceToken -Vault NoSuchVault -SecretName leak-cred @at -Verbose -Debug }
            { Get-ITwinServiceToken -Vault Loud -SecretName leak-cred @at -Verbose -Debug }
            { Get-ITwinServiceToken -Vault FileV -SecretName leak-long @at -Verbose -Debug }
            { Get-ITwinServiceToken -Vault FileV -SecretName leak-nested @at -Verbose -Debug }
            { Get-ITwinServiceToken -Vault FileV -SecretName leak-escape @at -Verbose -Debug })) {
        try { & $failure } catch { $_ | Format-List * -Force; $_.Exception | Format-List * -Force }
    }
} *>&1 | Out-String -Width 400
Stop-Transcript | Out-Null
$VerbosePreference = 'SilentlyContinue'; $DebugPreference = 'SilentlyContinue'; $InformationPreference = 'SilentlyContinue'
$basic = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("$($env:LEAK_ID):$secret"))
$haystacks = [ordered]@{
    Streams    = $captured
    Transcript = Get-Content $transcript -Raw
    Errors     = ($Error | ForEach-Object {
            $_ | Out-String
            if ($_ -is [System.Management.Automation.ErrorRecord]) { "$($_.Exception.Message)"; "$($_.ErrorDetails)"; "$($_.TargetObject)" } else { "$_" }
        }) -join "`n"
}
$needles = [ordered]@{ Secret = $secret; Wrong = $env:WRONG_SECRET; Basic = $basic }
for ($i = 0; $i -lt $tokens.Count; $i++) { $needles["Token$i"] = $tokens[$i] }
Write-Result @{
    Tokens = $tokens.Count
    Found  = @(foreach ($place in $haystacks.Keys) { foreach ($name in $needles.Keys) { if ($haystacks[$place].Contains($needles[$name])) { "$name in $place" } } })
    Errors = @($Error | ForEach-Object { ("$($_.FullyQualifiedErrorId)" -split ',')[0] })
    Verbose = $captured -match 'Reading the client secret from'
}
'@
        $result.Tokens | Should -Be 3
        $result.Verbose | Should -BeTrue -Because 'the leak scan must have seen verbose output'
        $result.Errors | Should -Be @('SecretValueInvalid', 'SecretTypeNotSupported', 'SecretValueInvalid', 'SecretReadFailed', 'VaultNotFound', 'SecretNotFound', 'InvalidClient') -Because 'the scan must have seen every failure'
        $result.Found | Should -BeNullOrEmpty -Because 'no secret or token may be in a stream, $Error or the transcript'
    }
}

Describe 'A vault that hangs' -Tag CoreOnly, Secrets, Vaults, Hang {
    BeforeEach { if ($realSkip) { Set-ItResult -Skipped -Because $realSkip } }

    # The module's own deadline is SecretManagementClient.ReadDeadline (30 s). These tests give the
    # internal client a short one instead (New-VaultClient), so that nothing waits 30 s.
    It 'is stopped at the read''s deadline when it waits in PowerShell code: VaultTimedOut (OperationTimeout), and SecretManagement works afterwards' {
        $result = Invoke-Case @'
New-Store -Name Store
Set-Secret -Name app -Vault Store -Secret $app
New-FileVault -Name Hung -HangSeconds 60
Set-Secret -Name app -Vault Hung -Secret $app
$client = New-VaultClient -Deadline ([TimeSpan]::FromSeconds(2))
$watch = [Diagnostics.Stopwatch]::StartNew()
try { $client.ReadSecret('app', 'Hung'); $thrown = $null } catch { $thrown = $_.Exception.InnerException }
$elapsed = $watch.Elapsed.TotalSeconds
$type = $client.GetType()
Write-Result @{
    Elapsed = $elapsed; Type = $thrown.GetType().FullName; Id = $thrown.ErrorId; Category = "$($thrown.Category)"; Message = $thrown.Message
    Deadline = $type.GetField('ReadDeadline').GetValue($null).TotalSeconds
    After = (Get-ITwinServiceToken -Vault Store -SecretName app @at).ClientId
    Calls = Get-VaultCall
}
'@
        $result.Type | Should -Be 'ITwinAuth.ITwinAuthException'
        $result.Id | Should -Be 'VaultTimedOut'
        $result.Category | Should -Be 'OperationTimeout'
        $result.Message | Should -Match "Reading the secret 'app' from the vault 'Hung' did not finish within 2 s"
        $result.Message | Should -Match 'Test-SecretVault -Name Hung'
        $result.Message | Should -Match '-Credential'
        $result.Elapsed | Should -BeGreaterOrEqual 2
        $result.Elapsed | Should -BeLessThan 15 -Because 'the vault would have hung for 60 s; its call is stopped at the deadline'
        $result.After | Should -Be $app.ClientId -Because 'SecretManagement opens a new runspace for its next call'
        $result.Calls | Should -Be @('Get-Secret app Hung')
        $result.Deadline | Should -Be 30 -Because 'docs/SECRETS.md documents the module''s deadline as 30 s'
    }

    It 'is waited for when it blocks in .NET code that ignores a stop; the read then fails as VaultTimedOut and its late answer is not used' {
        $result = Invoke-Case @'
New-FileVault -Name Stuck -HangSeconds 5 -HangIn DotNet
Set-Secret -Name app -Vault Stuck -Secret $app
$client = New-VaultClient -Deadline ([TimeSpan]::FromSeconds(1))
$watch = [Diagnostics.Stopwatch]::StartNew()
try { $answer = $client.ReadSecret('app', 'Stuck'); $thrown = $null } catch { $thrown = $_.Exception.InnerException }
Write-Result @{ Elapsed = $watch.Elapsed.TotalSeconds; Answered = $null -ne $answer; Id = $thrown.ErrorId; Message = $thrown.Message }
'@
        $result.Answered | Should -BeFalse
        $result.Id | Should -Be 'VaultTimedOut'
        $result.Elapsed | Should -BeGreaterOrEqual 5 -Because 'nothing can interrupt Thread.Sleep: the pipeline thread is in it'
        $result.Message | Should -Match 'did not finish within 1 s'
        $result.Message | Should -Match 'after [5-9](\.\d)? s'
    }

    It 'stops with the command: Ctrl+C (PowerShell.Stop) ends a sign-in waiting on a hung vault' {
        $result = Invoke-Case @'
New-FileVault -Name Hung -HangSeconds 60
Set-Secret -Name app -Vault Hung -Secret $app
$ps = [powershell]::Create()
[void] $ps.AddScript("Import-Module '$env:ITWINAUTH_MODULE'; Get-ITwinServiceToken -Vault Hung -SecretName app -Authority '$env:AUTHORITY' -ApiBaseUri '$env:API'")
$handle = $ps.BeginInvoke()
while (-not (Test-Path $env:VAULT_LOG)) { Start-Sleep -Milliseconds 100 }    # the vault has been called
Start-Sleep -Milliseconds 500
$watch = [Diagnostics.Stopwatch]::StartNew()
$ps.Stop()
Write-Result @{ StopSeconds = $watch.Elapsed.TotalSeconds; State = "$($ps.InvocationStateInfo.State)" }
'@
        $result.State | Should -Be 'Stopped'
        $result.StopSeconds | Should -BeLessThan 15 -Because 'the stop must reach the vault''s call at once, not at the 30 s deadline (the vault would hang for 60 s)'
    }
}
