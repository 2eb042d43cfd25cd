# Issue 23: the seven cmdlets' parameter sets, positions and refusals, as a contract.
# - Every parameter set of every cmdlet has a case that runs it against the emulator and checks that
#   it did what that set means. The sets are read from Get-Command, so a set (or a cmdlet) added
#   without a case here fails the first test.
# - The positional parameters are listed exactly, and each positional form is run.
# - Every combination the binder refuses is derived from the sets (two parameters that share no set;
#   a parameter whose every set needs a mandatory parameter not given), and every combination the
#   module refuses is listed by hand; each is refused with its ErrorId, and nothing reaches the
#   emulator (identity, API or proxy) or changes the current connection or the token cache.
BeforeDiscovery {
    Import-Module $env:ITWINAUTH_MODULE -Force
    $commands = @((Get-Module ITwinAuth).ExportedCmdlets.Keys | Sort-Object)
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters

    # One case per form of each parameter set; Run holds its own assertions.
    $setCases = @(
        foreach ($command in 'Connect-ITwin', 'Get-ITwinServiceToken') {
            @{ Command = $command; Set = 'ClientSecret'; Form = '-ClientId -ClientSecret'; Run = {
                    $output = & $Command -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts @passThru
                    $output.ClientId | Should -Be $app.ClientId
                    (Get-ITwinConnection).CredentialSourceKind | Should -Be 'Direct' } }
            @{ Command = $command; Set = 'Credential'; Form = '-Credential'; Run = {
                    $output = & $Command -Credential ([pscredential]::new($app.ClientId, $app.SecureSecret)) @hosts @passThru
                    $output.ClientId | Should -Be $app.ClientId
                    (Get-ITwinConnection).CredentialSourceKind | Should -Be 'Credential' } }
            @{ Command = $command; Set = 'Vault'; Form = '-Vault -SecretName'; Run = {
                    $output = & $Command -Vault SetsVault -SecretName sets-app @hosts @passThru
                    $output.ClientId | Should -Be $app.ClientId
                    (Get-ITwinConnection).CredentialSourceKind | Should -Be 'Vault'
                    (Get-ITwinConnection).CredentialSource | Should -BeLike "*'SetsVault'*'sets-app'*" } }
            @{ Command = $command; Set = 'EnvironmentVariables'; Form = 'no credential parameter, ITWIN_* set'; Run = {
                    $env:ITWIN_CLIENT_ID = $app.ClientId; $env:ITWIN_CLIENT_SECRET = $app.Secret
                    try { $output = & $Command @hosts @passThru }
                    finally { Remove-Item Env:ITWIN_CLIENT_ID, Env:ITWIN_CLIENT_SECRET }
                    $output.ClientId | Should -Be $app.ClientId
                    (Get-ITwinConnection).CredentialSourceKind | Should -Be 'EnvironmentVariables' } }
        }
        @{ Command = 'Get-ITwinServiceToken'; Set = 'EnvironmentVariables'; Form = 'nothing at all: the current connection''s token'; Run = {
                Connect-ITwin -ClientId $other.ClientId -ClientSecret $other.SecureSecret @hosts
                $before = Get-SentCount
                $token = Get-ITwinServiceToken
                $token.ClientId | Should -Be $other.ClientId
                $token.FromCache | Should -BeTrue
                $token.ApiBaseUri.AbsoluteUri | Should -Be "$($emulator.ApiBaseUri)/"
                Get-SentCount | Should -Be $before -Because 'a fresh cached token needs no request' } }

        foreach ($command in 'Invoke-ITwinRequest', 'Get-ITwinMe') {
            $call = if ($command -eq 'Invoke-ITwinRequest') { { param($With) (Invoke-ITwinRequest /users/me @With).user.email } } else { { param($With) (Get-ITwinMe @With).Email } }
            @{ Command = $command; Set = 'Current'; Form = 'the current connection'; Call = $call; Run = {
                    Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
                    & $Call @{} | Should -Be "$($app.ClientId)@apps.imsoidc.bentley.com" } }
            @{ Command = $command; Set = 'Connection'; Form = '-Connection, another app being current'; Call = $call; Run = {
                    $kept = Connect-ITwin -ClientId $other.ClientId -ClientSecret $other.SecureSecret @hosts -PassThru
                    Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
                    & $Call @{ Connection = $kept } | Should -Be "$($other.ClientId)@apps.imsoidc.bentley.com"
                    (Get-ITwinConnection).ClientId | Should -Be $app.ClientId } }
            @{ Command = $command; Set = 'Token'; Form = '-Token: sent to the API host it is for, not the current connection''s'; Call = $call; Run = {
                    $token = Get-ITwinServiceToken -ClientId $other.ClientId -ClientSecret $other.SecureSecret @hosts
                    # The current connection's API is elsewhere (nothing listens there): the token goes to its own.
                    Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority $emulator.Authority -ApiBaseUri 'http://127.0.0.1:9/'
                    & $Call @{ Token = $token } | Should -Be "$($other.ClientId)@apps.imsoidc.bentley.com"
                    & $Call @{ Token = $token; ApiBaseUri = $emulator.ApiBaseUri } | Should -Be "$($other.ClientId)@apps.imsoidc.bentley.com" } }
        }

        @{ Command = 'Disconnect-ITwin'; Set = '__AllParameterSets'; Form = 'nothing: the current connection'; Run = {
                Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
                Disconnect-ITwin | Should -BeNullOrEmpty
                Get-ITwinConnection | Should -BeNullOrEmpty
                (Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts).FromCache | Should -BeFalse } }
        @{ Command = 'Disconnect-ITwin'; Set = '__AllParameterSets'; Form = '-Connection, and by pipeline'; Run = {
                $first = Connect-ITwin -ClientId $other.ClientId -ClientSecret $other.SecureSecret @hosts -PassThru
                Disconnect-ITwin -Connection $first
                Get-ITwinConnection | Should -BeNullOrEmpty
                $second = Connect-ITwin -ClientId $other.ClientId -ClientSecret $other.SecureSecret @hosts -PassThru
                Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
                $second | Disconnect-ITwin
                (Get-ITwinConnection).ClientId | Should -Be $app.ClientId -Because 'the current connection is another one' } }

        @{ Command = 'Get-ITwinConnection'; Set = '__AllParameterSets'; Form = 'nothing'; Run = {
                Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
                $connection = Get-ITwinConnection
                $connection | Should -BeOfType ITwinAuth.ITwinConnection
                $connection.ClientId | Should -Be $app.ClientId
                $connection.ApiBaseUri.AbsoluteUri | Should -Be "$($emulator.ApiBaseUri)/" } }

        @{ Command = 'Clear-ITwinTokenCache'; Set = '__AllParameterSets'; Form = 'nothing: every token'; Run = {
                Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
                Clear-ITwinTokenCache
                (Get-ITwinConnection).TokenExpiresOn | Should -BeNullOrEmpty
                (Get-ITwinConnection).ClientId | Should -Be $app.ClientId -Because 'the connection stays' } }
        @{ Command = 'Clear-ITwinTokenCache'; Set = '__AllParameterSets'; Form = '-Connection, and by pipeline: that app''s tokens only'; Run = {
                $kept = Connect-ITwin -ClientId $other.ClientId -ClientSecret $other.SecureSecret @hosts -PassThru
                Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
                Clear-ITwinTokenCache -Connection $kept
                (Get-ITwinConnection).TokenExpiresOn | Should -Not -BeNullOrEmpty -Because 'the current app''s token stays'
                (Get-ITwinServiceToken -ClientId $other.ClientId -ClientSecret $other.SecureSecret @hosts).FromCache | Should -BeFalse
                Get-ITwinConnection | Clear-ITwinTokenCache
                (Get-ITwinConnection).TokenExpiresOn | Should -BeNullOrEmpty } }
    )
    $coverage = foreach ($command in $commands) {
        @{ Command = $command; Covered = @($setCases | Where-Object Command -eq $command | ForEach-Object Set | Sort-Object -Unique) }
    }

    # What the binder refuses, derived from the sets. A sample value for every parameter a derived case uses.
    $setSpecific = foreach ($command in $commands) {
        $metadata = Get-Command $command
        foreach ($parameter in $metadata.Parameters.Values | Where-Object { $_.Name -notin $common -and -not $_.ParameterSets.ContainsKey('__AllParameterSets') }) {
            @{ Command = $command; Name = $parameter.Name; Sets = @($parameter.ParameterSets.Keys) }
        }
    }
    $exclusivePairs = foreach ($command in $commands) {
        $parameters = @($setSpecific | Where-Object Command -eq $command)
        for ($i = 0; $i -lt $parameters.Count; $i++) {
            for ($j = $i + 1; $j -lt $parameters.Count; $j++) {
                if (-not ($parameters[$i].Sets | Where-Object { $_ -in $parameters[$j].Sets })) {
                    @{ Command = $command; First = $parameters[$i].Name; Second = $parameters[$j].Name }
                }
            }
        }
    }
    $missingMandatory = foreach ($entry in $setSpecific) {
        $metadata = Get-Command $entry.Command
        # -Uri is always given (it is what Invoke-ITwinRequest calls); a parameter that is mandatory itself is not a case.
        $needs = foreach ($set in $metadata.ParameterSets | Where-Object Name -in $entry.Sets) {
            @($set.Parameters | Where-Object { $_.IsMandatory -and $_.Name -ne 'Uri' } | ForEach-Object Name)
        }
        if ($entry.Name -notin $needs -and @($metadata.ParameterSets | Where-Object Name -in $entry.Sets | Where-Object {
                    -not ($_.Parameters | Where-Object { $_.IsMandatory -and $_.Name -notin 'Uri', $entry.Name }) }).Count -eq 0) {
            @{ Command = $entry.Command; Name = $entry.Name; Needs = (@($needs | Where-Object { $_ -ne $entry.Name }) | Sort-Object -Unique) -join ' or ' }
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $envNames = 'ITWIN_CLIENT_ID', 'ITWIN_CLIENT_SECRET', 'ITWIN_SCOPE', 'ITWIN_AUTHORITY', 'ITWIN_API_BASE_URI',
        'ITP_SERVICE_CLIENT_ID', 'ITP_SERVICE_CLIENT_SECRET', 'ITP_ISSUER_URL', 'ITP_API_URL'
    $savedEnvironment = @{}
    foreach ($name in $envNames) { $savedEnvironment[$name] = [Environment]::GetEnvironmentVariable($name); Remove-Item "Env:$name" -ErrorAction Ignore }
    $emulator = Start-ITwinEmulator
    $app = New-TestApp -Emulator $emulator
    $other = New-TestApp -Emulator $emulator
    $hosts = @{ Authority = $emulator.Authority; ApiBaseUri = $emulator.ApiBaseUri }

    # SecretManagement (the stand-in) with one vault holding the app, for the Vault sets.
    $savedModulePath = $env:PSModulePath
    $env:PSModulePath = (Resolve-Path (Join-Path $PSScriptRoot '../SecretManagement')).Path + [IO.Path]::PathSeparator + $env:PSModulePath
    Register-SecretVault -Name SetsVault
    Set-Secret -Vault SetsVault -Name sets-app -Secret ([pscredential]::new($app.ClientId, $app.SecureSecret))

    # Everything that reached the emulator: the identity service, the API and its forward proxy.
    function Get-SentCount {
        $stats = Get-EmulatorStats -Emulator $emulator
        $stats.tokenEndpointRequests + $stats.discoveryRequests + $stats.apiRequests + @($stats.proxyRequests).Count
    }
    # What a refusal must leave alone: the current connection and its cached token.
    function Get-SessionState {
        $connection = Get-ITwinConnection
        if ($connection) { "$($connection.ClientId) at $($connection.ApiBaseUri), token expires $($connection.TokenExpiresOn)" } else { 'no connection' }
    }

    # One runspace of this process with no host: a command missing a mandatory parameter is refused
    # there (MissingMandatoryParameter) as in a non-interactive shell, instead of prompting. Connections
    # and tokens are the process's, so what it changes shows here.
    $refusalShell = [powershell]::Create()
    [void] $refusalShell.AddScript("Import-Module '$env:ITWINAUTH_MODULE'").Invoke()
    function Get-RefusalRecord([scriptblock] $Run) {
        $refusalShell.Commands.Clear()
        $refusalShell.Streams.ClearStreams()
        foreach ($name in 'app', 'other', 'hosts', 'emulator', 'TestDrive', 'kept', 'token') {
            $refusalShell.Runspace.SessionStateProxy.SetVariable($name, (Get-Variable $name -ValueOnly -ErrorAction Ignore))
        }
        [void] $refusalShell.AddScript("`$ErrorActionPreference = 'Stop'`ntry { & { $Run } | Out-Null; 'no error' } catch { `$_ }")
        $result = @($refusalShell.Invoke())
        $result[-1]
    }
    function Assert-Refused([scriptblock] $Run, [string] $ErrorId) {
        $sentBefore = Get-SentCount
        $stateBefore = Get-SessionState
        $record = Get-RefusalRecord $Run
        $record | Should -BeOfType System.Management.Automation.ErrorRecord -Because 'the command must be refused'
        $record.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        Get-SentCount | Should -Be $sentBefore -Because 'nothing may be sent'
        Get-SessionState | Should -Be $stateBefore -Because 'a refused command changes nothing'
        $record
    }
}
AfterAll {
    $refusalShell.Dispose()
    Disconnect-ITwin
    $env:PSModulePath = $savedModulePath
    Remove-Module Microsoft.PowerShell.SecretManagement -ErrorAction Ignore
    foreach ($name in $envNames) { if ($savedEnvironment[$name]) { Set-Item "Env:$name" $savedEnvironment[$name] } }
    Stop-ITwinEmulator -Emulator $emulator
}

Describe 'Every parameter set' -Tag Surface, Sets {
    BeforeEach { Disconnect-ITwin; Clear-ITwinTokenCache }

    It '<Command>: every parameter set has a case here' -ForEach $coverage {
        @((Get-Command $Command).ParameterSets.Name | Sort-Object) | Should -Be $Covered
    }

    It '<Command> [<Set>]: <Form>' -ForEach $setCases {
        $passThru = if ($Command -eq 'Connect-ITwin') { @{ PassThru = $true } } else { @{} }
        & $Run
    }
}

Describe 'Positions' -Tag Surface, Sets {
    BeforeAll { Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts }

    It 'only -Uri of Invoke-ITwinRequest is positional, at 0 in each of its sets' {
        $positional = foreach ($command in (Get-Module ITwinAuth).ExportedCmdlets.Keys) {
            foreach ($set in (Get-Command $command).ParameterSets) {
                foreach ($parameter in $set.Parameters | Where-Object Position -ge 0) { "$command [$($set.Name)] $($parameter.Position): $($parameter.Name)" }
            }
        }
        @($positional | Sort-Object) | Should -Be @('Invoke-ITwinRequest [Connection] 0: Uri', 'Invoke-ITwinRequest [Current] 0: Uri', 'Invoke-ITwinRequest [Token] 0: Uri')
    }

    It 'Invoke-ITwinRequest binds its positional value to -Uri in every set: a path, a path without its slash, an absolute URI' {
        $email = "$($app.ClientId)@apps.imsoidc.bentley.com"
        $connection = Get-ITwinConnection
        $token = Get-ITwinServiceToken
        foreach ($uri in '/users/me', 'users/me', "$($emulator.ApiBaseUri)/users/me") {
            (Invoke-ITwinRequest $uri).user.email | Should -Be $email
            (Invoke-ITwinRequest $uri -Connection $connection).user.email | Should -Be $email
            (Invoke-ITwinRequest $uri -Token $token).user.email | Should -Be $email
        }
    }

    It 'Invoke-ITwinRequest takes -Uri by the alias -Path, from the pipeline by value, and by the property name Uri or Path' {
        $email = "$($app.ClientId)@apps.imsoidc.bentley.com"
        (Invoke-ITwinRequest -Path users/me).user.email | Should -Be $email
        ('/users/me' | Invoke-ITwinRequest).user.email | Should -Be $email
        ([pscustomobject]@{ Path = '/users/me' } | Invoke-ITwinRequest).user.email | Should -Be $email
        ([pscustomobject]@{ Uri = '/users/me' } | Invoke-ITwinRequest).user.email | Should -Be $email
    }
}

Describe 'What the binder refuses' -Tag Surface, Sets {
    BeforeEach {
        Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
        $kept = Get-ITwinConnection
        $token = Get-ITwinServiceToken
    }

    It '<Command>: -<First> with -<Second> (no set has both) is AmbiguousParameterSet' -ForEach $exclusivePairs {
        $samples = @{
            ClientId = { $app.ClientId }; ClientSecret = { $app.SecureSecret }; Credential = { [pscredential]::new($app.ClientId, $app.SecureSecret) }
            SecretName = { 'sets-app' }; Vault = { 'SetsVault' }; Connection = { $kept }; Token = { $token }; ApiBaseUri = { $hosts.ApiBaseUri }
        }
        $samples.Keys | Should -Contain $First -Because "a sample value of -$First is needed"
        $samples.Keys | Should -Contain $Second -Because "a sample value of -$Second is needed"
        $uri = if ($Command -eq 'Invoke-ITwinRequest') { '/users/me ' } else { '' }
        Assert-Refused ([scriptblock]::Create("$Command $uri-$First ($($samples[$First])) -$Second ($($samples[$Second]))")) 'AmbiguousParameterSet'
    }

    It '<Command>: -<Name> without -<Needs> is MissingMandatoryParameter, never a prompt' -ForEach $missingMandatory {
        $samples = @{ Vault = "'SetsVault'"; ApiBaseUri = '$hosts.ApiBaseUri' }
        $samples.Keys | Should -Contain $Name -Because "a sample value of -$Name is needed"
        $uri = if ($Command -eq 'Invoke-ITwinRequest') { '/users/me ' } else { '' }
        Assert-Refused ([scriptblock]::Create("$Command $uri-$Name $($samples[$Name])")) 'MissingMandatoryParameter'
    }

    It '<Command> <Case>: <ErrorId>' -ForEach @(
        # A value where none is taken (the sign-in cmdlets take none: a SecureString cannot land on -ClientId).
        @{ Command = 'Connect-ITwin'; Case = 'a SecureString alone'; ErrorId = 'PositionalParameterNotFound'; Run = { Connect-ITwin $app.SecureSecret } }
        @{ Command = 'Connect-ITwin'; Case = 'a client id and a secret'; ErrorId = 'PositionalParameterNotFound'; Run = { Connect-ITwin $app.ClientId $app.SecureSecret } }
        @{ Command = 'Get-ITwinServiceToken'; Case = 'a SecureString alone'; ErrorId = 'PositionalParameterNotFound'; Run = { Get-ITwinServiceToken $app.SecureSecret } }
        @{ Command = 'Get-ITwinServiceToken'; Case = 'a client id and a secret'; ErrorId = 'PositionalParameterNotFound'; Run = { Get-ITwinServiceToken $app.ClientId $app.SecureSecret } }
        @{ Command = 'Invoke-ITwinRequest'; Case = 'a second positional value'; ErrorId = 'PositionalParameterNotFound'; Run = { Invoke-ITwinRequest /itwins Post } }
        @{ Command = 'Get-ITwinMe'; Case = 'a connection by position'; ErrorId = 'PositionalParameterNotFound'; Run = { Get-ITwinMe $kept } }
        @{ Command = 'Disconnect-ITwin'; Case = 'a connection by position'; ErrorId = 'PositionalParameterNotFound'; Run = { Disconnect-ITwin $kept } }
        @{ Command = 'Get-ITwinConnection'; Case = 'any value'; ErrorId = 'PositionalParameterNotFound'; Run = { Get-ITwinConnection $app.ClientId } }
        @{ Command = 'Clear-ITwinTokenCache'; Case = 'a connection by position'; ErrorId = 'PositionalParameterNotFound'; Run = { Clear-ITwinTokenCache $kept } }
        # Input that is not a connection.
        @{ Command = 'Disconnect-ITwin'; Case = 'a string from the pipeline'; ErrorId = 'InputObjectNotBound'; Run = { $app.ClientId | Disconnect-ITwin } }
        @{ Command = 'Disconnect-ITwin'; Case = '-Connection with a string'; ErrorId = 'CannotConvertArgumentNoMessage'; Run = { Disconnect-ITwin -Connection $app.ClientId } }
        @{ Command = 'Get-ITwinConnection'; Case = 'a string from the pipeline'; ErrorId = 'InputObjectNotBound'; Run = { $app.ClientId | Get-ITwinConnection } }
        @{ Command = 'Clear-ITwinTokenCache'; Case = 'a string from the pipeline'; ErrorId = 'InputObjectNotBound'; Run = { $app.ClientId | Clear-ITwinTokenCache } }
        @{ Command = 'Clear-ITwinTokenCache'; Case = '-Connection with a string'; ErrorId = 'CannotConvertArgumentNoMessage'; Run = { Clear-ITwinTokenCache -Connection $app.ClientId } }
        @{ Command = 'Get-ITwinMe'; Case = '-Token with a string'; ErrorId = 'CannotConvertArgumentNoMessage'; Run = { Get-ITwinMe -Token 'eyJhbGciOi.not.a-token' } }
        # Values outside a fixed choice or range.
        @{ Command = 'Connect-ITwin'; Case = '-Environment Staging'; ErrorId = 'CannotConvertArgumentNoMessage'; Run = { Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Environment Staging } }
        @{ Command = 'Get-ITwinServiceToken'; Case = '-Environment Staging'; ErrorId = 'CannotConvertArgumentNoMessage'; Run = { Get-ITwinServiceToken -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Environment Staging } }
        @{ Command = 'Invoke-ITwinRequest'; Case = '-Method Trace'; ErrorId = 'CannotConvertArgumentNoMessage'; Run = { Invoke-ITwinRequest /users/me -Method Trace } }
        @{ Command = 'Invoke-ITwinRequest'; Case = '-MaximumRetryCount 21'; ErrorId = 'ParameterArgumentValidationError'; Run = { Invoke-ITwinRequest /users/me -MaximumRetryCount 21 } }
        @{ Command = 'Invoke-ITwinRequest'; Case = '-ThrottleLimit 0'; ErrorId = 'ParameterArgumentValidationError'; Run = { Invoke-ITwinRequest /users/me -ThrottleLimit 0 } }
        @{ Command = 'Invoke-ITwinRequest'; Case = '-TimeoutSec 0'; ErrorId = 'ParameterArgumentValidationError'; Run = { Invoke-ITwinRequest /users/me -TimeoutSec 0 } }
        @{ Command = 'Invoke-ITwinRequest'; Case = '-MaximumResponseSize 0'; ErrorId = 'ParameterArgumentValidationError'; Run = { Invoke-ITwinRequest /users/me -MaximumResponseSize 0 } }
    ) {
        Assert-Refused $Run $ErrorId | Out-Null
    }
}

Describe 'What the module refuses before anything is sent' -Tag Surface, Sets {
    BeforeEach {
        Connect-ITwin -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts
        $kept = Get-ITwinConnection
        $token = Get-ITwinServiceToken
    }

    Context '<Sign>' -ForEach @(@{ Sign = 'Connect-ITwin' }, @{ Sign = 'Get-ITwinServiceToken' }) {
        # With no cached token, a sign-in that went ahead would reach the identity service.
        BeforeEach { Clear-ITwinTokenCache }

        It '<Case>: <ErrorId>' -ForEach @(
            @{ Case = '-ClientSecret without a client id anywhere'; ErrorId = 'ClientIdMissing'; Run = { & $sign -ClientSecret $app.SecureSecret @hosts } }
            @{ Case = '-ClientId without a secret anywhere'; ErrorId = 'ClientSecretMissing'; Run = { & $sign -ClientId $app.ClientId @hosts } }
            @{ Case = '-NoProxy with -Proxy'; ErrorId = 'InvalidParameter'; Run = { & $sign -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -NoProxy -Proxy 'http://127.0.0.1:9' } }
            @{ Case = '-ProxyCredential without -Proxy'; ErrorId = 'InvalidParameter'; Run = { & $sign -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -ProxyCredential ([pscredential]::new('u', $app.SecureSecret)) } }
            @{ Case = '-ProxyUseDefaultCredentials without -Proxy'; ErrorId = 'InvalidParameter'; Run = { & $sign -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -ProxyUseDefaultCredentials } }
            @{ Case = '-ProxyCredential with -ProxyUseDefaultCredentials'; ErrorId = 'InvalidParameter'; Run = { & $sign -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -Proxy 'http://127.0.0.1:9' -ProxyCredential ([pscredential]::new('u', $app.SecureSecret)) -ProxyUseDefaultCredentials } }
            @{ Case = '-Proxy with credentials in its address'; ErrorId = 'InvalidUri'; Run = { & $sign -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -Proxy 'http://user:pass@127.0.0.1:9' } }
            @{ Case = 'a negative -RefreshMargin'; ErrorId = 'InvalidParameter'; Run = { & $sign -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -RefreshMargin '-00:01:00' } }
            @{ Case = '-Environment QA against ITWIN_AUTHORITY'; ErrorId = 'InvalidParameter'; Run = {
                    $env:ITWIN_CLIENT_ID = $app.ClientId; $env:ITWIN_CLIENT_SECRET = $app.Secret; $env:ITWIN_AUTHORITY = $hosts.Authority
                    try { & $sign -Environment QA } finally { Remove-Item Env:ITWIN_CLIENT_ID, Env:ITWIN_CLIENT_SECRET, Env:ITWIN_AUTHORITY } } }
            @{ Case = '-Scope openid (it needs a user)'; ErrorId = 'ScopeNotAllowed'; Run = { & $sign -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -Scope openid } }
            @{ Case = '-Authority that is not a URI'; ErrorId = 'InvalidUri'; Run = { & $sign -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority 'ims.bentley' -ApiBaseUri $hosts.ApiBaseUri } }
            @{ Case = '-ApiBaseUri on plain http off loopback'; ErrorId = 'InsecureUri'; Run = { & $sign -ClientId $app.ClientId -ClientSecret $app.SecureSecret -Authority $hosts.Authority -ApiBaseUri 'http://api.example.com' } }
            # -ShareToken shares through the vault the secret came from: these sets have none, and name none (-ShareTokenVault).
            @{ Case = '-ShareToken with -ClientSecret'; ErrorId = 'InvalidParameter'; Run = { & $sign -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -ShareToken } }
            @{ Case = '-ShareToken with -Credential'; ErrorId = 'InvalidParameter'; Run = { & $sign -Credential ([pscredential]::new($app.ClientId, $app.SecureSecret)) @hosts -ShareToken } }
            @{ Case = '-ShareToken with the environment variables'; ErrorId = 'InvalidParameter'; Run = {
                    $env:ITWIN_CLIENT_ID = $app.ClientId; $env:ITWIN_CLIENT_SECRET = $app.Secret
                    try { & $sign @hosts -ShareToken } finally { Remove-Item Env:ITWIN_CLIENT_ID, Env:ITWIN_CLIENT_SECRET } } }
            @{ Case = '-ShareTokenVault that is blank'; ErrorId = 'InvalidParameter'; Run = { & $sign -ClientId $app.ClientId -ClientSecret $app.SecureSecret @hosts -ShareTokenVault ' ' } }
        ) {
            Assert-Refused ([scriptblock]::Create("`$sign = '$Sign'`n$Run")) $ErrorId | Out-Null
        }

        It 'no credential anywhere and no connection: NoCredentials' {
            Disconnect-ITwin
            Assert-Refused ([scriptblock]::Create("& '$Sign' @hosts")) 'NoCredentials' | Out-Null
        }
    }

    It 'Invoke-ITwinRequest <Case>: <ErrorId>' -ForEach @(
        @{ Case = '-Raw with -AsHashtable'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /users/me -Raw -AsHashtable } }
        @{ Case = '-OutFile with -All'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /itwins -All -OutFile (Join-Path $TestDrive 'a.json') } }
        @{ Case = '-OutFile with -First'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /itwins -First 2 -OutFile (Join-Path $TestDrive 'a.json') } }
        @{ Case = '-OutFile with -Skip'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /itwins -Skip 2 -OutFile (Join-Path $TestDrive 'a.json') } }
        @{ Case = '-OutFile with -IncludeTotalCount'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /itwins -IncludeTotalCount -OutFile (Join-Path $TestDrive 'a.json') } }
        @{ Case = '-OutFile with -Raw'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /users/me -Raw -OutFile (Join-Path $TestDrive 'a.json') } }
        @{ Case = '-OutFile with -AsHashtable'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /users/me -AsHashtable -OutFile (Join-Path $TestDrive 'a.json') } }
        @{ Case = '-OutFile with -Unwrap'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /users/me -Unwrap -OutFile (Join-Path $TestDrive 'a.json') } }
        @{ Case = '-Unwrap with -All'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /itwins -All -Unwrap } }
        @{ Case = '-ContentType without -Body (it would describe nothing)'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest -Method Post /_emulator/echo -ContentType 'text/plain' -Confirm:$false } }
        @{ Case = '-Unwrap with -First'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /itwins -First 2 -Unwrap } }
        @{ Case = '-Unwrap with -Skip'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /itwins -Skip 3 -Unwrap } }
        @{ Case = '-Unwrap with -IncludeTotalCount'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /itwins -IncludeTotalCount -Unwrap } }
        @{ Case = 'an -ApiVersion that is no version'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /users/me -ApiVersion 'v1+json; x' } }
        @{ Case = 'a -ContentType that is no media type'; ErrorId = 'InvalidParameter'; Run = { Invoke-ITwinRequest /itwins -Method Post -Body '{}' -ContentType 'not a type' } }
        @{ Case = '-OutFile in a folder that does not exist'; ErrorId = 'OutFileFailed'; Run = { Invoke-ITwinRequest /users/me -OutFile (Join-Path $TestDrive 'missing/a.json') } }
        @{ Case = '-Headers with Authorization'; ErrorId = 'HeaderNotAllowed'; Run = { Invoke-ITwinRequest /users/me -Headers @{ Authorization = 'Bearer x' } } }
        @{ Case = '-Headers with a line break'; ErrorId = 'InvalidHeaderValue'; Run = { Invoke-ITwinRequest /users/me -Headers @{ 'X-Note' = "a`r`nX-Evil: 1" } } }
        @{ Case = '-Query with a hashtable value'; ErrorId = 'InvalidQuery'; Run = { Invoke-ITwinRequest /itwins -Query @{ filter = @{ a = 1 } } } }
        @{ Case = '-Body with a SecureString'; ErrorId = 'BodySerializationFailed'; Run = { Invoke-ITwinRequest /itwins -Method Post -Body @{ secret = $app.SecureSecret } } }
        @{ Case = '-Uri on another host'; ErrorId = 'ForeignHostRefused'; Run = { Invoke-ITwinRequest 'http://127.0.0.2:9/users/me' } }
        @{ Case = '-Uri that is no path'; ErrorId = 'InvalidPath'; Run = { Invoke-ITwinRequest '\\host\share' } }
        @{ Case = '-Token with -ApiBaseUri on plain http off loopback'; ErrorId = 'InsecureUri'; Run = { Invoke-ITwinRequest /users/me -Token $token -ApiBaseUri 'http://api.example.com' } }
    ) {
        Assert-Refused $Run $ErrorId | Out-Null
        Get-ChildItem $TestDrive -Recurse -File | Should -BeNullOrEmpty -Because 'no file is written'
    }

    It 'Get-ITwinMe <Case>: <ErrorId>' -ForEach @(
        @{ Case = '-Token with -ApiBaseUri on plain http off loopback'; ErrorId = 'InsecureUri'; Run = { Get-ITwinMe -Token $token -ApiBaseUri 'http://api.example.com' } }
        @{ Case = '-Token with an -ApiBaseUri that is not a URI'; ErrorId = 'InvalidUri'; Run = { Get-ITwinMe -Token $token -ApiBaseUri 'api.bentley' } }
    ) {
        Assert-Refused $Run $ErrorId | Out-Null
    }

    It '<_> with no connection, no -Connection and no -Token: NoConnection' -ForEach 'Invoke-ITwinRequest /users/me', 'Get-ITwinMe' {
        Disconnect-ITwin
        Assert-Refused ([scriptblock]::Create($_)) 'NoConnection' | Out-Null
    }
}
