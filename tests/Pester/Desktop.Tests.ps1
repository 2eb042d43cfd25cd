# Issue 15: the Windows PowerShell build's networking, run on PowerShell 7 by
# ./build.ps1 -Task Test -Edition Desktop (the tag DesktopOnly keeps it out of the Core run, where
# the module loads the net6.0 build and none of this applies).
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $emulator = Start-ITwinEmulator
    $app = New-TestApp -Emulator $emulator
    $signIn = @{
        ITWIN_CLIENT_ID = $app.ClientId; ITWIN_CLIENT_SECRET = $app.Secret
        ITWIN_AUTHORITY = $emulator.Authority; ITWIN_API_BASE_URI = $emulator.ApiBaseUri
    }

    # A fresh process that starts on the given protocols, signs in, calls the API and reports.
    function Invoke-WithProtocols([string] $Protocols) {
        Invoke-ChildPwsh -Environment $signIn -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', @"
`$ErrorActionPreference = 'Stop'
[Net.ServicePointManager]::SecurityProtocol = '$Protocols'
Import-Module '$env:ITWINAUTH_MODULE'
"BUILD=`$([IO.Path]::GetFileName([IO.Path]::GetDirectoryName([ITwinAuth.ModuleInitializer].Assembly.Location)))"
Get-ITwinServiceToken | Out-Null
"EMAIL=`$((Get-ITwinMe).Email)"
"PROTOCOLS=`$([Net.ServicePointManager]::SecurityProtocol)"
`$factory = [ITwinAuth.Core.ClientContext].Assembly.GetType('ITwinAuth.Core.RequestFactory', `$true)
`$post = [ITwinAuth.Core.HttpCall]::new([Net.Http.HttpMethod]::Post, [uri]'https://api.example/x', [ITwinAuth.Core.CallKind]::Api, `$null)
"EXPECT100=`$(`$factory.GetMethod('Build').Invoke(`$null, @(`$post, [ITwinAuth.Core.Hop]::First(`$post), `$null)).Headers.ExpectContinue)"
"@)
    }
}
AfterAll { Stop-ITwinEmulator -Emulator $emulator }

Describe 'Windows PowerShell networking' -Tag DesktopOnly, Desktop {
    It 'a process on old protocols gets TLS 1.2 and 1.3 added, keeps its own, and sends no Expect: 100-continue' {
        $run = Invoke-WithProtocols 'Tls, Tls11'
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'BUILD=netstandard2.0'
        $run.Output | Should -Match "EMAIL=$($app.ClientId)@"
        $protocols = [Net.SecurityProtocolType](($run.Output -split "`n" | Where-Object { $_ -like 'PROTOCOLS=*' }) -replace '^PROTOCOLS=' -replace '\s')
        foreach ($protocol in 'Tls', 'Tls11', 'Tls12', 'Tls13') { $protocols.HasFlag([Net.SecurityProtocolType]$protocol) | Should -BeTrue -Because "$protocol in $protocols" }
        $run.Output | Should -Match 'EXPECT100=False'
    }

    It 'a process on the system default is left to the operating system' {
        $run = Invoke-WithProtocols 'SystemDefault'
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'BUILD=netstandard2.0'
        $run.Output | Should -Match 'PROTOCOLS=SystemDefault'
    }
}
