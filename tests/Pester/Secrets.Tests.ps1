# Issue: secrets. Every credential source, every failure with its ErrorId, completion, no prompts,
# and a leak scan over all of it. SecretManagement is the stand-in under tests/SecretManagement
# (the real module is not served here; it follows shared/SECRETMANAGEMENT.md error for error and logs
# every vault extension call); see the last Describe for the real one. 'Issue 13' holds one test per
# finding of issue 13.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator
    $standIn = (Resolve-Path (Join-Path $PSScriptRoot '../SecretManagement')).Path
    $savedModulePath = $env:PSModulePath
    $env:PSModulePath = $standIn + [IO.Path]::PathSeparator + $env:PSModulePath
    $envNames = 'ITWIN_CLIENT_ID', 'ITWIN_CLIENT_SECRET', 'ITWIN_SCOPE', 'ITWIN_AUTHORITY', 'ITWIN_API_BASE_URI',
        'ITP_SERVICE_CLIENT_ID', 'ITP_SERVICE_CLIENT_SECRET', 'ITP_ISSUER_URL', 'ITP_API_URL'
    function Clear-ITwinEnvironment { foreach ($name in $envNames) { Remove-Item "Env:$name" -ErrorAction Ignore } }
    Clear-ITwinEnvironment

    Register-SecretVault -Name TestVault -ModuleName Microsoft.PowerShell.SecretStore -DefaultVault
    Register-SecretVault -Name OtherVault -ModuleName Microsoft.PowerShell.SecretStore
    $app = New-TestApp -Emulator $emulator
    $credential = [pscredential]::new($app.ClientId, $app.SecureSecret)
    $at = @{ Authority = $emulator.Authority; ApiBaseUri = $emulator.ApiBaseUri }
    $vaultPassword = ConvertTo-SecureString 'vault-password' -AsPlainText -Force
    # The extension calls that reached one vault since the last Clear-StandInExtensionCall.
    function Get-VaultCall([string] $Vault) { @(Get-StandInExtensionCall | Where-Object { ($_ -split ' ')[-1] -eq $Vault }) }
}
AfterAll {
    Clear-ITwinEnvironment
    $env:PSModulePath = $savedModulePath
    Remove-Module Microsoft.PowerShell.SecretManagement -ErrorAction Ignore
    Stop-ITwinEmulator -Emulator $emulator
}

Describe 'Vault source' -Tag Secrets {
    It 'reads a PSCredential (user name = client id), the recommended form' {
        Set-Secret -Name app-cred -Secret $credential -Vault TestVault
        $token = Get-ITwinServiceToken -Vault TestVault -SecretName app-cred @at
        $token.ClientId | Should -Be $app.ClientId
        (Get-ITwinConnection).CredentialSource | Should -Be "SecretManagement vault 'TestVault' secret 'app-cred'"
        (Get-ITwinMe).Email | Should -BeLike "$($app.ClientId)@*"
    }

    It 'reads a SecureString with the client id from -ClientId' {
        Set-Secret -Name app-secure -Secret $app.SecureSecret -Vault OtherVault
        (Get-ITwinServiceToken -Vault OtherVault -SecretName app-secure -ClientId $app.ClientId @at).ClientId | Should -Be $app.ClientId
    }

    It 'reads a string secret whose metadata carries the client id, scope, authority and API' {
        Set-Secret -Name app-meta -Secret $app.Secret -Vault TestVault -Metadata @{
            ClientId = $app.ClientId; Scope = 'itwin-platform'; Authority = $emulator.Authority; ApiBaseUri = $emulator.ApiBaseUri
        }
        $token = Get-ITwinServiceToken -Vault TestVault -SecretName app-meta
        $token.ClientId | Should -Be $app.ClientId
        (Get-ITwinConnection).ApiBaseUri.ToString().TrimEnd('/') | Should -Be $emulator.ApiBaseUri
    }

    It 'reads a Hashtable with ClientId, ClientSecret, Authority and ApiBaseUri' {
        Set-Secret -Name app-table -Vault TestVault -Secret @{
            ClientId = $app.ClientId; ClientSecret = $app.Secret; Authority = $emulator.Authority; ApiBaseUri = $emulator.ApiBaseUri
        }
        (Get-ITwinServiceToken -Vault TestVault -SecretName app-table).ClientId | Should -Be $app.ClientId
    }

    It 'lets explicit parameters override metadata' {
        Set-Secret -Name app-override -Secret $app.Secret -Vault TestVault -Metadata @{
            ClientId = $app.ClientId; Scope = 'users:read'; Authority = 'https://ims.invalid'; ApiBaseUri = 'https://api.invalid'
        }
        $token = Get-ITwinServiceToken -Vault TestVault -SecretName app-override -Scope itwin-platform @at
        $token.Scopes | Should -Be @('itwin-platform')
    }

    It 'searches the default vault when -Vault is not given' {
        Set-Secret -Name app-default -Secret $credential -Vault TestVault
        (Get-ITwinServiceToken -SecretName app-default @at).ClientId | Should -Be $app.ClientId
        (Get-ITwinConnection).CredentialSource | Should -Be "SecretManagement vault 'TestVault' secret 'app-default'"
    }

    It 'reads the vault again when the token must be renewed (a rotated secret is picked up)' {
        $rotating = New-TestApp -Emulator $emulator
        Set-Secret -Name app-rotate -Vault TestVault -Secret ([pscredential]::new($rotating.ClientId, $rotating.SecureSecret))
        Get-ITwinServiceToken -Vault TestVault -SecretName app-rotate @at | Out-Null
        Set-EmulatorApp -Emulator $emulator -ClientId $rotating.ClientId -ClientSecret 'rotated-secret' | Out-Null
        Set-Secret -Name app-rotate -Vault TestVault -Secret ([pscredential]::new($rotating.ClientId, (ConvertTo-SecureString 'rotated-secret' -AsPlainText -Force)))
        Get-ITwinConnection | Clear-ITwinTokenCache    # the next request must renew, as after expiry
        (Get-ITwinMe).Email | Should -BeLike "$($rotating.ClientId)@*"
    }
}

