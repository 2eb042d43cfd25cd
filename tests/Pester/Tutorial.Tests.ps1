# Issue: the walking skeleton. The tutorial's three steps through the built module, and what fails.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator
    $app = New-TestApp -Emulator $emulator
}
AfterAll { Stop-ITwinEmulator -Emulator $emulator }

Describe 'Get-ITwinServiceToken and Get-ITwinMe (the tutorial)' -Tag Tutorial {
    It 'returns a typed token for client credentials' {
        $token = Connect-TestApp -Emulator $emulator -App $app
        $token | Should -BeOfType ([ITwinAuth.ITwinAccessToken])
        $token.ClientId | Should -Be $app.ClientId
        $token.TokenType | Should -Be 'Bearer'
        $token.Scopes | Should -Be @('itwin-platform')
        $token.Token | Should -BeOfType ([securestring])
        $token.ExpiresOn | Should -BeOfType ([DateTimeOffset])
        ($token.ExpiresOn - [DateTimeOffset]::UtcNow).TotalMinutes | Should -BeGreaterThan 58
        $token.Authority.ToString().TrimEnd('/') | Should -Be $emulator.Authority
    }

    It 'proves the token with Get-ITwinMe, returning every field as a typed user' {
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
        $me = Get-ITwinMe
        $me | Should -BeOfType ([ITwinAuth.ITwinUser])
        $me.Id | Should -Be ([guid]$app.UserId)
        $me.Email | Should -Be "$($app.ClientId)@apps.imsoidc.bentley.com"
        $me.GivenName | Should -Be 'CLIENT_NAME'
        $me.Surname | Should -Be 'LastName'
        $me.Country | Should -Be 'US'
        $me.Language | Should -Be 'EN'
        $me.City | Should -BeNullOrEmpty
        $me.CreatedDateTime | Should -BeOfType ([DateTimeOffset])
    }

    It 'gives a token that Invoke-RestMethod -Authentication Bearer accepts' {
        $token = Connect-TestApp -Emulator $emulator -App $app
        $me = Invoke-RestMethod -Uri "$($emulator.ApiBaseUri)/users/me" -Authentication Bearer -Token $token.Token -AllowUnencryptedAuthentication
        $me.user.email | Should -Be "$($app.ClientId)@apps.imsoidc.bentley.com"
    }

    It 'form-encodes a secret holding <Name>' -ForEach @(
        @{ Name = 'spaces, + & = % /'; Secret = 'a b+c&d=e%f/g h' }
        @{ Name = 'non-ASCII'; Secret = 'ünïcödé-ßecret-密码' }
        @{ Name = 'quotes and backslashes'; Secret = 'q"u''o\te' }
    ) {
        $awkward = New-TestApp -Emulator $emulator -Secret $Secret
        (Connect-TestApp -Emulator $emulator -App $awkward).ClientId | Should -Be $awkward.ClientId
        (Get-ITwinMe).Email | Should -BeLike "$($awkward.ClientId)@*"
    }

    It 'never shows the token: not ToString, not the default view, not Format-List *' {
        $token = Connect-TestApp -Emulator $emulator -App $app -With @{ Force = $true }
        $plain = Get-PlainToken $token
        $plain.Length | Should -BeGreaterThan 100
        "$token" | Should -Not -Match ([regex]::Escape($plain))
        ($token | Out-String) | Should -Not -Match ([regex]::Escape($plain))
        ($token | Format-List * | Out-String) | Should -Not -Match ([regex]::Escape($plain))
        ($token | ConvertTo-Json -Depth 3 -WarningAction Ignore) | Should -Not -Match ([regex]::Escape($plain))
    }

    It 'runs the whole tutorial script (build.ps1 -Task Demo) in a fresh pwsh' {
        $run = Invoke-ChildPwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot '../Invoke-Tutorial.ps1'),
            '-ModulePath', $env:ITWINAUTH_MODULE, '-EmulatorPath', $env:ITWINAUTH_EMULATOR)
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match '@apps\.imsoidc\.bentley\.com'
        $run.Output | Should -Match 'The tutorial ran end to end'
    }
}

