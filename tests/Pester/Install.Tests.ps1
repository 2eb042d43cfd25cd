# Issue: Install-Module works. The gallery package, installing it into a clean module path with
# both PSResourceGet and PowerShellGet, dependency isolation, module removal, a user's pipeline
# tests, and non-interactive hosts.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator
    $app = New-TestApp -Emulator $emulator
    $moduleRoot = Split-Path $env:ITWINAUTH_MODULE
    $output = $env:ITWINAUTH_OUTPUT
    $version = (Import-PowerShellDataFile $env:ITWINAUTH_MODULE).ModuleVersion
    $package = Join-Path $output "ITwinAuth.$version.nupkg"
    $repoRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $signIn = @{
        ITWIN_CLIENT_ID = $app.ClientId; ITWIN_CLIENT_SECRET = $app.Secret
        ITWIN_AUTHORITY = $emulator.Authority; ITWIN_API_BASE_URI = $emulator.ApiBaseUri
    }

    function Get-AssemblyReference([string] $Path, [switch] $WithVersion) {
        $stream = [IO.File]::OpenRead($Path)
        try {
            $reader = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader([System.Reflection.PortableExecutable.PEReader]::new($stream))
            foreach ($handle in $reader.AssemblyReferences) {
                $reference = $reader.GetAssemblyReference($handle)
                if ($WithVersion) { [pscustomobject]@{ Name = $reader.GetString($reference.Name); Version = $reference.Version } }
                else { $reader.GetString($reference.Name) }
            }
        }
        finally { $stream.Dispose() }
    }
}
AfterAll { Stop-ITwinEmulator -Emulator $emulator }