Describe 'Credential, direct and environment sources' -Tag Secrets {
    AfterEach { Clear-ITwinEnvironment }

    It 'takes a PSCredential, as a runbook gets from its credential assets' {
        (Get-ITwinServiceToken -Credential $credential @at).ClientId | Should -Be $app.ClientId
        (Get-ITwinConnection).CredentialSourceKind | Should -Be 'Credential'
    }

    It 'takes -ClientId with a SecureString -ClientSecret' {
        (Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret @at).ClientId | Should -Be $app.ClientId
        (Get-ITwinConnection).CredentialSourceKind | Should -Be 'Direct'
    }

    It 'signs in from ITWIN_* environment variables with no parameters at all' {
        $env:ITWIN_CLIENT_ID = $app.ClientId; $env:ITWIN_CLIENT_SECRET = $app.Secret
        $env:ITWIN_AUTHORITY = $emulator.Authority; $env:ITWIN_API_BASE_URI = $emulator.ApiBaseUri; $env:ITWIN_SCOPE = 'itwin-platform'
        (Get-ITwinServiceToken).ClientId | Should -Be $app.ClientId
        (Get-ITwinConnection).CredentialSource | Should -Be 'Environment variable ITWIN_CLIENT_SECRET'
        (Get-ITwinMe).Email | Should -BeLike "$($app.ClientId)@*"
    }

    It 'accepts the iTwin CLI names ITP_SERVICE_CLIENT_ID, ITP_SERVICE_CLIENT_SECRET, ITP_ISSUER_URL and ITP_API_URL' {
        $env:ITP_SERVICE_CLIENT_ID = $app.ClientId; $env:ITP_SERVICE_CLIENT_SECRET = $app.Secret
        $env:ITP_ISSUER_URL = $emulator.Authority; $env:ITP_API_URL = $emulator.ApiBaseUri
        (Get-ITwinServiceToken).ClientId | Should -Be $app.ClientId
        (Get-ITwinConnection).CredentialSource | Should -Be 'Environment variable ITP_SERVICE_CLIENT_SECRET'
    }
}

