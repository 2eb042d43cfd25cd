# Issue: secrets. The credential, direct and environment sources, the failures that need no vault,
# the vault source without SecretManagement, no prompts, and a leak scan over all of it. Everything
# that reads a vault runs against the real SecretManagement and SecretStore in
# SecretVaults.Tests.ps1 (each test in a child pwsh with its own HOME).
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator
    $envNames = 'ITWIN_CLIENT_ID', 'ITWIN_CLIENT_SECRET', 'ITWIN_SCOPE', 'ITWIN_AUTHORITY', 'ITWIN_API_BASE_URI',
        'ITP_SERVICE_CLIENT_ID', 'ITP_SERVICE_CLIENT_SECRET', 'ITP_ISSUER_URL', 'ITP_API_URL'
    function Clear-ITwinEnvironment { foreach ($name in $envNames) { Remove-Item "Env:$name" -ErrorAction Ignore } }
    Clear-ITwinEnvironment
    $app = New-TestApp -Emulator $emulator
    $credential = [pscredential]::new($app.ClientId, $app.SecureSecret)
    $at = @{ Authority = $emulator.Authority; ApiBaseUri = $emulator.ApiBaseUri }
}
AfterAll {
    Clear-ITwinEnvironment
    Stop-ITwinEmulator -Emulator $emulator
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
        @{ Case = 'an empty client id'; ErrorId = 'ClientIdMissing'; Category = 'InvalidArgument'; Remedy = 'client id'
            Run = { Get-ITwinServiceToken -ClientId ' ' -ClientSecret $app.SecureSecret @at } }
        @{ Case = 'a whitespace secret'; ErrorId = 'ClientSecretMissing'; Category = 'InvalidArgument'; Remedy = 'secret'
            Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret (ConvertTo-SecureString '   ' -AsPlainText -Force) @at } }
        @{ Case = 'no credentials anywhere'; ErrorId = 'NoCredentials'; Category = 'AuthenticationError'; Remedy = 'ITWIN_CLIENT_SECRET'
            Run = { Get-ITwinServiceToken @at } }
        @{ Case = 'a secret in the environment but no client id'; ErrorId = 'ClientIdMissing'; Category = 'InvalidArgument'; Remedy = 'ITWIN_CLIENT_ID'
            Run = { $env:ITWIN_CLIENT_SECRET = 'x'; Get-ITwinServiceToken @at } }
        @{ Case = '-ShareTokenVault naming no registered vault (a typo must not be a warning at every sign-in)'; ErrorId = 'VaultNotFound'; Category = 'ObjectNotFound'
            Remedy = 'Register-SecretVault'; Run = {
                # The stand-in SecretManagement (tests/SecretManagement), whatever ran before in this process.
                $saved = $env:PSModulePath
                $env:PSModulePath = (Resolve-Path (Join-Path $PSScriptRoot '../SecretManagement')).Path + [IO.Path]::PathSeparator + $env:PSModulePath
                try { Connect-ITwin -Credential $credential -ShareTokenVault 'ITwn-typo' @at }
                finally { $env:PSModulePath = $saved }
            } }
    ) {
        $record = Get-ErrorRecord $Run
        $record.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $record.CategoryInfo.Category | Should -Be $Category
        $record.Exception.Message | Should -Match ([regex]::Escape($Remedy))
        ($record | Out-String) | Should -Not -Match $StackTracePattern
    }

    It 'without SecretManagement the vault source is SecretManagementNotInstalled and names Install-Module' {
        # This process must not find any SecretManagement (the real one is only ever on the vault
        # tests' own children's PSModulePath; an installed one is hidden here).
        $savedModulePath = $env:PSModulePath
        $env:PSModulePath = @($env:PSModulePath -split [IO.Path]::PathSeparator | Where-Object {
                $_ -and -not (Test-Path (Join-Path $_ 'Microsoft.PowerShell.SecretManagement')) }) -join [IO.Path]::PathSeparator
        Remove-Module Microsoft.PowerShell.SecretManagement -ErrorAction Ignore
        try {
            Get-Module -ListAvailable Microsoft.PowerShell.SecretManagement | Should -BeNullOrEmpty
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
            $env:PSModulePath = $savedModulePath
        }
    }

    It 'never prompts, even for a missing client id, in a non-interactive pwsh: it fails fast with exit code 1' {
        $run = Invoke-ChildPwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$env:ITWINAUTH_MODULE'; Get-ITwinServiceToken -ClientSecret (ConvertTo-SecureString 's' -AsPlainText -Force)")
        $run.ExitCode | Should -Be 1
        $run.Output | Should -Match 'ClientIdMissing|client id is empty'
    }
}

Describe 'Secrets and tokens never leak' -Tag Secrets, Leak {
    # The vault source's part of this scan runs against the real SecretManagement in SecretVaults.Tests.ps1.
    It 'appear in no stream, $Error, transcript, view or message across the credential, direct and environment sources and their failures' {
        $leakApp = New-TestApp -Emulator $emulator -Secret 'Leak-Canary-Secret-8f3a+&=/'
        $leakCredential = [pscredential]::new($leakApp.ClientId, $leakApp.SecureSecret)
        $transcript = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-leak-$PID.txt"
        $Error.Clear()
        $tokens = [System.Collections.Generic.List[string]]::new()
        $VerbosePreference = 'Continue'; $DebugPreference = 'Continue'; $InformationPreference = 'Continue'
        Start-Transcript -Path $transcript -Force | Out-Null
        $captured = & {
            $t = Get-ITwinServiceToken -Credential $leakCredential @at -Force -Verbose -Debug; $tokens.Add((Get-PlainToken $t)); "$t"; $t; $t | Format-List *
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
                { Invoke-ITwinRequest -Path /users/not-a-guid -Verbose -Debug }
            )
            foreach ($failure in $failures) {
                try { & $failure -ErrorAction Stop } catch { $_ | Format-List * -Force; $_.Exception | Format-List * -Force }
            }
        } *>&1 | Out-String -Width 400
        Stop-Transcript | Out-Null
        $VerbosePreference = 'SilentlyContinue'; $DebugPreference = 'SilentlyContinue'; $InformationPreference = 'SilentlyContinue'

        $tokens.Count | Should -Be 3
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