Describe 'The gallery package' -Tag Install {
    It 'exists as output/ITwinAuth.<version>.nupkg' {
        $package | Should -Exist
    }

    It 'carries what the module needs and nothing else' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($package)
        try {
            $entries = @($zip.Entries.FullName | Sort-Object)
            $reader = [IO.StreamReader]::new($zip.GetEntry('ITwinAuth.psm1').Open())
            try { $psm1 = $reader.ReadToEnd() } finally { $reader.Dispose() }
        }
        finally { $zip.Dispose() }
        $packaging = $entries | Where-Object { $_ -match '^(_rels/|\[Content_Types\]\.xml$|package/services/|ITwinAuth\.nuspec$)' }
        $content = $entries | Where-Object { $_ -notin $packaging }
        $expected = @(
            'ITwinAuth.psd1', 'ITwinAuth.psm1', 'ITwinAuth.Format.ps1xml', 'ITwinAuth.Api.Format.ps1xml', 'LICENSE',
            'en-US/ITwinAuth.dll-Help.xml', 'en-US/about_ITwinAuth.help.txt',
            'bin/net6.0/ITwinAuth.dll', 'bin/net6.0/ITwinAuth.Core.dll',
            'bin/netstandard2.0/ITwinAuth.dll', 'bin/netstandard2.0/ITwinAuth.Core.dll'
        ) + @('Microsoft.Bcl.AsyncInterfaces', 'System.Buffers', 'System.IO.Pipelines', 'System.Memory', 'System.Numerics.Vectors',
            'System.Runtime.CompilerServices.Unsafe', 'System.Text.Encodings.Web', 'System.Text.Json',
            'System.Threading.Tasks.Extensions' | ForEach-Object { "bin/netstandard2.0/dependencies/$_.dll" })
        @($content | Sort-Object) | Should -Be @($expected | Sort-Object)
        $entries | Where-Object { $_ -match 'test|emulator|pester|secretmanagement|build|\.pdb$|\.cs$' } | Should -BeNullOrEmpty
        # The build it loads depends on the PowerShell alone: no environment variable (no test switch) moves it.
        $psm1 | Should -Not -Match '\$env:|GetEnvironmentVariable'
    }

    It 'installs with <Tool> into a clean module path, imports by name in a fresh pwsh and runs the tutorial' -ForEach @(
        @{ Tool = 'PSResourceGet'; Install = 'Register-PSResourceRepository -Name Local -Uri $repo -Trusted; Install-PSResource ITwinAuth -Repository Local -Scope CurrentUser' }
        @{ Tool = 'PowerShellGet'; Install = 'Register-PSRepository -Name Local -SourceLocation $repo -InstallationPolicy Trusted; Install-Module ITwinAuth -Repository Local -Scope CurrentUser' }
    ) {
        $isolatedHome = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-home-$Tool-$PID"
        $repo = Join-Path $isolatedHome 'repository'
        New-Item -ItemType Directory -Path $repo -Force | Out-Null
        Copy-Item $package $repo
        $userModules = Join-Path $isolatedHome '.local/share/powershell/Modules'
        $environment = @{ HOME = $isolatedHome; PSModulePath = ''; XDG_DATA_HOME = ''; XDG_CONFIG_HOME = ''; XDG_CACHE_HOME = '' }
        try {
            $install = Invoke-ChildPwsh -Environment $environment -ArgumentList @('-NoProfile', '-NonInteractive', '-Command',
                "`$ErrorActionPreference = 'Stop'; `$repo = '$repo'; $Install")
            $install.ExitCode | Should -Be 0 -Because $install.Output
            Join-Path $userModules "ITwinAuth/$version/ITwinAuth.psd1" | Should -Exist

            $run = Invoke-ChildPwsh -Environment ($environment + $signIn) -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', @'
$ErrorActionPreference = 'Stop'
if ($env:PSModulePath -match [regex]::Escape('REPOROOT')) { throw "The build tree is on PSModulePath: $env:PSModulePath" }
Import-Module ITwinAuth
"BASE=$((Get-Module ITwinAuth).ModuleBase)"
Get-ITwinServiceToken | Out-Null
"EMAIL=$((Get-ITwinMe).Email)"
'@.Replace('REPOROOT', $repoRoot))
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $run.Output | Should -Match ([regex]::Escape("BASE=$userModules"))
            $run.Output | Should -Match ([regex]::Escape("EMAIL=$($app.ClientId)@apps.imsoidc.bentley.com"))
        }
        finally { Remove-Item $isolatedHome -Recurse -Force -ErrorAction Ignore }
    }

    It 'works without SecretManagement: credential, direct and environment sources need nothing else' {
        $run = Invoke-ChildPwsh -Environment $signIn -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', @"
`$ErrorActionPreference = 'Stop'
Import-Module '$env:ITWINAUTH_MODULE'
if (Get-Module -ListAvailable Microsoft.PowerShell.SecretManagement) { throw 'SecretManagement is installed here' }
Get-ITwinServiceToken | Out-Null
Get-ITwinServiceToken -Credential ([pscredential]::new('$($app.ClientId)', (ConvertTo-SecureString `$env:ITWIN_CLIENT_SECRET -AsPlainText -Force))) -Authority `$env:ITWIN_AUTHORITY -ApiBaseUri `$env:ITWIN_API_BASE_URI | Out-Null
"EMAIL=`$((Get-ITwinMe).Email)"
"@)
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match "EMAIL=$($app.ClientId)@"
    }
}