Describe 'Failures are clear error records, never prompts' -Tag Secrets {
    AfterEach { Clear-ITwinEnvironment }

    It '<Case> is <ErrorId> (<Category>) and says <Remedy>' -ForEach @(
        @{ Case = 'an unknown vault'; ErrorId = 'VaultNotFound'; Category = 'ObjectNotFound'; Remedy = 'Get-SecretVault'
            Run = { Get-ITwinServiceToken -Vault NoSuchVault -SecretName app-cred @at } }
        @{ Case = 'a missing secret'; ErrorId = 'SecretNotFound'; Category = 'ObjectNotFound'; Remedy = 'Set-Secret'
            Run = { Get-ITwinServiceToken -Vault TestVault -SecretName no-such-secret @at } }
        @{ Case = 'a byte[] secret'; ErrorId = 'SecretTypeNotSupported'; Category = 'InvalidType'; Remedy = 'PSCredential'
            Run = { Set-Secret -Name bytes -Vault TestVault -Secret ([byte[]](1, 2, 3)); Get-ITwinServiceToken -Vault TestVault -SecretName bytes @at } }
        @{ Case = 'a Hashtable without the keys'; ErrorId = 'SecretTypeNotSupported'; Category = 'InvalidType'; Remedy = 'ClientSecret'
            Run = { Set-Secret -Name table-bad -Vault TestVault -Secret @{ Foo = 'bar' }; Get-ITwinServiceToken -Vault TestVault -SecretName table-bad @at } }
        @{ Case = 'a SecureString with no client id anywhere'; ErrorId = 'ClientIdMissing'; Category = 'InvalidArgument'; Remedy = '-ClientId'
            Run = { Set-Secret -Name bare -Vault TestVault -Secret $app.SecureSecret; Get-ITwinServiceToken -Vault TestVault -SecretName bare @at } }
        @{ Case = 'an empty client id'; ErrorId = 'ClientIdMissing'; Category = 'InvalidArgument'; Remedy = 'client id'
            Run = { Get-ITwinServiceToken -ClientId ' ' -ClientSecret $app.SecureSecret @at } }
        @{ Case = 'a whitespace secret'; ErrorId = 'ClientSecretMissing'; Category = 'InvalidArgument'; Remedy = 'secret'
            Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret (ConvertTo-SecureString '   ' -AsPlainText -Force) @at } }
        @{ Case = 'no credentials anywhere'; ErrorId = 'NoCredentials'; Category = 'AuthenticationError'; Remedy = 'ITWIN_CLIENT_SECRET'
            Run = { Get-ITwinServiceToken @at } }
        @{ Case = 'a secret in the environment but no client id'; ErrorId = 'ClientIdMissing'; Category = 'InvalidArgument'; Remedy = 'ITWIN_CLIENT_ID'
            Run = { $env:ITWIN_CLIENT_SECRET = 'x'; Get-ITwinServiceToken @at } }
    ) {
        $record = Get-ErrorRecord $Run
        $record.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $record.CategoryInfo.Category | Should -Be $Category
        $record.Exception.Message | Should -Match ([regex]::Escape($Remedy))
        ($record | Out-String) | Should -Not -Match $StackTracePattern
    }

    It 'a locked vault is VaultLocked and names Unlock-SecretStore' {
        Set-Secret -Name locked-app -Secret $credential -Vault OtherVault
        Lock-StandInVault -Name OtherVault -Password $vaultPassword
        try {
            $record = Get-ErrorRecord { Get-ITwinServiceToken -Vault OtherVault -SecretName locked-app @at }
            $record.FullyQualifiedErrorId | Should -BeLike 'VaultLocked,*'
            $record.CategoryInfo.Category | Should -Be 'SecurityError'
            $record.Exception.Message | Should -Match 'Unlock-SecretStore'
            $record.Exception.Message | Should -Match "'OtherVault'"
        }
        finally {
            Unlock-SecretVault -Name OtherVault -Password $vaultPassword
        }
    }

    It 'without SecretManagement the vault source is SecretManagementNotInstalled and names Install-Module' {
        $env:PSModulePath = $savedModulePath
        Remove-Module Microsoft.PowerShell.SecretManagement
        try {
            $Error.Clear()
            $record = Get-ErrorRecord { Get-ITwinServiceToken -Vault TestVault -SecretName app-cred @at }
            $record.FullyQualifiedErrorId | Should -BeLike 'SecretManagementNotInstalled,*'
            $record.CategoryInfo.Category | Should -Be 'NotInstalled'
            $record.Exception.Message | Should -Match 'Install-Module Microsoft.PowerShell.SecretManagement'
            # ...and the other sources still work without it.
            (Get-ITwinServiceToken -Credential $credential @at).ClientId | Should -Be $app.ClientId
            # No vault names (PowerShell falls back to file names when a completer has none).
            (TabExpansion2 -inputScript 'Get-ITwinServiceToken -Vault Test' -cursorColumn 32).CompletionMatches.CompletionText | Should -Not -Contain 'TestVault'
            # Finding 3: neither the -Vault use nor the Tab press left a CommandNotFoundException behind.
            @($Error | Where-Object { "$(if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.FullyQualifiedErrorId } else { $_.GetType().Name })" -match 'CommandNotFound' }) |
                Should -BeNullOrEmpty
            $Error.Count | Should -Be 1 -Because 'only ITwinAuth''s record may be left'
            $Error[0].FullyQualifiedErrorId | Should -BeLike 'SecretManagementNotInstalled,*'
        }
        finally {
            $env:PSModulePath = $standIn + [IO.Path]::PathSeparator + $savedModulePath
            Register-SecretVault -Name TestVault -DefaultVault
            Register-SecretVault -Name OtherVault
        }
    }

    It 'never prompts, even for a missing client id, in a non-interactive pwsh: it fails fast with exit code 1' {
        $run = Invoke-ChildPwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$env:ITWINAUTH_MODULE'; Get-ITwinServiceToken -ClientSecret (ConvertTo-SecureString 's' -AsPlainText -Force)")
        $run.ExitCode | Should -Be 1
        $run.Output | Should -Match 'ClientIdMissing|client id is empty'
    }
}

Describe 'Completion of -Vault and -SecretName' -Tag Secrets {
    It 'completes registered vault names' {
        Set-Secret -Name app-cred -Secret $credential -Vault TestVault
        $line = 'Get-ITwinServiceToken -Vault T'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('TestVault')
    }

    It 'completes the secret names this session signed in with, of the chosen vault' {
        Get-ITwinServiceToken -Vault TestVault -SecretName app-cred @at | Out-Null
        $line = 'Get-ITwinServiceToken -Vault TestVault -SecretName app-c'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('app-cred')
        $line = 'Get-ITwinServiceToken -Vault OtherVault -SecretName app-c'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Not -Contain 'app-cred'
    }
}

