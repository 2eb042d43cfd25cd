# Issue: secrets. Every credential source, every failure with its ErrorId, completion, no prompts,
# and a leak scan over all of it. SecretManagement is the stand-in under tests/SecretManagement
# (the real module is not served here); see the last Describe for the real one.
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
        (Get-ITwinConnection).CredentialSource | Should -Match 'default vault'
    }

    It 'reads the vault again when the token must be renewed (a rotated secret is picked up)' {
        $short = New-TestApp -Emulator $emulator -TokenLifetimeSeconds 2
        Set-Secret -Name app-rotate -Vault TestVault -Secret ([pscredential]::new($short.ClientId, $short.SecureSecret))
        Get-ITwinServiceToken -Vault TestVault -SecretName app-rotate @at | Out-Null
        Set-EmulatorApp -Emulator $emulator -ClientId $short.ClientId -ClientSecret 'rotated-secret' | Out-Null
        Set-Secret -Name app-rotate -Vault TestVault -Secret ([pscredential]::new($short.ClientId, (ConvertTo-SecureString 'rotated-secret' -AsPlainText -Force)))
        Start-Sleep -Seconds 2
        (Get-ITwinMe).Email | Should -BeLike "$($short.ClientId)@*"
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
        Lock-StandInVault -Name OtherVault -Password (ConvertTo-SecureString 'vault-password' -AsPlainText -Force)
        try {
            $record = Get-ErrorRecord { Get-ITwinServiceToken -Vault OtherVault -SecretName locked-app @at }
            $record.FullyQualifiedErrorId | Should -BeLike 'VaultLocked,*'
            $record.CategoryInfo.Category | Should -Be 'SecurityError'
            $record.Exception.Message | Should -Match 'Unlock-SecretStore'
        }
        finally {
            Unlock-SecretVault -Name OtherVault -Password (ConvertTo-SecureString 'vault-password' -AsPlainText -Force)
        }
    }

    It 'without SecretManagement the vault source is SecretManagementNotInstalled and names Install-Module' {
        $env:PSModulePath = $savedModulePath
        Remove-Module Microsoft.PowerShell.SecretManagement
        try {
            $record = Get-ErrorRecord { Get-ITwinServiceToken -Vault TestVault -SecretName app-cred @at }
            $record.FullyQualifiedErrorId | Should -BeLike 'SecretManagementNotInstalled,*'
            $record.CategoryInfo.Category | Should -Be 'NotInstalled'
            $record.Exception.Message | Should -Match 'Install-Module Microsoft.PowerShell.SecretManagement'
            # ...and the other sources still work without it.
            (Get-ITwinServiceToken -Credential $credential @at).ClientId | Should -Be $app.ClientId
            # No vault names (PowerShell falls back to file names when a completer has none).
            (TabExpansion2 -inputScript 'Get-ITwinServiceToken -Vault Test' -cursorColumn 32).CompletionMatches.CompletionText | Should -Not -Contain 'TestVault'
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

    It 'completes the secret names of the chosen vault' {
        $line = 'Get-ITwinServiceToken -Vault TestVault -SecretName app-c'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('app-cred')
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

Describe 'The real SecretManagement, when installed' -Tag Secrets {
    It 'reads a PSCredential from a real SecretStore vault' {
        $real = Get-Module -ListAvailable Microsoft.PowerShell.SecretManagement | Where-Object { $_.ModuleBase -notlike "$standIn*" }
        $store = Get-Module -ListAvailable Microsoft.PowerShell.SecretStore
        if (-not $real -or -not $store) {
            Set-ItResult -Skipped -Because 'the real Microsoft.PowerShell.SecretManagement and SecretStore are not installed on this machine (the stand-in covered the contract)'
            return
        }
        $env:PSModulePath = $savedModulePath
        Remove-Module Microsoft.PowerShell.SecretManagement -ErrorAction Ignore
        try {
            Import-Module $real[0].Path
            Register-SecretVault -Name ITwinAuthRealTest -ModuleName Microsoft.PowerShell.SecretStore -AllowClobber
            Microsoft.PowerShell.SecretStore\Set-SecretStoreConfiguration -Authentication None -Interaction None -Confirm:$false
            Microsoft.PowerShell.SecretManagement\Set-Secret -Name itwinauth-real -Secret $credential -Vault ITwinAuthRealTest
            (Get-ITwinServiceToken -Vault ITwinAuthRealTest -SecretName itwinauth-real @at).ClientId | Should -Be $app.ClientId
        }
        finally {
            Microsoft.PowerShell.SecretManagement\Remove-Secret -Name itwinauth-real -Vault ITwinAuthRealTest -ErrorAction Ignore
            Microsoft.PowerShell.SecretManagement\Unregister-SecretVault -Name ITwinAuthRealTest -ErrorAction Ignore
            $env:PSModulePath = $standIn + [IO.Path]::PathSeparator + $savedModulePath
        }
    }
}