Describe 'Dependency isolation' -Tag Install, Isolation {
    It 'the PowerShell 7 build ships no third-party assembly and references only the runtime' {
        $net = Join-Path $moduleRoot 'bin/net6.0'
        @(Get-ChildItem $net -Recurse -File).Name | Sort-Object | Should -Be @('ITwinAuth.Core.dll', 'ITwinAuth.dll')
        $runtime = [System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()
        foreach ($dll in 'ITwinAuth.dll', 'ITwinAuth.Core.dll') {
            foreach ($reference in Get-AssemblyReference (Join-Path $net $dll)) {
                if ($reference -in 'ITwinAuth.Core', 'System.Management.Automation') { continue }
                Join-Path $runtime "$reference.dll" | Should -Exist -Because "$dll references $reference, which is not part of the .NET runtime and would have to be isolated"
            }
        }
    }

    It 'the Windows PowerShell build keeps its dependencies out of the cmdlet assembly and in the private folder' {
        $bin = Join-Path $moduleRoot 'bin/netstandard2.0'
        $isolated = @(Get-ChildItem (Join-Path $bin 'dependencies') -Filter *.dll).BaseName
        $isolated | Should -Contain 'System.Text.Json'
        Get-AssemblyReference (Join-Path $bin 'ITwinAuth.dll') | Where-Object { $_ -in $isolated } | Should -BeNullOrEmpty -Because 'the cmdlet assembly must not bind to an isolated dependency'
        @(Get-ChildItem $bin -Filter *.dll).Name | Sort-Object | Should -Be @('ITwinAuth.Core.dll', 'ITwinAuth.dll') -Because 'a dependency next to the module would be found by probing, not by the resolve handler'
        foreach ($reference in Get-AssemblyReference (Join-Path $bin 'ITwinAuth.Core.dll')) {
            if ($reference -in 'netstandard', 'ITwinAuth') { continue }
            $reference | Should -BeIn $isolated -Because 'every dependency of the core must be shipped in the private folder'
        }
    }

    It 'the Windows PowerShell build ships a closure that agrees with itself: each reference names exactly the version shipped' {
        # .NET Framework has no binding redirects for a module: a mismatch would rely on the resolve
        # handler alone, and break wherever it does not answer.
        $bin = Join-Path $moduleRoot 'bin/netstandard2.0'
        $shipped = @{}
        foreach ($dll in Get-ChildItem (Join-Path $bin 'dependencies') -Filter *.dll) {
            $name = [Reflection.AssemblyName]::GetAssemblyName($dll.FullName)
            $shipped[$name.Name] = $name.Version
        }
        $mismatches = foreach ($dll in @(Get-ChildItem $bin -Filter *.dll) + @(Get-ChildItem (Join-Path $bin 'dependencies') -Filter *.dll)) {
            foreach ($reference in Get-AssemblyReference $dll.FullName -WithVersion) {
                if ($shipped.ContainsKey($reference.Name) -and $shipped[$reference.Name] -ne $reference.Version) {
                    "$($dll.Name) references $($reference.Name) $($reference.Version), $($shipped[$reference.Name]) is shipped"
                }
            }
        }
        $mismatches | Should -BeNullOrEmpty
    }

    It 'the Windows PowerShell build registers its resolve handler once on import and Remove-Module takes it away' -Tag DesktopOnly {
        # A fresh process with the netstandard2.0 build (the Desktop run's module is a test copy that loads it).
        # The runtime keeps AppDomain.AssemblyResolve's handlers in AssemblyLoadContext's private event.
        $run = Invoke-ChildPwsh -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', @"
`$ErrorActionPreference = 'Stop'
`$event = [Runtime.Loader.AssemblyLoadContext].GetField('AssemblyResolve', [Reflection.BindingFlags]'NonPublic,Static')
function Get-ITwinAuthHandler { @(`$event.GetValue(`$null)?.GetInvocationList() | Where-Object { `$_.Method.DeclaringType.Assembly.GetName().Name -like 'ITwinAuth*' }).Count }
"BEFORE=`$(Get-ITwinAuthHandler)"
Import-Module '$env:ITWINAUTH_MODULE'
"BUILD=`$([IO.Path]::GetFileName([IO.Path]::GetDirectoryName([ITwinAuth.ModuleInitializer].Assembly.Location)))"
"IMPORTED=`$(Get-ITwinAuthHandler)"
Import-Module '$env:ITWINAUTH_MODULE' -Force
"REIMPORTED=`$(Get-ITwinAuthHandler)"
Remove-Module ITwinAuth
"REMOVED=`$(Get-ITwinAuthHandler)"
"@)
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'BUILD=netstandard2.0'
        $run.Output | Should -Match 'BEFORE=0'
        $run.Output | Should -Match 'IMPORTED=1'
        $run.Output | Should -Match 'REIMPORTED=1'
        $run.Output | Should -Match 'REMOVED=0'
    }

    It 'another module carrying other versions of those assemblies works beside ITwinAuth, imported <Order>' -ForEach @(
        @{ Order = 'before ITwinAuth'; First = 'Clash'; Second = 'ITwinAuth' }
        @{ Order = 'after ITwinAuth'; First = 'ITwinAuth'; Second = 'Clash' }
    ) {
        $clash = Join-Path ([IO.Path]::GetTempPath()) "ClashModule-$PID"
        New-Item -ItemType Directory -Path $clash -Force | Out-Null
        $tools = Join-Path $output 'tools'
        foreach ($entry in @{ 'system.text.json' = '6.0.10'; 'microsoft.bcl.asyncinterfaces' = '6.0.0'; 'system.memory' = '4.5.4'; 'system.buffers' = '4.5.0'
                'system.runtime.compilerservices.unsafe' = '4.5.3'; 'system.text.encodings.web' = '6.0.0'; 'system.threading.tasks.extensions' = '4.5.2'; 'system.numerics.vectors' = '4.4.0' }.GetEnumerator()) {
            Copy-Item (Join-Path $tools "$($entry.Key)/$($entry.Value)/lib/netstandard2.0/*.dll") $clash
        }
        Set-Content (Join-Path $clash 'ClashModule.psm1') -Value @'
Get-ChildItem $PSScriptRoot -Filter *.dll | ForEach-Object { Add-Type -Path $_.FullName }
function Test-ClashModule {
    $document = [System.Text.Json.JsonDocument]::Parse('{"a":1}')
    $pool = [System.Buffers.ArrayPool[byte]]::Shared.Rent(16)
    "a=$($document.RootElement.GetProperty('a').GetInt32()) pool=$($pool.Length -ge 16)"
}
'@
        $import = @{ Clash = "Import-Module '$clash/ClashModule.psm1'"; ITwinAuth = "Import-Module '$env:ITWINAUTH_MODULE'" }
        $run = Invoke-ChildPwsh -Environment $signIn -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', @"
`$ErrorActionPreference = 'Stop'
$($import[$First])
$($import[$Second])
Get-ITwinServiceToken | Out-Null
"EMAIL=`$((Invoke-ITwinRequest -Path /users/me).user.email)"
"ITWINS=`$(@(Invoke-ITwinRequest -Path /itwins -Query @{ '`$top' = 5 } -First 7).Count)"
"CLASH=`$(Test-ClashModule)"
"@)
        Remove-Item $clash -Recurse -Force
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match "EMAIL=$($app.ClientId)@"
        $run.Output | Should -Match 'ITWINS=7'
        $run.Output | Should -Match 'CLASH=a=1 pool=True'
    }
}

Describe 'Module lifetime' -Tag Install {
    It 'Remove-Module releases the pooled connections, tokens and current connection; Import-Module -Force works again' {
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
        Get-ITwinMe | Out-Null
        $open = (Get-EmulatorStats $emulator).connectionsOpen
        $open | Should -BeGreaterThan 0
        Remove-Module ITwinAuth
        $deadline = [DateTime]::UtcNow.AddSeconds(5)
        while ((Get-EmulatorStats $emulator).connectionsOpen -ge $open -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        (Get-EmulatorStats $emulator).connectionsOpen | Should -BeLessThan $open
        Import-Module $env:ITWINAUTH_MODULE -Force
        Get-ITwinConnection | Should -BeNullOrEmpty
        (Connect-TestApp -Emulator $emulator -App $app).FromCache | Should -BeFalse -Because 'removing the module forgot the cached token'
        # -Force removes the module first, so it starts afresh once more.
        Import-Module $env:ITWINAUTH_MODULE -Force
        Get-ITwinConnection | Should -BeNullOrEmpty
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
        (Get-ITwinMe).Email | Should -BeLike "$($app.ClientId)@*"
    }
}

Describe 'In pipelines' -Tag Install, Pipeline {
    It 'runs the user-style examples/ITwinAuth.Pipeline.Tests.ps1 (sign-in from the environment, and mocks) against the emulator' {
        $pester = Join-Path $output 'tools/pester/5.7.1/tools/Pester.psd1'
        $example = Join-Path $repoRoot 'examples/ITwinAuth.Pipeline.Tests.ps1'
        $run = Invoke-ChildPwsh -Environment ($signIn + @{ PSModulePath = (Split-Path $moduleRoot -Parent | Split-Path -Parent); CI = 'true' }) -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$pester'; `$r = Invoke-Pester -Path '$example' -PassThru -Output Detailed; ""RESULT=`$(`$r.PassedCount)/`$(`$r.FailedCount)""; exit `$r.FailedCount")
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'RESULT=5/0'
    }

    It 'a failing script in pwsh -NonInteractive with CI=true exits non-zero at once, without a prompt' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $run = Invoke-ChildPwsh -Environment @{ CI = 'true'; ITWIN_CLIENT_ID = ''; ITWIN_CLIENT_SECRET = ''; ITP_SERVICE_CLIENT_ID = ''; ITP_SERVICE_CLIENT_SECRET = '' } -TimeoutSeconds 60 -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$env:ITWINAUTH_MODULE'; Get-ITwinServiceToken; Get-ITwinMe")
        $run.ExitCode | Should -Not -Be 0
        $run.Output | Should -Match 'No credentials were given'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 30
    }
}