Describe 'Issue 13: one read of one vault, errors by id, renewal of the whole app' -Tag Secrets, Issue13 {
    BeforeAll {
        Register-SecretVault -Name LockedStore -ModuleName Microsoft.PowerShell.SecretStore
        Register-SecretVault -Name Offline -ModuleName TestBrokenVault
        Register-SecretVault -Name LogVault -ModuleName TestFileVault
        $second = New-TestApp -Emulator $emulator -Scopes itwin-platform, users:read
        Set-Secret -Name app-logged -Vault LogVault -Secret $credential
        Set-Secret -Name app-in-default -Vault TestVault -Secret $credential
        Set-Secret -Name app-elsewhere -Vault OtherVault -Secret $credential
        Set-Secret -Name app-locked -Vault LockedStore -Secret $credential
    }
    BeforeEach {
        Lock-StandInVault -Name LockedStore -Password $vaultPassword -Interaction Prompt
        Clear-StandInExtensionCall
    }
    AfterAll {
        foreach ($name in 'LockedStore', 'Offline', 'LogVault') { Unregister-SecretVault -Name $name }
        Set-SecretVaultDefault -Name TestVault
    }

    It 'finding 1: without -Vault, only the vault that returns the secret is read; a locked or offline other vault is not touched' {
        (Get-ITwinServiceToken -SecretName app-in-default @at).ClientId | Should -Be $app.ClientId
        Get-VaultCall LockedStore | Should -BeNullOrEmpty
        Get-VaultCall Offline | Should -BeNullOrEmpty
        Get-StandInExtensionCall | Should -Not -Contain 'Prompt LockedStore'
    }

    It 'finding 2: a locked default vault is VaultLocked, naming it, with -Vault and without' {
        Lock-StandInVault -Name TestVault -Password $vaultPassword
        try {
            $with = Get-ErrorRecord { Get-ITwinServiceToken -Vault TestVault -SecretName app-in-default @at }
            $without = Get-ErrorRecord { Get-ITwinServiceToken -SecretName app-in-default @at }
        }
        finally {
            Unlock-SecretVault -Name TestVault -Password $vaultPassword
        }
        foreach ($record in $with, $without) {
            $record.FullyQualifiedErrorId | Should -BeLike 'VaultLocked,*'
            $record.CategoryInfo.Category | Should -Be 'SecurityError'
            $record.Exception.Message | Should -Match "'TestVault'"
            $record.Exception.InnerException.GetType().FullName | Should -Be 'Microsoft.PowerShell.SecretManagement.PasswordRequiredException'
        }
    }

    It 'finding 3: $Error and a transcript hold only ITwinAuth''s record, not SecretManagement''s' {
        $transcript = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-errors-$PID.txt"
        $Error.Clear()
        Start-Transcript -Path $transcript -Force | Out-Null
        try {
            foreach ($run in { Get-ITwinServiceToken -Vault TestVault -SecretName missing-app @at }, { Get-ITwinServiceToken -SecretName missing-app @at },
                { Get-ITwinServiceToken -Vault Offline -SecretName app @at }) {
                try { & $run -ErrorAction Stop | Out-Null } catch { $_ | Out-Host }
            }
        }
        finally {
            Stop-Transcript | Out-Null
        }
        $text = Get-Content $transcript -Raw
        Remove-Item $transcript
        # Newest first. Without -Vault the search passed the locked store: that is what stopped it.
        @($Error | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] }) | Should -Be @('SecretReadFailed', 'VaultLocked', 'SecretNotFound')
        $text | Should -Not -Match 'Get-Secret(Info)?:'
        $text | Should -Not -Match 'The secret missing-app was not found'
        $text | Should -Match "No secret named 'missing-app'" -Because 'the transcript must have recorded ITwinAuth''s own errors'
    }

    It 'finding 4: Get-ITwinConnection names the vault that returned the secret, not "(default vault)"' {
        Get-ITwinServiceToken -SecretName app-elsewhere @at | Out-Null
        (Get-ITwinConnection).CredentialSource | Should -Be "SecretManagement vault 'OtherVault' secret 'app-elsewhere'"
        Get-VaultCall OtherVault | Should -Be @('Get-Secret app-elsewhere OtherVault', 'Get-SecretInfo app-elsewhere OtherVault')
    }

    It 'finding 5: an offline vault''s own reason is in the message and is the InnerException, with -Vault and without' {
        Set-SecretVaultDefault -Name Offline
        try {
            $with = Get-ErrorRecord { Get-ITwinServiceToken -Vault Offline -SecretName app-x @at }
            $without = Get-ErrorRecord { Get-ITwinServiceToken -SecretName app-x @at }
        }
        finally {
            Set-SecretVaultDefault -Name TestVault
        }
        foreach ($record in $with, $without) {
            $record.FullyQualifiedErrorId | Should -BeLike 'SecretReadFailed,*'
            $record.Exception.Message | Should -Match "'Offline'"
            $record.Exception.Message | Should -Match 'unreachable \(simulated outage\)'
            $record.Exception.InnerException | Should -BeOfType [System.Management.Automation.PSInvalidOperationException]
            $record.Exception.InnerException.InnerException.Message | Should -Be 'The vault backend is unreachable (simulated outage).'
        }
    }

    It 'finding 6: a renewal re-reads the client id, the secret and the settings (the vault now holds another app)' {
        Set-Secret -Name app-renew -Vault TestVault -Secret $credential -Metadata @{ Scope = 'itwin-platform' }
        Get-ITwinServiceToken -Vault TestVault -SecretName app-renew @at | Out-Null
        Set-Secret -Name app-renew -Vault TestVault -Secret ([pscredential]::new($second.ClientId, $second.SecureSecret)) -Metadata @{ Scope = 'itwin-platform users:read' }
        Get-ITwinConnection | Clear-ITwinTokenCache    # the next request must renew, as after expiry
        Clear-StandInExtensionCall
        (Get-ITwinMe).Email | Should -BeLike "$($second.ClientId)@*"
        $connection = Get-ITwinConnection
        $connection.ClientId | Should -Be $second.ClientId
        $connection.Scopes | Should -Be @('itwin-platform', 'users:read')
        Get-StandInExtensionCall | Should -Be @('Get-Secret app-renew TestVault', 'Get-SecretInfo app-renew TestVault')
    }

    It 'finding 7: <Operation> makes at most one Get-Secret and one Get-SecretInfo, on the vault that holds the secret' -ForEach @(
        @{ Operation = 'a sign-in with -Vault'; Run = { Get-ITwinServiceToken -Vault LogVault -SecretName app-logged @at -Force } }
        @{ Operation = 'a sign-in without -Vault'; Default = $true; Run = { Get-ITwinServiceToken -SecretName app-logged @at -Force } }
        @{ Operation = 'a sign-in served from the cache'; Run = { Get-ITwinServiceToken -Vault LogVault -SecretName app-logged @at } }
        @{ Operation = 'a renewal'; Run = { Get-ITwinConnection | Clear-ITwinTokenCache; Get-ITwinMe } }
    ) {
        if ($Default) { Set-SecretVaultDefault -Name LogVault }
        try {
            Get-ITwinServiceToken -Vault LogVault -SecretName app-logged @at | Out-Null
            Clear-StandInExtensionCall
            & $Run | Out-Null
        }
        finally {
            Set-SecretVaultDefault -Name TestVault
        }
        Get-StandInExtensionCall | Should -Be @('Get-Secret app-logged LogVault', 'Get-SecretInfo app-logged LogVault')
    }

    It 'finding 7: a Hashtable that holds every setting costs one call; explicit parameters can spare the metadata read' {
        Set-Secret -Name app-full -Vault LogVault -Secret @{
            ClientId = $app.ClientId; ClientSecret = $app.Secret; Scope = 'itwin-platform'; Authority = $emulator.Authority; ApiBaseUri = $emulator.ApiBaseUri
        }
        Get-ITwinServiceToken -Vault LogVault -SecretName app-full | Out-Null
        Get-StandInExtensionCall | Should -Be @('Get-Secret app-full LogVault')
        Clear-StandInExtensionCall
        Get-ITwinServiceToken -Vault LogVault -SecretName app-logged -Scope itwin-platform @at | Out-Null
        Get-StandInExtensionCall | Should -Be @('Get-Secret app-logged LogVault')
    }

    It 'finding 8: an explicit -Environment against hosts stored with the secret is a clear error; -Authority/-ApiBaseUri override them' {
        Set-Secret -Name app-hosts -Vault TestVault -Secret @{
            ClientId = $app.ClientId; ClientSecret = $app.Secret; Authority = $emulator.Authority; ApiBaseUri = $emulator.ApiBaseUri
        }
        $record = Get-ErrorRecord { Get-ITwinServiceToken -Vault TestVault -SecretName app-hosts -Environment QA }
        $record.FullyQualifiedErrorId | Should -BeLike 'InvalidParameter,*'
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.Exception.Message | Should -Match '-Environment QA means Authority https://qa-ims.bentley.com'
        $record.Exception.Message | Should -Match ([regex]::Escape($emulator.Authority))
        # Without -Environment the stored hosts are used, and the connection says so.
        Get-ITwinServiceToken -Vault TestVault -SecretName app-hosts | Out-Null
        $connection = Get-ITwinConnection
        $connection.Environment | Should -BeNullOrEmpty
        $connection.SettingsFrom | Should -Be 'ClientId=Secret, Scopes=Default, Authority=Secret, ApiBaseUri=Secret'
        # Explicit hosts are parameters: they win over the stored ones, next to -Environment.
        Get-ITwinServiceToken -Vault TestVault -SecretName app-hosts -Environment QA @at | Out-Null
        (Get-ITwinConnection).SettingsFrom | Should -Be 'ClientId=Secret, Scopes=Default, Authority=Parameter, ApiBaseUri=Parameter'
    }

    It 'finding 9: Tab completion never calls a vault, so a locked store set to prompt is never asked' {
        $line = 'Get-ITwinServiceToken -Vault LockedStore -SecretName '
        TabExpansion2 -inputScript $line -cursorColumn $line.Length | Out-Null
        $line = 'Get-ITwinServiceToken -SecretName app'
        TabExpansion2 -inputScript $line -cursorColumn $line.Length | Out-Null
        $line = 'Get-ITwinServiceToken -Vault Lo'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('LockedStore', 'LogVault')
        Get-StandInExtensionCall | Should -BeNullOrEmpty
    }
}

