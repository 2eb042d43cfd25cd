# Issue 23: the 1.0 surface. Connect-ITwin and Disconnect-ITwin, -ForceRefresh, token claims, and a
# connection's own proxy (the emulator's forward proxy asking for credentials with 407), also for a
# token given as -Token. Every parameter set, position and refused combination: ParameterSets.Tests.ps1.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $proxyPassword = 'proxy-PASSWORD-7f3e'
    $emulator = Start-ITwinEmulator -ArgumentList @('--proxy-credential', "proxy-user:$proxyPassword")
    $network = Invoke-EmulatorAdmin -Emulator $emulator -Path network
    $app = New-TestApp -Emulator $emulator
    $hosts = @{ Authority = $emulator.Authority; ApiBaseUri = $emulator.ApiBaseUri }
    $proxyCredential = [pscredential]::new('proxy-user', (ConvertTo-SecureString $proxyPassword -AsPlainText -Force))
}
AfterAll {
    Disconnect-ITwin
    Stop-ITwinEmulator -Emulator $emulator
}

Describe 'Connect-ITwin and Disconnect-ITwin' -Tag Surface {
    BeforeEach { Disconnect-ITwin; Clear-ITwinTokenCache }

    It 'signs in from -ClientId/-ClientSecret, makes the app current, and writes nothing without -PassThru' {
        $output = Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
        $output | Should -BeNullOrEmpty
        (Get-ITwinConnection).ClientId | Should -Be $app.ClientId
        (Get-ITwinMe).Email | Should -Be "$($app.ClientId)@apps.imsoidc.bentley.com"
    }

    It 'signs in from -Credential and from the environment variables; -PassThru writes the connection' {
        $connection = Connect-ITwin -Credential ([pscredential]::new($app.ClientId, $app.SecureSecret)) @hosts -PassThru
        $connection | Should -BeOfType ITwinAuth.ITwinConnection
        $connection.CredentialSourceKind | Should -Be 'Credential'
        $env:ITWIN_CLIENT_ID = $app.ClientId; $env:ITWIN_CLIENT_SECRET = $app.Secret
        try {
            $fromEnvironment = Connect-ITwin @hosts -PassThru
            $fromEnvironment.CredentialSourceKind | Should -Be 'EnvironmentVariables'
            $fromEnvironment.SettingsFrom | Should -Match 'ClientId=EnvironmentVariable'
        }
        finally { Remove-Item Env:ITWIN_CLIENT_ID, Env:ITWIN_CLIENT_SECRET }
    }

    It '-ClientSecret with ITWIN_CLIENT_ID says the client id came from the environment variable, not a parameter' {
        $env:ITWIN_CLIENT_ID = $app.ClientId
        try {
            $connection = Connect-ITwin -ClientSecret $app.SecureSecret @hosts -PassThru
            $connection.SettingsFrom | Should -Match 'ClientId=EnvironmentVariable'
        }
        finally { Remove-Item Env:ITWIN_CLIENT_ID }
    }

    It 'Disconnect-ITwin forgets the current connection and its tokens: the next sign-in asks for a new token' {
        Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
        Disconnect-ITwin
        Get-ITwinConnection | Should -BeNullOrEmpty
        (Get-ErrorRecord { Get-ITwinMe }).FullyQualifiedErrorId | Should -BeLike 'NoConnection*'
        $before = (Get-EmulatorStats -Emulator $emulator).tokensIssued
        (Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts).FromCache | Should -BeFalse
        (Get-EmulatorStats -Emulator $emulator).tokensIssued | Should -Be ($before + 1)
    }

    It 'Disconnect-ITwin of a kept connection that is not current leaves the current one alone' {
        $other = New-TestApp -Emulator $emulator
        $kept = Connect-ITwin -ClientId $other.ClientId -ClientSecret $other.SecureSecret @hosts -PassThru
        Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
        $kept | Disconnect-ITwin
        (Get-ITwinConnection).ClientId | Should -Be $app.ClientId
    }

    It '-ForceRefresh (and its alias -Force) asks for a new token even when a fresh one is cached' {
        Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
        (Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts).FromCache | Should -BeTrue
        (Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -ForceRefresh).FromCache | Should -BeFalse
        (Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -Force).FromCache | Should -BeFalse
    }
}

