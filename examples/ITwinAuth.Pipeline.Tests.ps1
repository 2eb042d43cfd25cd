# A Pester test file of the kind you keep in your own CI pipeline.
#
# Integration tests sign in from environment variables that the pipeline sets from its secret
# store (ITWIN_CLIENT_ID and ITWIN_CLIENT_SECRET, e.g. GitHub Actions secrets), then call the
# platform. Unit tests mock ITwinAuth's cmdlets, so they need no platform and no secret.
#
# Run it so that a failed test fails the pipeline step (exit code 1):
#
#   pwsh -NonInteractive -Command 'Invoke-Pester -CI -Path ./ITwinAuth.Pipeline.Tests.ps1'
#
# -CI also writes testResults.xml (NUnit) in the current folder, for the pipeline's test tab
# (this repository's .gitignore ignores it). Plain 'Invoke-Pester ./ITwinAuth.Pipeline.Tests.ps1'
# exits 0 even when tests fail. Pester 5 is a module from the PowerShell Gallery
# (Install-Module Pester -MinimumVersion 5.5; Windows PowerShell 5.1 ships Pester 3.4, which cannot
# run this file). To run it offline against the iTwin emulator, see Invoke-OfflinePipeline.ps1
# beside this file.

BeforeAll {
    Import-Module ITwinAuth

    # The code under test: your own functions built on ITwinAuth.
    function Get-ITwinDisplayName {
        param([int] $First = 5)
        Invoke-ITwinRequest -Uri /itwins -All | Select-Object -First $First -ExpandProperty displayName
    }

    # One line for the pipeline's log: who the step runs as.
    function Get-ServiceIdentityLine {
        $me = Get-ITwinMe
        "Signed in as $($me.DisplayName) <$($me.Email)>"
    }

    # The names, or none with a warning while the platform rate-limits the app (other errors fail):
    # TooManyRequests is the API's 429 once the retries are spent, RateLimited the module's own
    # refusal when an earlier 429's pause would not fit in the call's deadline.
    function Get-ITwinDisplayNameOrNone {
        [CmdletBinding()]
        param()
        try { Get-ITwinDisplayName -First 3 -ErrorAction Stop }
        catch [ITwinAuth.ITwinAuthException] {
            if ($_.Exception.ErrorId -notin 'TooManyRequests', 'RateLimited') { throw }
            Write-Warning 'The platform is rate-limiting this app: no names this time.'
        }
    }
}

Describe 'Our iTwin automation against the platform' -Tag Integration {
    BeforeAll {
        # No parameters: the app comes from ITWIN_CLIENT_ID and ITWIN_CLIENT_SECRET. Never prompts.
        Connect-ITwin
    }

    It 'signs in as our service application' {
        (Get-ITwinMe).Email | Should -BeLike "$env:ITWIN_CLIENT_ID@apps.imsoidc.bentley.com"
    }

    It 'lists iTwins the app can see' {
        Get-ITwinDisplayName -First 3 | Should -HaveCount 3
    }
}

Describe 'Our iTwin automation, unit-tested with mocks' -Tag Unit {
    It 'takes the names of the first iTwins, paging through all of them' {
        Mock Invoke-ITwinRequest {
            [pscustomobject]@{ displayName = 'Bridge A' }
            [pscustomobject]@{ displayName = 'Bridge B' }
        }
        Get-ITwinDisplayName -First 1 | Should -Be 'Bridge A'
        Should -Invoke Invoke-ITwinRequest -Times 1 -Exactly -ParameterFilter { $Uri -eq '/itwins' -and $All }
    }

    It 'writes who the step runs as, from the signed-in identity' {
        Mock Get-ITwinMe { [pscustomobject]@{ DisplayName = 'Service Fake'; Email = 'service-fake@apps.imsoidc.bentley.com' } }
        Get-ServiceIdentityLine | Should -Be 'Signed in as Service Fake <service-fake@apps.imsoidc.bentley.com>'
    }

    It 'gives no names and a warning while the platform rate-limits the app' {
        Mock Invoke-ITwinRequest { throw [ITwinAuth.ITwinAuthException]::new('TooManyRequests', 'LimitsExceeded', 'Too many requests.') }
        $names = Get-ITwinDisplayNameOrNone -WarningVariable warnings -WarningAction SilentlyContinue
        $names | Should -BeNullOrEmpty
        $warnings | Should -Match 'rate-limiting'
    }
}