Describe 'Secrets and tokens never leak' -Tag Secrets, Leak {
    It 'appear in no stream, $Error, transcript, view or message across every source and failure' {
        $leakApp = New-TestApp -Emulator $emulator -Secret 'Leak-Canary-Secret-8f3a+&=/'
        $leakCredential = [pscredential]::new($leakApp.ClientId, $leakApp.SecureSecret)
        Set-Secret -Name leak-cred -Secret $leakCredential -Vault TestVault
        Set-Secret -Name leak-table -Vault TestVault -Secret @{ ClientId = $leakApp.ClientId; ClientSecret = $leakApp.Secret }
        $transcript = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-leak-$PID.txt"
        $Error.Clear()
        $tokens = [System.Collections.Generic.List[string]]::new()
        $VerbosePreference = 'Continue'; $DebugPreference = 'Continue'; $InformationPreference = 'Continue'
        Start-Transcript -Path $transcript -Force | Out-Null
        $captured = & {
            $t = Get-ITwinServiceToken -Vault TestVault -SecretName leak-cred @at -Force -Verbose -Debug; $tokens.Add((Get-PlainToken $t)); $t; $t | Format-List *
            $t = Get-ITwinServiceToken -Vault TestVault -SecretName leak-table @at -Force -Verbose -Debug; $tokens.Add((Get-PlainToken $t)); $t
            $t = Get-ITwinServiceToken -Credential $leakCredential @at -Force -Verbose -Debug; $tokens.Add((Get-PlainToken $t)); "$t"
            $t = Get-ITwinServiceToken -ClientId $leakApp.ClientId -ClientSecret $leakApp.SecureSecret @at -Force -Verbose -Debug; $tokens.Add((Get-PlainToken $t))
            $env:ITWIN_CLIENT_ID = $leakApp.ClientId; $env:ITWIN_CLIENT_SECRET = $leakApp.Secret
            $t = Get-ITwinServiceToken @at -Force -Verbose -Debug; $tokens.Add((Get-PlainToken $t))
            Get-ITwinConnection | Format-List *
            Get-ITwinMe -Verbose -Debug | Format-List *
            Invoke-ITwinRequest -Path /users/me -Verbose -Debug
            # A 401 makes the module renew: it reads the environment again.
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 401; times = 1 })
            Get-ITwinMe -Verbose -Debug
            Clear-ITwinEnvironment
            # Failures, collected as error records (terminating ones too) and formatted as a user sees them.
            $failures = @(
                { Get-ITwinServiceToken -ClientId $leakApp.ClientId -ClientSecret (ConvertTo-SecureString 'Wrong-Canary-Secret' -AsPlainText -Force) @at -Verbose -Debug }
                { Get-ITwinServiceToken -ClientId $leakApp.ClientId -ClientSecret $leakApp.SecureSecret -Scope users:read @at -Verbose -Debug }
                { Get-ITwinServiceToken -Vault TestVault -SecretName missing @at -Verbose -Debug }
                { Get-ITwinServiceToken -Vault NoSuchVault -SecretName leak-cred @at -Verbose -Debug }
                { Invoke-ITwinRequest -Path /users/not-a-guid -Verbose -Debug }
            )
            foreach ($failure in $failures) {
                try { & $failure -ErrorAction Stop } catch { $_ | Format-List * -Force; $_.Exception | Format-List * -Force }
            }
        } *>&1 | Out-String -Width 400
        Stop-Transcript | Out-Null
        $VerbosePreference = 'SilentlyContinue'; $DebugPreference = 'SilentlyContinue'; $InformationPreference = 'SilentlyContinue'

        $tokens.Count | Should -Be 5
        $basic = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("$($leakApp.ClientId):$($leakApp.Secret)"))
        $haystacks = @{
            Streams    = $captured
            Transcript = Get-Content $transcript -Raw
            Errors     = ($Error | ForEach-Object {
                    $_ | Out-String
                    if ($_ -is [System.Management.Automation.ErrorRecord]) { "$($_.Exception)"; "$($_.ErrorDetails)"; "$($_.TargetObject)" } else { "$_" }
                }) -join "`n"
        }
        Remove-Item $transcript
        $captured | Should -Match 'Reading the client secret from' -Because 'the leak scan must have seen verbose output'
        $captured | Should -Match 'InvalidClient' -Because 'the leak scan must have seen the error records in full'
        $haystacks.Errors | Should -Match 'invalid_client' -Because 'the leak scan must have seen the failures'
        foreach ($place in $haystacks.Keys) {
            $text = $haystacks[$place]
            foreach ($needle in @($leakApp.Secret, 'Wrong-Canary-Secret', $basic) + $tokens) {
                $text.Contains($needle) | Should -BeFalse -Because "$place must not contain a secret or token"
            }
        }
    }
}

