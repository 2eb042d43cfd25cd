# Dot-sourced by every Pester file: the built module, the emulator helpers, and small helpers.
$ErrorActionPreference = 'Stop'
if (-not $env:ITWINAUTH_MODULE) { throw 'Run the tests with ./build.ps1 -Task Test (ITWINAUTH_MODULE is not set).' }
Import-Module (Join-Path $PSScriptRoot '../Emulator.psm1') -Force
Import-Module (Join-Path $PSScriptRoot '../ChildPwsh.psm1') -Force
Import-Module $env:ITWINAUTH_MODULE -Force

function New-TestApp {
    param([Parameter(Mandatory)] $Emulator, [string] $Secret, [string[]] $Scopes, [int] $TokenLifetimeSeconds)
    $registration = @{ Emulator = $Emulator }
    if ($Secret) { $registration.ClientSecret = $Secret }
    if ($Scopes) { $registration.Scopes = $Scopes }
    if ($TokenLifetimeSeconds) { $registration.TokenLifetimeSeconds = $TokenLifetimeSeconds }
    $app = Register-EmulatorApp @registration
    [pscustomobject]@{
        ClientId     = $app.client_id
        Secret       = $app.client_secret
        SecureSecret = ConvertTo-SecureString -String $app.client_secret -AsPlainText -Force
        UserId       = $app.user_id
    }
}

function Connect-TestApp {
    param([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] $App, [hashtable] $With = @{})
    Get-ITwinServiceToken -ClientId $App.ClientId -ClientSecret $App.SecureSecret -Authority $Emulator.Authority `
        -ApiBaseUri $Emulator.ApiBaseUri @With
}

# A clock that moves only when the module waits (tests/ITwinAuth.TestTime/FakeTime.cs): the module's
# session gets a context of its own on that clock (a fresh token cache, rate-limit pauses and
# transport) until it is disposed, when the module's own context comes back. A back-off or a
# Retry-After passes at once, and .Waits and .Waited say what the module would have waited. Real
# timeouts (-TimeoutSec) still run on the real clock. The shipped module has no switch for this: the
# test reaches the session's context by reflection.
#   $time = New-FakeTime; try { ... } finally { $time.Dispose() }
function New-FakeTime {
    if (-not ('ITwinAuth.TestTime.FakeTime' -as [type])) {
        if (-not $env:ITWINAUTH_TEST_TIME) { throw 'ITWINAUTH_TEST_TIME is not set: run the tests with ./build.ps1 -Task Test.' }
        [void][Reflection.Assembly]::LoadFrom($env:ITWINAUTH_TEST_TIME)   # not Add-Type, which loads the C# compiler
    }
    $time = [ITwinAuth.TestTime.FakeTime]::new()
    $field = [ITwinAuth.ModuleLifetime].Assembly.GetType('ITwinAuth.ITwinSession', $true).GetField('_context', [Reflection.BindingFlags]'NonPublic, Static')
    $saved = $field.GetValue($null)
    $context = [ITwinAuth.Core.ClientContext]::new($time, $null)
    $field.SetValue($null, $context)
    $time.WhenDisposed([Action] { $field.SetValue($null, $saved); $context.Dispose() }.GetNewClosure())
    $time
}

function Get-PlainToken([Parameter(Mandatory)] $Token) {
    [System.Net.NetworkCredential]::new('', $Token.Token).Password
}

# The error a command raises, terminating or not, as an ErrorRecord.
function Get-ErrorRecord([Parameter(Mandatory)] [scriptblock] $ScriptBlock) {
    try {
        & $ScriptBlock -ErrorAction Stop | Out-Null
    }
    catch {
        return $_
    }
    throw 'The command raised no error.'
}

# JSON with every object's keys sorted, so two hashtables (or a hashtable and parsed JSON) compare
# whatever their key order. Deep enough for the platform's nested resources.
function ConvertTo-CanonicalJson($Value) {
    function Sort-Keys($v) {
        if ($v -is [System.Collections.IDictionary]) {
            $sorted = [ordered]@{}
            foreach ($key in ($v.Keys | Sort-Object)) { $sorted[$key] = Sort-Keys $v[$key] }
            return $sorted
        }
        if ($v -is [array]) { return , @($v | ForEach-Object { Sort-Keys $_ }) }
        return $v
    }
    ConvertTo-Json -InputObject (Sort-Keys $Value) -Depth 20 -Compress
}

# .NET stack frames look like "   at Namespace.Type.Method(...)": none may reach the user.
$script:StackTracePattern = '(?m)^\s+at [A-Za-z_][\w.`<>]+\.[\w<>]+\('

# Runs a script block in a new runspace of this process with no host, so what -WhatIf prints does
# not reach the test run's console. The module's cache and current connection are the process's,
# so they are shared.
function Invoke-Hostless([Parameter(Mandatory)] [scriptblock] $ScriptBlock, [object[]] $ArgumentList = @()) {
    $ps = [powershell]::Create()
    try {
        [void] $ps.AddCommand('Import-Module').AddArgument($env:ITWINAUTH_MODULE).AddStatement()
        [void] $ps.AddScript($ScriptBlock.ToString())
        foreach ($argument in $ArgumentList) { [void] $ps.AddArgument($argument) }
        $ps.Invoke()
        if ($ps.HadErrors) { throw $ps.Streams.Error[0] }
    }
    finally { $ps.Dispose() }
}

# ITWINAUTH_UPDATE_DOCS=1: rewrites docs/RELIABILITY.md through -Change (its text in, the new text out),
# holding the file exclusively meanwhile: Reliability.Tests.ps1 and Attack.Tests.ps1 each write their
# own part of it, from two worker processes that may do so at the same moment.
function Update-ReliabilityDoc([Parameter(Mandatory)] [scriptblock] $Change) {
    $path = Join-Path $PSScriptRoot '../../docs/RELIABILITY.md'
    $utf8 = [Text.UTF8Encoding]::new($false)
    for ($attempt = 1; ; $attempt++) {
        try { $file = [IO.File]::Open($path, 'Open', 'ReadWrite', 'None'); break }
        catch [IO.IOException] { if ($attempt -ge 100) { throw }; [Threading.Thread]::Sleep(100) }
    }
    try {
        $reader = [IO.StreamReader]::new($file, $utf8, $false, 4096, $true)
        $rewritten = & $Change ($reader.ReadToEnd() -replace "`r`n", "`n")
        $reader.Dispose()
        $bytes = $utf8.GetBytes($rewritten)
        $file.SetLength(0)
        $file.Write($bytes, 0, $bytes.Length)
    }
    finally { $file.Dispose() }
}
