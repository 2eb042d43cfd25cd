# Issue: the PowerShell experience. Help (and every example in it, run against the emulator),
# format views, OutputType, completion, and the manifest.
BeforeDiscovery {
    Import-Module $env:ITWINAUTH_MODULE -Force
    $cmdlets = @((Get-Module ITwinAuth).ExportedCmdlets.Keys | Sort-Object)
    $examples = foreach ($name in $cmdlets) {
        $number = 0
        foreach ($example in (Get-Help $name).Examples.Example) {
            $number++
            @{ Cmdlet = $name; Number = $number; Title = ($example.title -replace '-{3,}', '').Trim(); Code = $example.code }
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator
    $moduleInfo = Get-Module ITwinAuth
    $manifestPath = $env:ITWINAUTH_MODULE
    $savedModulePath = $env:PSModulePath
    $env:PSModulePath = (Resolve-Path (Join-Path $PSScriptRoot '../SecretManagement')).Path + [IO.Path]::PathSeparator + $env:PSModulePath

    # The parameter sets the calls of a cmdlet in an example bind to, chosen as the binder would from
    # the parameters named (aliases resolved), positional values and pipeline input: the sets that hold
    # every parameter given and have each mandatory one, the default set when several remain.
    function Get-ExampleParameterSet([string] $Cmdlet, [string] $Code) {
        $command = Get-Command $Cmdlet
        $ast = [Management.Automation.Language.Parser]::ParseInput($Code, [ref]$null, [ref]$null)
        $calls = $ast.FindAll({ param($node) $node -is [Management.Automation.Language.CommandAst] -and $node.GetCommandName() -eq $Cmdlet }, $true)
        foreach ($call in $calls) {
            $given = [Collections.Generic.List[string]]::new()
            $positional = 0
            $elements = $call.CommandElements
            for ($i = 1; $i -lt $elements.Count; $i++) {
                if ($elements[$i] -isnot [Management.Automation.Language.CommandParameterAst]) {
                    if (-not ($elements[$i] -is [Management.Automation.Language.VariableExpressionAst] -and $elements[$i].Splatted)) { $positional++ }
                    continue
                }
                $name = $elements[$i].ParameterName
                $parameter = $command.Parameters.Values | Where-Object { $_.Name -eq $name -or $_.Aliases -contains $name } | Select-Object -First 1
                if (-not $parameter) { continue }
                $given.Add($parameter.Name)
                if ($parameter.ParameterType -ne [switch] -and -not $elements[$i].Argument) { $i++ }
            }
            $piped = $call.Parent -is [Management.Automation.Language.PipelineAst] -and $call.Parent.PipelineElements.IndexOf($call) -gt 0
            $fits = @($command.ParameterSets | Where-Object {
                    $set = $_
                    $names = @($set.Parameters.Name)
                    $positions = @($set.Parameters | Where-Object Position -ge 0)
                    $bound = @($given) + @($positions | Select-Object -First $positional | ForEach-Object Name)
                    -not ($given | Where-Object { $_ -notin $names }) -and $positional -le $positions.Count -and
                    -not ($set.Parameters | Where-Object { $_.IsMandatory -and $_.Name -notin $bound -and -not ($piped -and ($_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName)) })
                })
            if ($fits.Count -gt 1 -and $command.DefaultParameterSet -in $fits.Name) { $command.DefaultParameterSet } else { $fits.Name }
        }
    }
}
AfterAll {
    $env:PSModulePath = $savedModulePath
    Remove-Item Env:ITWIN_CLIENT_ID, Env:ITWIN_CLIENT_SECRET -ErrorAction Ignore
    Stop-ITwinEmulator -Emulator $emulator
}

Describe 'Help' -Tag Experience {
    It '<_> has a synopsis, a description, documented parameters and at least two examples' -ForEach $cmdlets {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$_\s*\[" -Because 'a generated synopsis would be the syntax'
        ($help.Description.Text -join '') | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        foreach ($parameter in (Get-Command $_).Parameters.Values | Where-Object Name -notin $common) {
            $documented = $help.Parameters.Parameter | Where-Object Name -eq $parameter.Name
            $documented | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) must be documented"
            ($documented.Description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) needs a description"
            $documented.Type.Name | Should -Not -BeNullOrEmpty
        }
    }

    It '<_> shows real type names (no Nullable wrapper), an online URI, and example headers of one width' -ForEach $cmdlets {
        $full = Get-Help $_ -Full | Out-String -Width 300
        $full | Should -Not -Match 'Nullable'
        $help = Get-Help $_
        @($help.relatedLinks.navigationLink)[0].uri | Should -Be "https://github.com/itwinauth/ITwinAuth/blob/main/docs/$_.md"
        $titles = @($help.Examples.Example.title)
        $titles | ForEach-Object { $_ | Should -Match '^-{10} Example \d+: ' }
        @($titles | Where-Object Length -le 100 | ForEach-Object Length | Sort-Object -Unique).Count | Should -Be 1
    }

    It 'shows -Environment, -RefreshMargin and -Prefer with their own types' {
        (Get-Help Get-ITwinServiceToken -Full | Out-String -Width 300) | Should -Match '-Environment <ITwinEnvironment>'
        (Get-Help Get-ITwinServiceToken -Full | Out-String -Width 300) | Should -Match '-RefreshMargin <TimeSpan>'
        (Get-Help Invoke-ITwinRequest -Full | Out-String -Width 300) | Should -Match '-Prefer <\w+>'
    }

    It '<_>: a parameter positional in its syntax gives that position in its own block' -ForEach $cmdlets {
        $help = Get-Help $_ -Full
        foreach ($parameter in (Get-Command $_).Parameters.Values) {
            $positions = @($parameter.ParameterSets.Values.Position | Where-Object { $_ -ge 0 })
            if (-not $positions) { continue }
            ($help.Parameters.Parameter | Where-Object Name -eq $parameter.Name).Position | Should -Be ([string]$positions[0]) -Because "-$($parameter.Name) is positional"
        }
    }

    It 'describes -ApiBaseUri in the same words on every cmdlet that has it: the API host the token is for' {
        $first = foreach ($name in (Get-Command -Module ITwinAuth).Name | Where-Object { (Get-Command $_).Parameters.ContainsKey('ApiBaseUri') }) {
            $text = ((Get-Help $name -Parameter ApiBaseUri).Description.Text -join ' ') -replace '\s+', ' '
            "$name`: $(($text -split '(?<=\.) ')[0])"
        }
        @($first).Count | Should -Be 4
        $first | ForEach-Object { ($_ -split ': ', 2)[1] } | Sort-Object -Unique |
            Should -Be 'The API host the token is for: requests go there, and the token is sent to no other host.' -Because ($first -join "`n")
    }

    It '<_>: its examples together use every parameter set' -ForEach $cmdlets {
        $cmdlet = $_
        $used = foreach ($example in (Get-Help $cmdlet).Examples.Example) { Get-ExampleParameterSet $cmdlet $example.code }
        @($used | Sort-Object -Unique) | Should -Be @((Get-Command $cmdlet).ParameterSets.Name | Sort-Object)
    }

    It 'has an about_ITwinAuth topic explaining connections, the cache, credential sources, environments, paging and retries' {
        $about = Get-Help about_ITwinAuth | Out-String
        foreach ($topic in 'Connections', 'token cache', 'Credential sources', 'Environments', 'Paging and retries') {
            $about | Should -Match $topic
        }
    }
}

Describe 'Every help example runs against the emulator' -Tag Experience, Examples {
    BeforeAll {
        # The vocabulary the examples use: an app service-abc123 with $secret/$credential, a vault
        # ITwin holding my-service-app, environment variables, an iTwin id, and the emulator's hosts.
        Register-EmulatorApp -Emulator $emulator -ClientId 'service-abc123' -ClientSecret 'example-secret-1' | Out-Null
        $secret = ConvertTo-SecureString 'example-secret-1' -AsPlainText -Force
        $credential = [pscredential]::new('service-abc123', $secret)
        Register-SecretVault -Name ITwin -DefaultVault
        Set-Secret -Vault ITwin -Name my-service-app -Secret $credential
        $env:ITWIN_CLIENT_ID = 'service-abc123'
        $env:ITWIN_CLIENT_SECRET = 'example-secret-1'
        $PSDefaultParameterValues['Get-ITwinServiceToken:Authority'] = $emulator.Authority
        $PSDefaultParameterValues['Get-ITwinServiceToken:ApiBaseUri'] = $emulator.ApiBaseUri
        $PSDefaultParameterValues['Connect-ITwin:Authority'] = $emulator.Authority
        $PSDefaultParameterValues['Connect-ITwin:ApiBaseUri'] = $emulator.ApiBaseUri
        Get-ITwinServiceToken -Credential $credential | Out-Null
        $iTwinId = (Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 1 }).iTwins[0].id
    }
    AfterAll { $PSDefaultParameterValues.Clear() }

    It '<Cmdlet> example <Number> (<Title>) runs without an error' -ForEach $examples {
        # Under Stop, any error the example does not handle itself ends it.
        $ErrorActionPreference = 'Stop'
        if ($Code -match '-WhatIf\b') {
            # -WhatIf writes to the host, not to a stream: run it in a runspace of its own with no host,
            # so the test output has no stray "What if:" line. Tokens and connections are per process.
            $runspace = [powershell]::Create()
            try {
                foreach ($name in 'secret', 'credential', 'iTwinId', 'PSDefaultParameterValues') {
                    $runspace.Runspace.SessionStateProxy.SetVariable($name, (Get-Variable $name -ValueOnly))
                }
                $null = $runspace.AddScript("Import-Module '$env:ITWINAUTH_MODULE'; `$ErrorActionPreference = 'Stop'`n$Code")
                $output = try { $runspace.Invoke() | Out-String -Width 200 } catch { "UNHANDLED: $_" }
                if ($runspace.HadErrors) { $output += "UNHANDLED: $($runspace.Streams.Error)" }
            }
            finally { $runspace.Dispose() }
        }
        else {
            $output = try { & ([scriptblock]::Create($Code)) *>&1 | Out-String -Width 200 } catch { "UNHANDLED: $_" }
        }
        $output | Should -Not -Match 'UNHANDLED|Exception' -Because $output
    }
}

Describe 'Typed output and views' -Tag Experience {
    It '<Cmdlet> declares the types it writes' -ForEach @(
        @{ Cmdlet = 'Get-ITwinServiceToken'; Types = 'ITwinAuth.ITwinAccessToken' }
        @{ Cmdlet = 'Get-ITwinConnection'; Types = 'ITwinAuth.ITwinConnection' }
        @{ Cmdlet = 'Get-ITwinMe'; Types = 'ITwinAuth.ITwinUser' }
        @{ Cmdlet = 'Invoke-ITwinRequest'; Types = 'System.Management.Automation.PSObject', 'System.Collections.Hashtable', 'System.String' }
        @{ Cmdlet = 'Clear-ITwinTokenCache'; Types = @() }
        @{ Cmdlet = 'Connect-ITwin'; Types = 'ITwinAuth.ITwinConnection' }
        @{ Cmdlet = 'Disconnect-ITwin'; Types = @() }
    ) {
        @((Get-Command $Cmdlet).OutputType.Name | Where-Object { $_ -ne 'System.Void' } | Sort-Object) | Should -Be @($Types | Sort-Object)
        (Get-Command -Module ITwinAuth).Count | Should -Be 7 -Because 'every cmdlet is listed here'
    }

    It 'has a format view for <_>, and Format-List * shows every public property of it' -ForEach @('ITwinAuth.ITwinAccessToken', 'ITwinAuth.ITwinConnection', 'ITwinAuth.ITwinUser') {
        Get-FormatData -TypeName $_ | Should -Not -BeNullOrEmpty
        $type = $_ -as [type]
        $type | Should -Not -BeNullOrEmpty -Because 'the type must be usable by name in scripts'
        $app = New-TestApp -Emulator $emulator
        $token = Connect-TestApp -Emulator $emulator -App $app
        $instance = switch ($_) { 'ITwinAuth.ITwinAccessToken' { $token } 'ITwinAuth.ITwinConnection' { Get-ITwinConnection } default { Get-ITwinMe } }
        $listed = ($instance | Format-List * | Out-String -Width 500) -split "`n" | ForEach-Object { ($_ -split ':', 2)[0].Trim() } | Where-Object { $_ }
        foreach ($property in $type.GetProperties().Where({ $_.GetMethod.IsPublic }).Name) { $listed | Should -Contain $property }
    }

    It 'shows short views to people and full, well-named properties to scripts' {
        $app = New-TestApp -Emulator $emulator
        $token = Connect-TestApp -Emulator $emulator -App $app
        ($token | Out-String) | Should -Match 'ClientId\s+Scopes\s+ExpiresOn\s+FromCache'
        ($token | Get-Member -MemberType Property).Name | Should -Be @('ApiBaseUri', 'Authority', 'Claims', 'ClientId', 'ExpiresIn', 'ExpiresOn', 'FromCache', 'FromSharedCache', 'IssuedOn', 'Scopes', 'Token', 'TokenType')
        (Get-ITwinConnection | Out-String -Width 250) | Should -Match 'ClientId\s+ApiBaseUri\s+Scopes\s+CredentialSource\s+TokenExpiresOn'
        (Get-ITwinMe | Out-String) | Should -Match 'Email\s+:\s+service-'
        (Get-ITwinMe | Format-List * | Out-String) | Should -Match 'AlternateEmail'
    }

    It 'shows every date as yyyy-MM-dd HH:mm:ssZ (UTC) and durations in whole seconds, in every view' {
        $app = New-TestApp -Emulator $emulator
        $token = Connect-TestApp -Emulator $emulator -App $app -With @{ Force = $true }
        $utc = '\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ'
        $expires = $token.ExpiresOn.UtcDateTime.ToString('yyyy-MM-dd HH:mm:ss\Z', [cultureinfo]::InvariantCulture)
        ($token | Out-String) | Should -Match ([regex]::Escape($expires))
        $list = $token | Format-List | Out-String
        $list | Should -Match "ExpiresOn\s+:\s+$([regex]::Escape($expires))"
        $list | Should -Match "IssuedOn\s+:\s+$utc"
        $list | Should -Match 'ExpiresIn\s+:\s+\d\d:\d\d:\d\d\s*$|ExpiresIn\s+:\s+\d\d:\d\d:\d\d\r?\n'
        $list | Should -Not -Match '\d\d:\d\d:\d\d\.\d'
        (Get-ITwinConnection | Out-String -Width 250) | Should -Match ([regex]::Escape($expires))
        (Get-ITwinConnection | Format-List | Out-String) | Should -Match "TokenExpiresOn\s+:\s+$([regex]::Escape($expires))"
        (Get-ITwinMe | Out-String) | Should -Match "CreatedDateTime\s+:\s+$utc"
        # One format in the format file: no other date pattern, no local time.
        $formatFile = Get-Content (Join-Path (Split-Path $env:ITWINAUTH_MODULE) 'ITwinAuth.Format.ps1xml') -Raw
        [regex]::Matches($formatFile, "ToString\('([^']*)'").Groups.Where({ $_.Name -eq '1' }).Value | Sort-Object -Unique | Should -Be 'yyyy-MM-dd HH:mm:ss\Z'
        $formatFile | Should -Not -Match 'ToLocalTime'
    }
}

Describe 'Preferences' -Tag Experience {
    It 'honours $VerbosePreference and $DebugPreference set in the caller''s scope, as well as -Verbose' {
        $app = New-TestApp -Emulator $emulator
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
        function Test-InFunctionScope {
            $VerbosePreference = 'Continue'
            $DebugPreference = 'Continue'
            @(& { Invoke-ITwinRequest -Path /users/me } *>&1)
        }
        $records = Test-InFunctionScope
        @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -BeGreaterThan 0
        @($records | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Count | Should -BeGreaterThan 0
        @(Invoke-ITwinRequest -Path /users/me *>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -Be 0
        @(Invoke-ITwinRequest -Path /users/me -Verbose *>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -BeGreaterThan 0
    }
}

Describe 'Completion' -Tag Experience {
    It 'completes -Scope with the known iTwin scopes' {
        $line = 'Get-ITwinServiceToken -Scope itw'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('itwin-platform', 'itwins:read', 'itwins:modify')
    }

    It 'completes -Path with the iTwin API roots' {
        $line = 'Invoke-ITwinRequest -Path /us'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('/users/me', '/users', "'/users/{id}'")
    }

    It 'completes -Uri by name, by its alias -Path and by position' {
        foreach ($line in 'Invoke-ITwinRequest -Uri /itwins/fav', 'Invoke-ITwinRequest -Path /itwins/fav', 'Invoke-ITwinRequest /itwins/fav') {
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('/itwins/favorites') -Because $line
        }
    }

    It 'completes -Authority and -ApiBaseUri with the deployments'' hosts, the current connection''s first, by URI or host' {
        $app = New-TestApp -Emulator $emulator
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
        foreach ($command in 'Connect-ITwin', 'Get-ITwinServiceToken') {
            $line = "$command -Authority qa"
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('https://qa-ims.bentley.com')
            $line = "$command -ApiBaseUri https://"
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('https://api.bentley.com', 'https://qa-api.bentley.com', 'https://dev-api.bentley.com')
            $line = "$command -ApiBaseUri "
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Select-Object -First 1 | Should -Be $emulator.ApiBaseUri
        }
        foreach ($line in 'Get-ITwinMe -Token $t -ApiBaseUri dev', 'Invoke-ITwinRequest /users/me -Token $t -ApiBaseUri dev') {
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('https://dev-api.bentley.com') -Because $line
        }
    }

    It 'completes -Environment from its enum on both sign-in cmdlets' {
        foreach ($command in 'Connect-ITwin', 'Get-ITwinServiceToken') {
            $line = "$command -Environment "
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Sort-Object | Should -Be @('Dev', 'Production', 'QA')
        }
    }

    It 'completes -Method and -Prefer from their enums' {
        $line = 'Invoke-ITwinRequest -Path /users/me -Method P'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Sort-Object | Should -Be @('Patch', 'Post', 'Put')
        $line = 'Invoke-ITwinRequest -Path /itwins -Prefer '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Sort-Object | Should -Be @('Minimal', 'Representation')
    }
}

Describe 'Manifest' -Tag Experience, Manifest {
    BeforeAll { $data = Import-PowerShellDataFile $manifestPath }

    It 'passes Test-ModuleManifest' {
        { Test-ModuleManifest -Path $manifestPath -ErrorAction Stop } | Should -Not -Throw
    }

    It 'is complete for a gallery' {
        $data.ModuleVersion | Should -Match '^\d+\.\d+\.\d+$'
        $data.GUID | Should -Not -BeNullOrEmpty
        $data.Author | Should -Not -BeNullOrEmpty
        $data.CompanyName | Should -Not -BeNullOrEmpty
        $data.Copyright | Should -Not -BeNullOrEmpty
        $data.Description | Should -Not -BeNullOrEmpty
        $data.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $data.PowerShellVersion | Should -Be '5.1'
        $data.FormatsToProcess | Should -Be @('ITwinAuth.Format.ps1xml', 'ITwinAuth.Api.Format.ps1xml')
        foreach ($tag in 'iTwin', 'Bentley', 'OAuth', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS') {
            $data.PrivateData.PSData.Tags | Should -Contain $tag
        }
        $data.PrivateData.PSData.LicenseUri | Should -Not -BeNullOrEmpty
        $data.PrivateData.PSData.ProjectUri | Should -Not -BeNullOrEmpty
    }

    It 'exports exactly its cmdlets, with no wildcards and no functions, variables or aliases' {
        $data.CmdletsToExport | Should -Not -Contain '*'
        @($data.CmdletsToExport | Sort-Object) | Should -Be @($moduleInfo.ExportedCmdlets.Keys | Sort-Object)
        $data.FunctionsToExport | Should -BeNullOrEmpty
        $data.VariablesToExport | Should -BeNullOrEmpty
        $data.AliasesToExport | Should -BeNullOrEmpty
    }

    It 'carries the CHANGELOG section of its version as release notes' {
        $changelog = Get-Content (Join-Path $PSScriptRoot '../../CHANGELOG.md') -Raw
        $changelog | Should -Match "## $([regex]::Escape($data.ModuleVersion))"
        $data.PrivateData.PSData.ReleaseNotes | Should -Match 'Get-ITwinServiceToken'
        $data.PrivateData.PSData.ReleaseNotes | Should -Not -Be 'See CHANGELOG.md.'
    }

    It 'gives its version to both builds of the assemblies' {
        $root = Split-Path $manifestPath
        foreach ($dll in Get-ChildItem (Join-Path $root 'bin') -Recurse -Filter 'ITwinAuth*.dll') {
            [Diagnostics.FileVersionInfo]::GetVersionInfo($dll.FullName).ProductVersion | Should -BeLike "$($data.ModuleVersion)*" -Because $dll.FullName
        }
    }
}
