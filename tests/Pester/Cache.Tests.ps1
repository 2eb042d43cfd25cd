# Issue: token cache and connections. Counted by the emulator, not assumed.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator
}
AfterAll { Stop-ITwinEmulator -Emulator $emulator }

Describe 'The token cache' -Tag Cache {
    It 'answers a second call from the cache without a token request' {
        $app = New-TestApp -Emulator $emulator
        (Connect-TestApp -Emulator $emulator -App $app).FromCache | Should -BeFalse
        $before = (Get-EmulatorStats $emulator).tokenRequests
        $second = Connect-TestApp -Emulator $emulator -App $app
        $second.FromCache | Should -BeTrue
        (Get-EmulatorStats $emulator).tokenRequests | Should -Be $before
    }

    It 'says in -Verbose whether the token came from the cache or the authority, and when it expires' {
        $app = New-TestApp -Emulator $emulator
        $first = Connect-TestApp -Emulator $emulator -App $app -With @{ Verbose = $true } 4>&1 | Out-String
        $second = Connect-TestApp -Emulator $emulator -App $app -With @{ Verbose = $true } 4>&1 | Out-String
        $first | Should -Match 'cache miss'
        $first | Should -Match 'Token issued .* expires'
        $second | Should -Match 'cache hit .* expires'
    }

    It '-Force always requests a new token' {
        $app = New-TestApp -Emulator $emulator
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
        $before = (Get-EmulatorStats $emulator).tokensIssued
        (Connect-TestApp -Emulator $emulator -App $app -With @{ Force = $true }).FromCache | Should -BeFalse
        (Get-EmulatorStats $emulator).tokensIssued | Should -Be ($before + 1)
    }

    It 'renews a token once less than -RefreshMargin is left' {
        $app = New-TestApp -Emulator $emulator -TokenLifetimeSeconds 60
        $token = Connect-TestApp -Emulator $emulator -App $app
        $before = (Get-EmulatorStats $emulator).tokensIssued
        # Shorter than the lifetime (so it is taken as given), longer than what is left (a second of
        # slack is always kept): renew.
        $margin = ($token.ExpiresOn - $token.IssuedOn) - [timespan]::FromMilliseconds(500)
        (Connect-TestApp -Emulator $emulator -App $app -With @{ RefreshMargin = $margin }).FromCache | Should -BeFalse
        (Get-EmulatorStats $emulator).tokensIssued | Should -Be ($before + 1)
    }

    It 'keeps a script running past several token lifetimes without ever sending an expired token' {
        $app = New-TestApp -Emulator $emulator -TokenLifetimeSeconds 2
        # Ten seconds of token time, five lifetimes, and nobody sleeps: after each call the module's
        # clock (New-FakeTime) and the emulator's token time (frozen, so real time cannot slip in)
        # move a quarter second together.
        Step-EmulatorClock -Emulator $emulator -Freeze | Out-Null
        $time = New-FakeTime
        try {
            Connect-TestApp -Emulator $emulator -App $app | Out-Null
            Reset-EmulatorStats $emulator
            foreach ($call in 1..40) {
                (Get-ITwinMe).Email | Should -BeLike "$($app.ClientId)@*"
                $time.Advance([timespan]::FromMilliseconds(250))
                Step-EmulatorClock -Emulator $emulator -Seconds 0.25 | Out-Null
            }
        }
        finally {
            $time.Dispose()
            Step-EmulatorClock -Emulator $emulator -Freeze:$false | Out-Null
        }
        $stats = Get-EmulatorStats $emulator
        $stats.apiRequests | Should -Be 40
        $stats.apiUnauthorized | Should -Be 0 -Because 'a token past its expiry would have been refused with 401'
        $stats.tokensIssued | Should -BeGreaterOrEqual 5 -Because 'each 2-second token was renewed before it expired'
    }

    It 'makes exactly one token request for 50 runspaces on a cold cache (ForEach-Object -Parallel)' {
        $app = New-TestApp -Emulator $emulator
        $before = (Get-EmulatorStats $emulator).tokensIssued
        $module = $env:ITWINAUTH_MODULE
        $results = 1..50 | ForEach-Object -ThrottleLimit 50 -Parallel {
            Import-Module $using:module
            $secret = ConvertTo-SecureString $using:app.Secret -AsPlainText -Force
            $token = Get-ITwinServiceToken -ClientId $using:app.ClientId -ClientSecret $secret -Authority $using:emulator.Authority -ApiBaseUri $using:emulator.ApiBaseUri
            $token.ExpiresOn
        }
        @($results).Count | Should -Be 50
        @($results | Select-Object -Unique).Count | Should -Be 1
        (Get-EmulatorStats $emulator).tokensIssued | Should -Be ($before + 1)
    }

    It 'never reuses the old token after the secret is rotated' {
        $app = New-TestApp -Emulator $emulator
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
        Set-EmulatorApp -Emulator $emulator -ClientId $app.ClientId -ClientSecret 'the-new-secret' | Out-Null
        $rotated = [pscustomobject]@{ ClientId = $app.ClientId; SecureSecret = (ConvertTo-SecureString 'the-new-secret' -AsPlainText -Force) }
        $before = (Get-EmulatorStats $emulator).tokensIssued
        (Connect-TestApp -Emulator $emulator -App $rotated).FromCache | Should -BeFalse
        (Get-EmulatorStats $emulator).tokensIssued | Should -Be ($before + 1)
    }

    It 'answers a 401 with exactly one renewal and one retry' {
        $app = New-TestApp -Emulator $emulator
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
        Get-ITwinMe | Out-Null
        Reset-EmulatorStats $emulator
        Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 401; times = 1 })
        (Get-ITwinMe).Email | Should -BeLike "$($app.ClientId)@*"
        $stats = Get-EmulatorStats $emulator
        $stats.tokensIssued | Should -Be 1
        $stats.apiRequests | Should -Be 2
    }

    It 'Clear-ITwinTokenCache -WhatIf keeps the tokens; without it they are gone' {
        $app = New-TestApp -Emulator $emulator
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
        Invoke-Hostless { Clear-ITwinTokenCache -WhatIf }
        (Connect-TestApp -Emulator $emulator -App $app).FromCache | Should -BeTrue
        Get-ITwinConnection | Clear-ITwinTokenCache
        (Get-ITwinConnection).TokenExpiresOn | Should -BeNullOrEmpty
        (Connect-TestApp -Emulator $emulator -App $app).FromCache | Should -BeFalse
        Clear-ITwinTokenCache
        (Connect-TestApp -Emulator $emulator -App $app).FromCache | Should -BeFalse
    }
}