Describe 'Claims on the token' -Tag Surface {
    It 'decodes the JWT the emulator issued: client id, issuer, scopes, times; the view shows them and never the token' {
        $token = Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
        $claims = $token.Claims
        $claims | Should -BeOfType ITwinAuth.ITwinTokenClaims
        $claims.IsJwt | Should -BeTrue
        $claims.ClientId | Should -Be $app.ClientId
        $claims.Issuer.TrimEnd('/') | Should -Be $emulator.Authority
        $claims.Scopes | Should -Contain 'itwin-platform'
        [math]::Abs(($claims.ExpiresAt - $token.ExpiresOn).TotalSeconds) | Should -BeLessOrEqual 2
        $view = $claims | Out-String -Width 80
        $view | Should -Match "ClientId\s+: $([regex]::Escape($app.ClientId))"
        $view | Should -Not -Match ([regex]::Escape((Get-PlainToken $token)))
    }
}

Describe 'A connection through a proxy that asks for credentials' -Tag Surface, Network {
    BeforeEach { Disconnect-ITwin; Clear-ITwinTokenCache; Reset-EmulatorStats -Emulator $emulator }

    It 'without -ProxyCredential: ProxyAuthenticationRequired, naming the remedy, after one request, never retried' {
        $record = Get-ErrorRecord { Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -Proxy $network.proxy }
        $record.FullyQualifiedErrorId | Should -BeLike 'ProxyAuthenticationRequired*'
        "$record" | Should -Match '-ProxyCredential'
        @((Get-EmulatorStats -Emulator $emulator).proxyRequests).Count | Should -Be 1
    }

    It 'with -ProxyCredential: sign-in and API calls all go through the proxy, and its credentials go nowhere else' {
        Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -Proxy $network.proxy -ProxyCredential $proxyCredential
        (Get-ITwinMe).Email | Should -Be "$($app.ClientId)@apps.imsoidc.bentley.com"
        (Get-ITwinConnection).Proxy | Should -Match '^proxy http://127\.0\.0\.1:\d+ as proxy-user$'
        $stats = Get-EmulatorStats -Emulator $emulator
        $proxied = @($stats.proxyRequests | Where-Object proxyAuthorized)
        ($proxied.target -match '/connect/token').Count | Should -BeGreaterOrEqual 1
        ($proxied.target -match '/users/me').Count | Should -Be 1
        $stats.proxyCredentialSightings | Should -Be 0 -Because 'the proxy strips its header, and the module sends the password nowhere else'
        $stats.tokenRequests | Should -BeGreaterOrEqual 1
    }

    It 'a token got through the proxy and given as -Token goes through it too, to the API host it is for' {
        $token = Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -Proxy $network.proxy -ProxyCredential $proxyCredential
        $token.ApiBaseUri.AbsoluteUri | Should -Be "$($emulator.ApiBaseUri)/"
        Disconnect-ITwin
        Reset-EmulatorStats -Emulator $emulator
        (Get-ITwinMe -Token $token).Email | Should -Be "$($app.ClientId)@apps.imsoidc.bentley.com"
        $stats = Get-EmulatorStats -Emulator $emulator
        @($stats.proxyRequests | Where-Object { $_.proxyAuthorized -and $_.target -match '/users/me' }).Count | Should -Be 1
        $stats.proxyCredentialSightings | Should -Be 0
    }

    It 'with a wrong proxy password: ProxyAuthenticationRequired, and the password is in no message, record or verbose line' {
        $wrong = [pscredential]::new('proxy-user', (ConvertTo-SecureString 'not-the-PROXY-password' -AsPlainText -Force))
        $record = Get-ErrorRecord { Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -Proxy $network.proxy -ProxyCredential $wrong -Verbose 4>&1 }
        $record.FullyQualifiedErrorId | Should -BeLike 'ProxyAuthenticationRequired*'
        $text = ($record | Format-List * -Force | Out-String) + ($record.Exception | Format-List * -Force | Out-String) + $record.ErrorDetails
        $text | Should -Not -Match 'not-the-PROXY-password|proxy-PASSWORD'
    }

    It '-NoProxy goes direct, and -Proxy options that contradict each other are refused before anything is sent' {
        Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -NoProxy
        (Get-ITwinConnection).Proxy | Should -Be 'no proxy'
        Get-ITwinMe | Out-Null
        @((Get-EmulatorStats -Emulator $emulator).proxyRequests).Count | Should -Be 0
        (Get-ErrorRecord { Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -NoProxy -Proxy $network.proxy }).FullyQualifiedErrorId | Should -BeLike 'InvalidParameter*'
        (Get-ErrorRecord { Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -ProxyCredential $proxyCredential }).FullyQualifiedErrorId | Should -BeLike 'InvalidParameter*'
    }
}
