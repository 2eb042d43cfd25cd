# Issue 16: what a new user meets after the first sign-in: the current connection's token, errors
# that say what to set, a clean -WhatIf target, ordered hashtables.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator
    $app = New-TestApp -Emulator $emulator
    $saved = @{}
    foreach ($name in 'ITWIN_CLIENT_ID', 'ITWIN_CLIENT_SECRET', 'ITWIN_AUTHORITY', 'ITWIN_API_BASE_URI', 'ITP_SERVICE_CLIENT_ID', 'ITP_SERVICE_CLIENT_SECRET', 'ITP_ISSUER_URL', 'ITP_API_URL') {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $null)
    }
}
AfterAll {
    foreach ($entry in $saved.GetEnumerator()) { [Environment]::SetEnvironmentVariable($entry.Key, $entry.Value) }
    Stop-ITwinEmulator -Emulator $emulator
}

Describe 'After the first sign-in' -Tag Guidance {
    BeforeEach { Reset-EmulatorStats $emulator }

    It 'Get-ITwinServiceToken with no credentials returns the current connection''s token, from the cache' {
        Connect-TestApp -Emulator $emulator -App $app -With @{ Force = $true } | Out-Null
        $before = (Get-EmulatorStats $emulator).tokensIssued
        $token = Get-ITwinServiceToken
        $token.ClientId | Should -Be $app.ClientId
        $token.FromCache | Should -BeTrue
        (Get-EmulatorStats $emulator).tokensIssued | Should -Be $before
        # ... which is what the README's Invoke-RestMethod line needs
        $me = Invoke-RestMethod -Uri "$($emulator.ApiBaseUri)/users/me" -Authentication Bearer -Token (Get-ITwinServiceToken).Token -AllowUnencryptedAuthentication
        $me.user.email | Should -BeLike "$($app.ClientId)@*"
        (Get-ITwinServiceToken -Force).FromCache | Should -BeFalse
    }

    It 'a client id without a secret is ClientSecretMissing, naming the id and what to set (<Case>)' -ForEach @(
        @{ Case = '-ClientId alone'; Env = @{}; Run = { Get-ITwinServiceToken -ClientId service-demo }; From = '-ClientId' }
        @{ Case = 'ITWIN_CLIENT_ID without ITWIN_CLIENT_SECRET'; Env = @{ ITWIN_CLIENT_ID = 'service-demo' }; Run = { Get-ITwinServiceToken }; From = 'ITWIN_CLIENT_ID' }
    ) {
        foreach ($e in $Env.GetEnumerator()) { [Environment]::SetEnvironmentVariable($e.Key, $e.Value) }
        try { $record = Get-ErrorRecord $Run }
        finally { foreach ($e in $Env.GetEnumerator()) { [Environment]::SetEnvironmentVariable($e.Key, $null) } }
        ($record.FullyQualifiedErrorId -split ',')[0] | Should -Be 'ClientSecretMissing'
        $record.Exception.Message | Should -BeLike "*'service-demo'*$From*ITWIN_CLIENT_SECRET*"
        (Get-EmulatorStats $emulator).tokenEndpointRequests | Should -Be 0
    }

    It 'says when ITWIN_AUTHORITY and ITWIN_API_BASE_URI are set but not used' {
        [Environment]::SetEnvironmentVariable('ITWIN_AUTHORITY', 'http://127.0.0.1:9')
        [Environment]::SetEnvironmentVariable('ITWIN_API_BASE_URI', 'http://127.0.0.1:9')
        try {
            Connect-TestApp -Emulator $emulator -App $app -With @{ WarningVariable = 'warned'; WarningAction = 'SilentlyContinue' } | Out-Null
            $warned.Count | Should -Be 0 -Because '-Authority and -ApiBaseUri were given'
            # Only the emulator is asked: -Authority is given, so only ITWIN_API_BASE_URI goes unused.
            Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority $emulator.Authority -WarningVariable warned2 -WarningAction SilentlyContinue | Out-Null
            "$($warned2[0])" | Should -BeLike '*ITWIN_API_BASE_URI is set but applies only when the secret comes from the environment variables*'
            (Get-ITwinConnection).ApiBaseUri | Should -Be 'https://api.bentley.com/'
            Connect-TestApp -Emulator $emulator -App $app | Out-Null
        }
        finally {
            [Environment]::SetEnvironmentVariable('ITWIN_AUTHORITY', $null)
            [Environment]::SetEnvironmentVariable('ITWIN_API_BASE_URI', $null)
        }
    }

    It '-WhatIf names the URI as its target, once' {
        # In a child pwsh: what -WhatIf prints goes to its output, not this run's console.
        $run = Invoke-ChildPwsh -TimeoutSeconds 60 -Environment @{ ITWIN_CLIENT_ID = $app.ClientId; ITWIN_CLIENT_SECRET = $app.Secret
            ITWIN_AUTHORITY = $emulator.Authority; ITWIN_API_BASE_URI = $emulator.ApiBaseUri } -ArgumentList @('-NoProfile', '-NonInteractive', '-Command',
            "`$ErrorActionPreference = 'Stop'; Import-Module '$env:ITWINAUTH_MODULE'; Get-ITwinServiceToken | Out-Null; Invoke-ITwinRequest -Method Delete -Path /itwins/favorites/x -WhatIf")
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $lines = @($run.Output -split "\r?\n" | Where-Object { $_ -like 'What if:*' })
        $lines.Count | Should -Be 1
        $lines[0] | Should -Be "What if: Performing the operation `"DELETE`" on target `"$($emulator.ApiBaseUri)/itwins/favorites/x`"."
    }

    It '-AsHashtable keeps the body''s key order' {
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
        $user = (Invoke-ITwinRequest -Path /users/me -AsHashtable).user
        $user | Should -BeOfType ([hashtable])
        @($user.Keys)[0..2] -join ',' | Should -Be 'id,displayName,givenName'
    }

    It '-Unwrap writes the one value a response wraps' {
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
        $user = Invoke-ITwinRequest -Path /users/me -Unwrap
        $user.email | Should -BeLike "$($app.ClientId)@*"
        $user.PSObject.Properties.Name | Should -Not -Contain 'user'
        $items = @(Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 3 } -Unwrap)
        $items.Count | Should -Be 3
        $items[0].displayName | Should -Be 'iTwin 000001'
    }

    It '-IncludeTotalCount counts the whole listing, past -First, and says it is exact' {
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
        Reset-EmulatorStats $emulator
        $out = @(Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 100 } -First 5 -IncludeTotalCount)
        $out.Count | Should -Be 6
        $total = $out[-1]
        $total | Should -BeOfType ([System.Management.Automation.PSObject])
        ($total | Out-String) | Should -Match 'Total count: 250'
        (Get-EmulatorStats $emulator).apiRequests | Should -Be 3 -Because '250 items in pages of 100'
    }
}