Describe 'Connections' -Tag Cache {
    It 'Get-ITwinConnection shows the app, hosts, scopes, source and expiry, never a secret' {
        $app = New-TestApp -Emulator $emulator
        $token = Connect-TestApp -Emulator $emulator -App $app
        $connection = Get-ITwinConnection
        $connection | Should -BeOfType ([ITwinAuth.ITwinConnection])
        $connection.ClientId | Should -Be $app.ClientId
        $connection.Authority.ToString().TrimEnd('/') | Should -Be $emulator.Authority
        $connection.ApiBaseUri.ToString().TrimEnd('/') | Should -Be $emulator.ApiBaseUri
        $connection.Scopes | Should -Be @('itwin-platform')
        $connection.CredentialSource | Should -Be 'ClientSecret (SecureString in memory)'
        $connection.TokenExpiresOn | Should -Be $token.ExpiresOn
        $shown = ($connection | Format-List * | Out-String) + ($connection | Out-String) + "$connection"
        $shown | Should -Not -Match ([regex]::Escape($app.Secret))
        $shown | Should -Not -Match ([regex]::Escape((Get-PlainToken $token)))
    }

    It 'lets requests use an explicit -Connection or -Token while another app is current' {
        $first = New-TestApp -Emulator $emulator
        Connect-TestApp -Emulator $emulator -App $first | Out-Null
        $firstConnection = Get-ITwinConnection
        $second = New-TestApp -Emulator $emulator
        $secondToken = Connect-TestApp -Emulator $emulator -App $second

        (Get-ITwinMe).Email | Should -BeLike "$($second.ClientId)@*"
        (Get-ITwinMe -Connection $firstConnection).Email | Should -BeLike "$($first.ClientId)@*"
        (Invoke-ITwinRequest -Path /users/me -Connection $firstConnection).user.email | Should -BeLike "$($first.ClientId)@*"
        (Get-ITwinMe -Token $secondToken -ApiBaseUri $emulator.ApiBaseUri).Email | Should -BeLike "$($second.ClientId)@*"
    }

    It '-Environment picks the hosts, and -Authority/-ApiBaseUri override them' {
        $app = New-TestApp -Emulator $emulator
        Connect-TestApp -Emulator $emulator -App $app -With @{ Environment = 'QA' } | Out-Null
        $connection = Get-ITwinConnection
        $connection.Environment | Should -Be 'QA'
        $connection.Authority.ToString().TrimEnd('/') | Should -Be $emulator.Authority
    }

    It 'completes -Environment with Production, QA and Dev' {
        $line = 'Get-ITwinServiceToken -Environment '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Sort-Object | Should -Be @('Dev', 'Production', 'QA')
    }
}
