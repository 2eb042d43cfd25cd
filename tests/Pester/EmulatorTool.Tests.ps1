# Issue 16: the emulator as a tool users take home. Installed from its package (offline) as the .NET
# tool itwin-emulator: its command line, running in the background until stopped, and the pipeline
# example run against it. Also the README snippets the emulator answers.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $moduleRoot = Split-Path $env:ITWINAUTH_MODULE
    $output = Split-Path (Split-Path $moduleRoot)
    $version = (Import-PowerShellDataFile $env:ITWINAUTH_MODULE).ModuleVersion
    $toolPackage = Join-Path $output "ITwinAuth.Emulator.$version.nupkg"
    $repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $pester = Join-Path $output 'tools/pester/5.7.1/tools/Pester.psd1'

    # Offline: a NuGet config whose only source is the build's output folder.
    $toolRoot = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-tool-$PID"
    New-Item -ItemType Directory -Path $toolRoot -Force | Out-Null
    $config = Join-Path $toolRoot 'nuget.config'
    Set-Content $config "<configuration><packageSources><clear /><add key=`"build`" value=`"$output`" /></packageSources></configuration>"
    $toolPath = Join-Path $toolRoot 'bin'
    $install = & dotnet tool install --tool-path $toolPath --configfile $config ITwinAuth.Emulator --version $version 2>&1
    $installExit = $LASTEXITCODE
    $tool = Join-Path $toolPath 'itwin-emulator'

    # Starts the installed tool with stdin closed at once (as a background job or a CI step has it).
    function Start-Tool([string[]] $ArgumentList) { Start-ChildProcess -FilePath $tool -ArgumentList $ArgumentList }
    function Read-Line($Process) {
        $read = $Process.StandardOutput.ReadLineAsync()
        if (-not $read.Wait(60000)) { $Process.Kill($true); throw 'itwin-emulator printed nothing within 60 s.' }
        $read.Result
    }
    function Get-FreePort {
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop(); $port
    }
}
AfterAll { Remove-Item $toolRoot -Recurse -Force -ErrorAction Ignore }

Describe 'The itwin-emulator .NET tool' -Tag EmulatorTool {
    It 'is packed as output/ITwinAuth.Emulator.<version>.nupkg and installs offline with dotnet tool install' {
        $toolPackage | Should -Exist
        $installExit | Should -Be 0 -Because ($install -join "`n")
        $tool | Should -Exist
    }

    It '--help lists every option and exits 0' {
        $process = Start-Tool @('--help')
        $text = $process.StandardOutput.ReadToEnd()
        $process.WaitForExit(30000) | Should -BeTrue
        $process.ExitCode | Should -Be 0
        foreach ($option in '--ims-port', '--api-port', '--foreign-port', '--app', '--token-lifetime', '--itwins', '--env', '--stop-after', '--exit-on-stdin-close', '--verbose', '--help') {
            $text | Should -Match ([regex]::Escape($option))
        }
    }

    It 'refuses an unknown option with exit code 2 and a pointer to --help' {
        $process = Start-Tool @('--no-such-option')
        $process.WaitForExit(30000) | Should -BeTrue
        $process.ExitCode | Should -Be 2
        $process.StandardError.ReadToEnd() | Should -Match '--help'
    }

    It 'listens on the ports asked for, prints the ready line first and then the ITWIN_* settings, and serves with stdin closed until SIGTERM' {
        $ims, $api, $foreign = (Get-FreePort), (Get-FreePort), (Get-FreePort)
        $process = Start-Tool @('--ims-port', $ims, '--api-port', $api, '--foreign-port', $foreign, '--app', 'ci-app:ci-secret:itwin-platform', '--stop-after', '120')
        try {
            Read-Line $process | Should -Be "ITwinEmulator ready authority=http://127.0.0.1:$ims/ api=http://127.0.0.1:$api/ foreign=http://127.0.0.1:$foreign/"
            $settings = @(1..5 | ForEach-Object { Read-Line $process })
            $settings | Should -Be @(
                "export ITWIN_AUTHORITY='http://127.0.0.1:$ims'", "export ITWIN_API_BASE_URI='http://127.0.0.1:$api'",
                "export ITWIN_CLIENT_ID='ci-app'", "export ITWIN_CLIENT_SECRET='ci-secret'", "export ITWIN_SCOPE='itwin-platform'")
            # stdin is closed: it must still be serving, and sign-in with the seeded app works.
            $signedIn = Invoke-ChildPwsh -TimeoutSeconds 120 -Environment @{
                ITWIN_AUTHORITY = "http://127.0.0.1:$ims"; ITWIN_API_BASE_URI = "http://127.0.0.1:$api"; ITWIN_CLIENT_ID = 'ci-app'; ITWIN_CLIENT_SECRET = 'ci-secret'
            } -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', "`$ErrorActionPreference = 'Stop'; Import-Module '$env:ITWINAUTH_MODULE'; Get-ITwinServiceToken | Out-Null; ""EMAIL=`$((Get-ITwinMe).Email)""")
            $signedIn.Output | Should -Match 'EMAIL=ci-app@apps\.imsoidc\.bentley\.com' -Because $signedIn.Output
            $process.HasExited | Should -BeFalse
            & kill -s TERM $process.Id
            $process.WaitForExit(15000) | Should -BeTrue
            $process.ExitCode | Should -Be 0
        }
        finally { if (-not $process.HasExited) { $process.Kill($true) } }
    }

    It 'prints the settings in PowerShell form with --env pwsh' {
        $process = Start-Tool @('--env', 'pwsh', '--stop-after', '60')
        try {
            Read-Line $process | Should -Match '^ITwinEmulator ready authority=http://127\.0\.0\.1:(\d+)/ '
            Read-Line $process | Should -Match '^\$env:ITWIN_AUTHORITY = ''http://127\.0\.0\.1:\d+''$'
        }
        finally { $process.Kill($true); $process.WaitForExit() }
    }

    It 'stops by itself after --stop-after' {
        $process = Start-Tool @('--stop-after', '1')
        Read-Line $process | Should -Match '^ITwinEmulator ready '
        $process.WaitForExit(20000) | Should -BeTrue
        $process.ExitCode | Should -Be 0
    }

    It 'runs the pipeline example: the user''s Pester tests pass against the installed tool' {
        $run = Invoke-ChildPwsh -TimeoutSeconds 240 -Environment @{ PSModulePath = (Split-Path $moduleRoot -Parent | Split-Path -Parent); CI = 'true' } -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-File', (Join-Path $repoRoot 'examples/Invoke-OfflinePipeline.ps1'),
            '-EmulatorCommand', $tool, '-PesterPath', $pester)
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'RESULT=5/0'
    }

    It 'the pipeline example exits non-zero when a test fails' {
        $failing = Join-Path $toolRoot 'Failing.Tests.ps1'
        Set-Content $failing "Describe 'x' { It 'fails' { Import-Module ITwinAuth; Get-ITwinServiceToken | Out-Null; (Get-ITwinMe).Email | Should -Be 'someone-else' } }"
        $run = Invoke-ChildPwsh -TimeoutSeconds 240 -Environment @{ PSModulePath = (Split-Path $moduleRoot -Parent | Split-Path -Parent) } -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-File', (Join-Path $repoRoot 'examples/Invoke-OfflinePipeline.ps1'),
            '-EmulatorCommand', $tool, '-PesterPath', $pester, '-TestPath', $failing)
        $run.Output | Should -Match 'RESULT=0/1'
        $run.ExitCode | Should -Be 1
    }
}