Describe 'Token endpoint failures become clear error records' -Tag Tutorial {
    It 'a wrong secret is InvalidClient (AuthenticationError), with no stack trace' {
        $wrong = ConvertTo-SecureString 'not-the-secret' -AsPlainText -Force
        $record = Get-ErrorRecord {
            Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $wrong -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri
        }
        $record.FullyQualifiedErrorId | Should -BeLike 'InvalidClient,*'
        $record.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $record.Exception.StatusCode | Should -Be 401
        ($record | Out-String) | Should -Not -Match $StackTracePattern
        ($record | Out-String) | Should -Not -Match 'not-the-secret'
    }

    It 'a scope the app was not given is InvalidScope' {
        $record = Get-ErrorRecord { Connect-TestApp -Emulator $emulator -App $app -With @{ Scope = 'users:read' } }
        $record.FullyQualifiedErrorId | Should -BeLike 'InvalidScope,*'
        $record.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $record.Exception.Message | Should -Match 'users:read'
    }

    It 'a user scope (<Scope>) is refused before any request is sent' -ForEach @(
        @{ Scope = 'openid' }, @{ Scope = 'email' }, @{ Scope = 'profile' }, @{ Scope = 'organization' }
    ) {
        $before = (Get-EmulatorStats $emulator).tokenRequests
        $record = Get-ErrorRecord { Connect-TestApp -Emulator $emulator -App $app -With @{ Scope = $Scope } }
        $record.FullyQualifiedErrorId | Should -BeLike 'ScopeNotAllowed,*'
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        (Get-EmulatorStats $emulator).tokenRequests | Should -Be $before
    }

    It 'an unreachable authority is AuthorityUnreachable (ConnectionError)' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        # The retries' back-off passes at once on the fake clock; the refused connections are real.
        $time = New-FakeTime
        try {
            $record = Get-ErrorRecord {
                Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority "http://127.0.0.1:$port" -ApiBaseUri $emulator.ApiBaseUri
            }
        }
        finally { $time.Dispose() }
        $record.FullyQualifiedErrorId | Should -BeLike 'AuthorityUnreachable,*'
        $record.CategoryInfo.Category | Should -Be 'ConnectionError'
        $time.Waits.Count | Should -BeGreaterThan 0 -Because 'a refused connection is retried after a back-off before the error'
    }

    It 'a discovery document without token_endpoint is DiscoveryDocumentInvalid' {
        # Removing the module forgets discovered endpoints (and proves OnRemove runs); import again.
        Remove-Module ITwinAuth
        Import-Module $env:ITWINAUTH_MODULE
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/.well-known/openid-configuration'; status = 200; body = '{"issuer":"x"}' })
        $record = Get-ErrorRecord { Connect-TestApp -Emulator $emulator -App $app }
        $record.FullyQualifiedErrorId | Should -BeLike 'DiscoveryDocumentInvalid,*'
        $record.CategoryInfo.Category | Should -Be 'InvalidData'
    }

    It 'an http authority that is not loopback is refused as InsecureUri' {
        $record = Get-ErrorRecord { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority 'http://ims.example.com' }
        $record.FullyQualifiedErrorId | Should -BeLike 'InsecureUri,*'
        $record.CategoryInfo.Category | Should -Be 'SecurityError'
    }

    It 'Get-ITwinMe with no connection is NoConnection' {
        Remove-Module ITwinAuth
        Import-Module $env:ITWINAUTH_MODULE
        $record = Get-ErrorRecord { Get-ITwinMe }
        $record.FullyQualifiedErrorId | Should -BeLike 'NoConnection,*'
        $record.Exception.Message | Should -Match 'Connect-ITwin'
    }
}