Describe 'The real SecretManagement, when installed' -Tag Secrets, Issue13 {
    # Each case runs in a child pwsh with its own HOME, so the user's vault registry and SecretStore
    # are never touched. Two script extension vaults are written for it: TestFileVault keeps secrets
    # in memory and logs every extension call to a file; TestBrokenVault logs, then throws.
    BeforeAll {
        $real = Get-Module -ListAvailable Microsoft.PowerShell.SecretManagement | Where-Object { $_.ModuleBase -notlike "$standIn*" }
        $store = Get-Module -ListAvailable Microsoft.PowerShell.SecretStore
        $skipReason = if (-not $real -or -not $store) {
            'the real Microsoft.PowerShell.SecretManagement and SecretStore are not installed on this machine (the stand-in covered the contract)'
        }
        $realRoot = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-realsm-$PID"
        $vaultModules = Join-Path $realRoot 'modules'
        $extension = @'
$script:Store = @{}
function Write-CallLog([string] $Line, [hashtable] $AdditionalParameters) { Add-Content -Path $AdditionalParameters.Log -Value $Line }
function Get-Secret { param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    Write-CallLog "Get-Secret $Name $VaultName" $AdditionalParameters
    if (@'BROKEN'@ -eq 'yes') { throw 'The vault backend is unreachable (simulated outage).' }
    if ($script:Store.ContainsKey($Name)) { $script:Store[$Name].Secret } }
function Get-SecretInfo { param([string] $Filter, [string] $VaultName, [hashtable] $AdditionalParameters)
    Write-CallLog "Get-SecretInfo $Filter $VaultName" $AdditionalParameters
    if (@'BROKEN'@ -eq 'yes') { throw 'The vault backend is unreachable (simulated outage).' }
    foreach ($name in @($script:Store.Keys | Where-Object { $_ -like $Filter } | Sort-Object)) {
        $metadata = [System.Collections.Generic.Dictionary[string, object]]::new()
        foreach ($key in $script:Store[$name].Metadata.Keys) { $metadata[$key] = $script:Store[$name].Metadata[$key] }
        [Microsoft.PowerShell.SecretManagement.SecretInformation]::new($name, [Microsoft.PowerShell.SecretManagement.SecretType]::PSCredential, $VaultName,
            [System.Collections.ObjectModel.ReadOnlyDictionary[string, object]]::new($metadata)) } }
function Set-Secret { param([string] $Name, [object] $Secret, [string] $VaultName, [hashtable] $AdditionalParameters, [hashtable] $Metadata)
    $script:Store[$Name] = @{ Secret = $Secret; Metadata = $(if ($Metadata) { $Metadata } else { @{} }) }; $true }
function Set-SecretInfo { param([string] $Name, [hashtable] $Metadata, [string] $VaultName, [hashtable] $AdditionalParameters)
    $script:Store[$Name].Metadata = $Metadata }
function Remove-Secret { param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters) $script:Store.Remove($Name); $true }
function Test-SecretVault { param([string] $VaultName, [hashtable] $AdditionalParameters) $true }
'@
        foreach ($vault in @{ Name = 'TestFileVault'; Broken = 'no' }, @{ Name = 'TestBrokenVault'; Broken = 'yes' }) {
            $folder = Join-Path $vaultModules $vault.Name
            $nested = Join-Path $folder "$($vault.Name).Extension"
            New-Item -ItemType Directory -Path $nested -Force | Out-Null
            Set-Content (Join-Path $folder "$($vault.Name).psd1") "@{ ModuleVersion = '1.0'; GUID = '$([guid]::NewGuid())'; NestedModules = @('./$($vault.Name).Extension'); FunctionsToExport = @() }"
            Set-Content (Join-Path $nested "$($vault.Name).Extension.psd1") "@{ ModuleVersion = '1.0'; GUID = '$([guid]::NewGuid())'; RootModule = '$($vault.Name).Extension.psm1'; FunctionsToExport = @('Set-Secret', 'Get-Secret', 'Remove-Secret', 'Get-SecretInfo', 'Set-SecretInfo', 'Test-SecretVault') }"
            Set-Content (Join-Path $nested "$($vault.Name).Extension.psm1") ($extension.Replace("@'BROKEN'@", "'$($vault.Broken)'"))
        }
        $other = New-TestApp -Emulator $emulator -Scopes itwin-platform, users:read
        # Runs a script in a child pwsh with the real modules; its last output line is JSON.
        function Invoke-RealCase([string] $Script, [string] $HomeName) {
            $childHome = Join-Path $realRoot $HomeName
            New-Item -ItemType Directory -Path $childHome -Force | Out-Null
            $run = Invoke-ChildPwsh -TimeoutSeconds 120 -Environment @{
                HOME = $childHome; PSModulePath = $vaultModules + [IO.Path]::PathSeparator + $savedModulePath; ITWINAUTH_MODULE = $env:ITWINAUTH_MODULE
                APP_ID = $app.ClientId; APP_SECRET = $app.Secret; OTHER_ID = $other.ClientId; OTHER_SECRET = $other.Secret
                AUTHORITY = $emulator.Authority; API = $emulator.ApiBaseUri; CALL_LOG = (Join-Path $childHome 'calls.log')
            } -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', "`$ErrorActionPreference = 'Stop'; Import-Module `$env:ITWINAUTH_MODULE; Import-Module Microsoft.PowerShell.SecretManagement; $Script")
            $json = ($run.Output -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1)
            if (-not $json) { throw "The child pwsh gave no result (exit $($run.ExitCode)): $($run.Output)" }
            $json | ConvertFrom-Json
        }
        $common = @'
$at = @{ Authority = $env:AUTHORITY; ApiBaseUri = $env:API }
$app = [pscredential]::new($env:APP_ID, (ConvertTo-SecureString $env:APP_SECRET -AsPlainText -Force))
function Get-Calls { $calls = @(if (Test-Path $env:CALL_LOG) { Get-Content $env:CALL_LOG }); Remove-Item $env:CALL_LOG -ErrorAction Ignore; , $calls }
'@
    }
    AfterAll {
        Remove-Item $realRoot -Recurse -Force -ErrorAction Ignore
    }

    It 'findings 1, 6 and 7: one read of the vault that holds the secret, at sign-in, on a cache hit and at renewal' {
        if ($skipReason) { Set-ItResult -Skipped -Because $skipReason; return }
        $result = Invoke-RealCase -HomeName 'file' -Script ($common + @'
Register-SecretVault -Name FileV -ModuleName TestFileVault -DefaultVault -VaultParameters @{ Log = $env:CALL_LOG }
Register-SecretVault -Name BrokenV -ModuleName TestBrokenVault -VaultParameters @{ Log = $env:CALL_LOG }
Set-Secret -Name app -Vault FileV -Secret $app -Metadata @{ Scope = 'itwin-platform' }
$null = Get-Calls
$errorsBefore = $Error.Count
$null = Get-ITwinServiceToken -SecretName app @at
$withoutVault = Get-Calls; $source = (Get-ITwinConnection).CredentialSource
$null = Get-ITwinServiceToken -Vault FileV -SecretName app @at -Force
$withVault = Get-Calls
$null = Get-ITwinServiceToken -Vault FileV -SecretName app @at
$cacheHit = Get-Calls
Set-Secret -Name app -Vault FileV -Secret ([pscredential]::new($env:OTHER_ID, (ConvertTo-SecureString $env:OTHER_SECRET -AsPlainText -Force))) -Metadata @{ Scope = 'itwin-platform users:read' }
$null = Get-Calls
Get-ITwinConnection | Clear-ITwinTokenCache
$email = (Get-ITwinMe).Email
$renewal = Get-Calls
[pscustomobject]@{ WithoutVault = $withoutVault; WithVault = $withVault; CacheHit = $cacheHit; Renewal = $renewal; Source = $source
    Email = $email; Scopes = (Get-ITwinConnection).Scopes; NewErrors = $Error.Count - $errorsBefore } | ConvertTo-Json -Compress
'@)
        $result.WithoutVault | Should -Be @('Get-Secret app FileV', 'Get-SecretInfo app FileV') -Because 'Get-SecretVault finds the default vault in the registry; only it is read'
        $result.Source | Should -Be "SecretManagement vault 'FileV' secret 'app'"
        $result.WithVault | Should -Be @('Get-Secret app FileV', 'Get-SecretInfo app FileV')
        $result.CacheHit | Should -Be @('Get-Secret app FileV', 'Get-SecretInfo app FileV')
        $result.Renewal | Should -Be @('Get-Secret app FileV', 'Get-SecretInfo app FileV')
        $result.Email | Should -BeLike "$($other.ClientId)@*"
        $result.Scopes | Should -Be @('itwin-platform', 'users:read')
        $result.NewErrors | Should -Be 0
    }

    It 'finding 2: a locked default SecretStore is VaultLocked, naming it, with -Vault and without' {
        if ($skipReason) { Set-ItResult -Skipped -Because $skipReason; return }
        $setup = Invoke-RealCase -HomeName 'store' -Script ($common + @'
$password = ConvertTo-SecureString 'Store-Password-1' -AsPlainText -Force
Set-SecretStoreConfiguration -Authentication Password -Password $password -Interaction None -Confirm:$false
Register-SecretVault -Name Store1 -ModuleName Microsoft.PowerShell.SecretStore -DefaultVault
Set-Secret -Name app -Vault Store1 -Secret $app
[pscustomobject]@{ Stored = $true } | ConvertTo-Json -Compress
'@)
        $setup.Stored | Should -BeTrue
        # A new process: the store is locked again.
        $result = Invoke-RealCase -HomeName 'store' -Script ($common + @'
$ids = foreach ($run in { Get-ITwinServiceToken -Vault Store1 -SecretName app @at }, { Get-ITwinServiceToken -SecretName app @at }) {
    try { & $run | Out-Null; 'no error' } catch { "$($_.FullyQualifiedErrorId)|$($_.Exception.Message -match "'Store1'")" }
}
[pscustomobject]@{ Ids = @($ids); Errors = @($Error | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] }) } | ConvertTo-Json -Compress
'@)
        $result.Ids | Should -Be @('VaultLocked,ITwinAuth.Commands.GetITwinServiceTokenCommand|True', 'VaultLocked,ITwinAuth.Commands.GetITwinServiceTokenCommand|True')
        $result.Errors | Should -Be @('VaultLocked', 'VaultLocked')
    }
}