Describe 'The README snippets the emulator answers' -Tag EmulatorTool {
    BeforeAll {
        $emulator = Start-ITwinEmulator
        $app = New-TestApp -Emulator $emulator
        Connect-TestApp -Emulator $emulator -App $app | Out-Null
    }
    AfterAll { Stop-ITwinEmulator -Emulator $emulator }

    It 'POST /itwins creates an iTwin (201, in the iTwin shape) that GET /itwins/{id} returns' {
        $created = Invoke-ITwinRequest -Method Post -Path /itwins -Body @{ displayName = 'New'; class = 'Endeavor'; subClass = 'Project' } -StatusCodeVariable status
        $status | Should -Be 201
        $created.iTwin.displayName | Should -Be 'New'
        $created.iTwin.class | Should -Be 'Endeavor'
        $created.iTwin.status | Should -Be 'Active'
        [guid]$created.iTwin.id | Should -Not -Be ([guid]::Empty)
        (Invoke-ITwinRequest -Path "/itwins/$($created.iTwin.id)").iTwin.displayName | Should -Be 'New'
    }

    It 'POST /itwins without a displayName is a 422 InvalidiTwinsRequest' {
        $record = Get-ErrorRecord { Invoke-ITwinRequest -Method Post -Path /itwins -Body @{ class = 'Endeavor'; subClass = 'Project' } }
        $record.Exception.StatusCode | Should -Be 422
        $record.Exception.ErrorCode | Should -Be 'InvalidiTwinsRequest'
    }

    It '/imodels?iTwinId=... with -ApiVersion v2 lists the iTwin''s iModels' {
        $iTwinId = (Invoke-ITwinRequest -Path /itwins -Query @{ '$top' = 1 }).iTwins[0].id
        $result = Invoke-ITwinRequest -Path /imodels -Query @{ iTwinId = $iTwinId } -ApiVersion v2 -Prefer Representation
        @($result.iModels).Count | Should -Be 2
        $result.iModels[0].iTwinId | Should -Be $iTwinId
        $result.iModels[0].state | Should -Be 'initialized'
        (Get-EmulatorStats $emulator -WithLog | ConvertTo-Json -Depth 5) | Should -Match 'vnd\.bentley\.itwin-platform\.v2\+json'
    }

    It '/imodels for an unknown iTwin is a 404 iTwinNotFound' {
        $record = Get-ErrorRecord { Invoke-ITwinRequest -Path /imodels -Query @{ iTwinId = [guid]::NewGuid() } -ApiVersion v2 }
        $record.Exception.StatusCode | Should -Be 404
    }
}
