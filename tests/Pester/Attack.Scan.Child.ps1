# Run by Attack.Tests.ps1 in a fresh pwsh, with HTTPS_PROXY set to a listener that answers 407 to
# everything: every hostile case in turn, with everything a user could see of it captured. Each case
# runs in a runspace without a host (so that progress is collected as well as output, error, warning,
# verbose, debug, information and $Error), on a fake clock, with -Verbose and -Debug; then its records
# are written to this process's host as PowerShell shows them, under Start-Transcript. The captured texts, each with the rule it is
# held to, are written as JSON to -OutFile: the test scans them, the transcript and this process's
# console output.
param(
    [Parameter(Mandatory)] [string] $Authority,
    [Parameter(Mandatory)] [string] $ApiBaseUri,
    [Parameter(Mandatory)] [string] $ClientId,
    [Parameter(Mandatory)] [string] $OutFile,
    [Parameter(Mandatory)] [string] $Transcript
)
. (Join-Path $PSScriptRoot 'Common.ps1')
$PSStyle.OutputRendering = 'PlainText'
$ErrorActionPreference = 'Stop'
$emulator = [pscustomobject]@{ Authority = $Authority; ApiBaseUri = $ApiBaseUri }
# The secret comes in the environment, not on the command line, which the transcript's header records.
$secure = ConvertTo-SecureString $env:ITWINAUTH_ATTACK_SECRET -AsPlainText -Force
Remove-Item Env:ITWINAUTH_ATTACK_SECRET
function Connect([string] $Api = $ApiBaseUri, [string] $To = $Authority) {
    Get-ITwinServiceToken -ClientId $ClientId -ClientSecret $secure -Authority $To -ApiBaseUri $Api -Force | Out-Null
}
function New-Raw([string] $Answer) {
    (Invoke-EmulatorAdmin -Emulator $emulator -Method Post -Path raw -Body @{ base64 = [Convert]::ToBase64String([Text.Encoding]::Latin1.GetBytes($Answer)) }).uri
}

# What a hostile server puts in its text: OSC 52 (write the clipboard), CSI (clear the screen,
# colours), the one-byte C1 CSI, BEL, backspaces, DEL, a right-to-left override, and a CR LF that
# forges a line of its own.
$e = [char]27
$evil = "$e]52;c;SGVsbG8gY2xpcGJvYXJk$([char]7)$e[2J$e[31m$([char]0x9b)2J$([char]7)$([char]8)$([char]8)$([char]0x7f)$([char]0x202e)`r`nWARNING: FORGED-BY-SERVER`r`n"
$evilHeader = "$e]52;c;SGVsbG8=$([char]7) $e[2J $([char]0x9b)31m $([char]8)$([char]8) WARNING: FORGED-BY-SERVER"
function Json($Value) { ConvertTo-Json -InputObject $Value -Depth 6 -Compress }
$mib = 1024 * 1024

$cases = @(
    @{ Name = 'API error with escapes in its code, message and details'; Setup = {
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 400; times = 1; body = (Json @{ error = @{ code = "Bad$evil"; message = "Message $evil end"; target = "t$evil"
                                details = @(1..3 | ForEach-Object { @{ code = "D$_$evil"; message = "Detail $evil"; target = "target$evil" } }) } }) })
        }; Run = { Connect; Invoke-ITwinRequest -Path /users/me } }
    @{ Name = 'API error with an error code of 1 MiB'; Setup = {
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 400; times = 1; body = (Json @{ error = @{ code = $evil + ('C' * $mib) + $evil; message = 'Bad request.' } }) })
        }; Run = { Connect; Invoke-ITwinRequest -Path /users/me } }
    @{ Name = 'API error with 25 details of 2,000 characters each'; Setup = {
            $long = ('x' * 1000) + $evil + ('y' * 900)
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/users/me'; status = 422; times = 1; body = (Json @{ error = @{ code = 'InvalidRequest'; message = "Bad $evil"
                                details = @(1..25 | ForEach-Object { @{ code = "C$_$long"; message = $long; target = $long } }) } }) })
        }; Run = { Connect; Invoke-ITwinRequest -Path /users/me } }
    @{ Name = 'API error on a page reached by a next link of 4,000 characters'; Setup = {
            Add-EmulatorFault -Emulator $emulator -Fault @(
                @{ path = '/itwins'; action = 'pages'; itemsPerPage = 1; linkPadding = 4000; times = 1 }
                @{ path = '/itwins'; status = 500; times = 1; body = (Json @{ error = @{ code = 'InternalServerError'; message = "Boom $evil" } }) })
        }; Run = { Connect; Invoke-ITwinRequest -Path /itwins -All } }
    @{ Name = 'Token endpoint: invalid_client with an error_description of 1,000,000 characters'; Setup = {
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/connect/token'; status = 400; times = 1; body = (Json @{ error = 'invalid_client'; error_description = $evil + ('D' * 1000000) + $evil }) })
        }; Run = { Connect } }
    @{ Name = 'Token endpoint: an unknown error of escapes with an error_description of 1,000,000 characters'; Setup = {
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/connect/token'; status = 400; times = 1; body = (Json @{ error = "evil$evil" + ('E' * 5000); error_description = ('D' * 1000000) + $evil }) })
        }; Run = { Connect } }
    @{ Name = 'Raw 429 with escapes in ITwinPlatform-RateLimit* headers, its reason phrase, Request-Id and Content-Type'; Setup = {
            New-Raw ("HTTP/1.1 429 Too $e[31mMany $([char]0x9b)2J`r`nRetry-After: 0`r`nITwinPlatform-RateLimited-Tier: $evilHeader`r`n" +
                "ITwinPlatform-RateLimited-Operation: GET $evilHeader`r`nITwinPlatform-RateLimit-Evil: $evilHeader`r`nRequest-Id: $evilHeader`r`n" +
                "Content-Type: text/plain; $evilHeader`r`nContent-Length: 8`r`nConnection: close`r`n`r`nnot json")
        }; Run = { param($Raw) Connect -Api $Raw; Invoke-ITwinRequest -Path /users/me -MaximumRetryCount 2 } }
    @{ Name = 'Raw answer with an invalid status line full of escapes'; Setup = {
            New-Raw "HTTP/1.1 2$e[31m00 $evilHeader$evilHeader`r`nContent-Length: 0`r`nConnection: close`r`n`r`n"
        }; Run = { param($Raw) Connect -Api $Raw; Invoke-ITwinRequest -Path /users/me -MaximumRetryCount 1 } }
    @{ Name = 'Raw answer with a header line of escapes and no colon'; Setup = {
            New-Raw "HTTP/1.1 200 OK`r`n$evilHeader$evilHeader`r`nContent-Length: 2`r`nConnection: close`r`n`r`n{}"
        }; Run = { param($Raw) Connect -Api $Raw; Invoke-ITwinRequest -Path /users/me -MaximumRetryCount 1 } }
    @{ Name = 'Raw 302 with a Location full of escapes'; Setup = {
            New-Raw "HTTP/1.1 302 Found`r`nLocation: /x$e[2J$([char]0x9b)2J$([char]0x202e)?$e]52;c;SGVsbG8=$([char]7)`r`nContent-Length: 0`r`nConnection: close`r`n`r`n"
        }; Run = { param($Raw) Connect -Api $Raw; Invoke-ITwinRequest -Path /users/me -MaximumRetryCount 1 } }
    @{ Name = 'A listing whose collection is named with escapes (progress and verbose)'; Setup = {
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/itwins'; action = 'pages'; itemsPerPage = 2; collectionName = "iTwins$evil"; times = 3 })
        }; Run = { Connect; Invoke-ITwinRequest -Path /itwins -All -First 5 -IncludeTotalCount -TotalTimeoutSec 20 | Out-Null } }
    @{ Name = 'Discovery document with escapes and a right-to-left override in token_endpoint'; Setup = {
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/.well-known/openid-configuration'; status = 200; times = 1
                    body = (Json @{ issuer = "$Authority/"; token_endpoint = "$Authority/connect/token$e[2J$([char]0x9b)2J$([char]0x202e)gpj.exe" }) })
        }; Run = { Connect } }
    @{ Name = 'Discovery document with an escaped right-to-left override (%E2%80%AE) in token_endpoint'; Setup = {
            Add-EmulatorFault -Emulator $emulator -Fault @(@{ path = '/.well-known/openid-configuration'; status = 200; times = 1
                    body = (Json @{ issuer = "$Authority/"; token_endpoint = "$Authority/connect/token%E2%80%AEgpj.exe" }) })
        }; Run = { Connect } }
    @{ Name = 'Raw authority answering 400 with escapes in its reason phrase and body'; Setup = {
            $body = '{"error":"\u001b]52;c;SGVsbG8=\u0007","error_description":"\u009b2J WARNING: FORGED-BY-SERVER"}'
            New-Raw ("HTTP/1.1 400 Bad $e[2J$([char]0x9b)2J`r`nContent-Type: application/json`r`nConnection: close`r`nContent-Length: $($body.Length)`r`n`r`n$body")
        }; Run = { param($Raw) Connect -To $Raw } }
    @{ Name = 'HTTPS_PROXY with a user and password, answering 407'; Run = {
            Get-ITwinServiceToken -ClientId $Context.ClientId -ClientSecret $Context.Secure -Authority 'https://127.0.0.1:9' -ApiBaseUri 'https://127.0.0.1:9' -Force } }
)

# The rules each text is held to: line (one line, at most 2,000 characters), details (ErrorDetails:
# newlines allowed, at most 16 KiB), body (ResponseBody, the same), render (what PowerShell itself
# formats: newlines allowed, any length).
$texts = [System.Collections.Generic.List[object]]::new()
function Add-Text([string] $Case, [string] $Where, [string] $Rule, $Text) {
    if ($null -ne $Text -and "$Text".Length -gt 0) { $texts.Add([pscustomobject]@{ Case = $Case; Where = $Where; Rule = $Rule; Text = "$Text" }) }
}
function Add-ErrorTexts([string] $Case, [string] $Where, $Record) {
    if ($Record -isnot [System.Management.Automation.ErrorRecord]) { Add-Text $Case $Where render ($Record | Out-String -Width 300); return }
    Add-Text $Case "$Where FullyQualifiedErrorId" line $Record.FullyQualifiedErrorId
    Add-Text $Case "$Where CategoryInfo" line $Record.CategoryInfo
    Add-Text $Case "$Where TargetObject" line $Record.TargetObject
    Add-Text $Case "$Where ErrorDetails" details $Record.ErrorDetails.Message
    Add-Text $Case "$Where ErrorDetails.RecommendedAction" line $Record.ErrorDetails.RecommendedAction
    $depth = 0
    for ($ex = $Record.Exception; $ex; $ex = $ex.InnerException) {
        $at = "$Where Exception$('.InnerException' * $depth)"
        Add-Text $Case "$at.Message" line $ex.Message
        if ($ex -is [ITwinAuth.ITwinAuthException]) {
            Add-Text $Case "$at.Target" line $ex.Target
            Add-Text $Case "$at.ResponseBody" body $ex.ResponseBody
        }
        if ($ex -is [ITwinAuth.ITwinApiException]) {
            Add-Text $Case "$at.ErrorCode" line $ex.ErrorCode
            Add-Text $Case "$at.RequestId" line $ex.RequestId
            foreach ($detail in $ex.Details) { Add-Text $Case "$at.Details.Code" line $detail.Code; Add-Text $Case "$at.Details.Message" line $detail.Message; Add-Text $Case "$at.Details.Target" line $detail.Target }
        }
        $depth++
    }
    Add-Text $Case "$Where (Format-List * -Force)" render ($Record | Format-List * -Force | Out-String -Width 300)
    Add-Text $Case "$Where (Get-Error)" render ($Record | Get-Error | Out-String -Width 300)
}

Connect
# The cases run in a runspace of their own, without a host: all seven streams are collected there.
# The module's state is the process's, so the fake clock set here applies to it.
$runspace = [runspacefactory]::CreateRunspace()
$runspace.Open()
$init = [powershell]::Create()
$init.Runspace = $runspace
[void] $init.AddScript({
        param($Module, $ClientId, $Secure, $Authority, $ApiBaseUri)
        Import-Module $Module
        $global:Context = @{ ClientId = $ClientId; Secure = $Secure; Authority = $Authority; ApiBaseUri = $ApiBaseUri }
        function global:Connect([string] $Api = $Context.ApiBaseUri, [string] $To = $Context.Authority) {
            Get-ITwinServiceToken -ClientId $Context.ClientId -ClientSecret $Context.Secure -Authority $To -ApiBaseUri $Api -Force | Out-Null
        }
    }.ToString()).AddArgument($env:ITWINAUTH_MODULE).AddArgument($ClientId).AddArgument($secure).AddArgument($Authority).AddArgument($ApiBaseUri)
[void] $init.Invoke()
$init.Dispose()

Start-Transcript -Path $Transcript -Force | Out-Null
$results = foreach ($case in $cases) {
    $name = $case.Name
    Clear-EmulatorFault $emulator
    Reset-EmulatorStats $emulator
    $argument = if ($case.Setup) { & $case.Setup }
    $ps = [powershell]::Create()
    $ps.Runspace = $runspace
    [void] $ps.AddScript('$Error.Clear()').Invoke()
    $ps.Commands.Clear()
    $time = New-FakeTime
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $output = @(); $thrown = $null
    try {
        [void] $ps.AddScript({
                param($Run, $Argument)
                $VerbosePreference = 'Continue'; $DebugPreference = 'Continue'; $InformationPreference = 'Continue'
                $WarningPreference = 'Continue'; $ProgressPreference = 'Continue'; $ErrorActionPreference = 'Continue'
                & ([scriptblock]::Create($Run)) $Argument
            }.ToString(), $true).AddArgument($case.Run.ToString()).AddArgument($argument)
        $output = @($ps.Invoke())
    }
    catch { $thrown = $_.Exception.InnerException.ErrorRecord; if (-not $thrown) { $thrown = $_ } }
    finally { $time.Dispose() }
    $seconds = $watch.Elapsed.TotalSeconds + $time.Waited.TotalSeconds
    $errors = @($ps.Streams.Error) + @($thrown | Where-Object { $_ })
    $ps.Commands.Clear()
    $kept = @($ps.AddScript('$Error.ToArray()').Invoke())
    $stats = Get-EmulatorStats $emulator

    foreach ($item in $output) { Add-Text $name Output render ($item | Out-String -Width 300) }
    foreach ($record in $errors) { Add-ErrorTexts $name Error $record }
    foreach ($record in $ps.Streams.Warning) { Add-Text $name Warning line $record.Message }
    foreach ($record in $ps.Streams.Verbose) { Add-Text $name Verbose line $record.Message }
    foreach ($record in $ps.Streams.Debug) { Add-Text $name Debug line $record.Message }
    foreach ($record in $ps.Streams.Information) { Add-Text $name Information line "$($record.MessageData)" }
    foreach ($record in $ps.Streams.Progress) {
        Add-Text $name 'Progress.Activity' line $record.Activity; Add-Text $name 'Progress.StatusDescription' line $record.StatusDescription
        Add-Text $name 'Progress.CurrentOperation' line $record.CurrentOperation
    }
    # $Error holds the same records as the error stream (the same objects): each is scanned once.
    foreach ($record in $kept) { if (-not ($errors | Where-Object { [object]::ReferenceEquals($_, $record) })) { Add-ErrorTexts $name '$Error' $record } }

    # What a user's console and transcript would show of it.
    foreach ($item in $output) { $item | Out-Host }
    foreach ($record in $ps.Streams.Warning) { Write-Warning $record.Message -WarningAction Continue }
    foreach ($record in $ps.Streams.Verbose) { Write-Verbose $record.Message -Verbose }
    foreach ($record in $ps.Streams.Debug) { Write-Debug $record.Message -Debug }
    foreach ($record in $ps.Streams.Information) { Write-Information $record.MessageData -InformationAction Continue }
    foreach ($record in $errors) { $record | Out-Host }
    $counts = "output $($output.Count), error $($errors.Count), warning $($ps.Streams.Warning.Count), verbose $($ps.Streams.Verbose.Count), " +
        "debug $($ps.Streams.Debug.Count), information $($ps.Streams.Information.Count), progress $($ps.Streams.Progress.Count), `$Error $($kept.Count)"
    $ps.Dispose()

    $first = $errors | Select-Object -First 1
    [pscustomobject]@{
        Name     = $name
        ErrorId  = if ($first) { "$(($first.FullyQualifiedErrorId -split ',')[0]) ($($first.CategoryInfo.Category))" } else { 'none' }
        Seconds  = [math]::Round($seconds, 2)
        Requests = $stats.apiRequests + $stats.tokenEndpointRequests + $stats.discoveryRequests
        Captured = $counts
    }
}
Stop-Transcript | Out-Null
$runspace.Dispose()
Clear-EmulatorFault $emulator
ConvertTo-Json -InputObject ([pscustomobject]@{ Cases = @($results); Texts = $texts.ToArray() }) -Depth 4 -Compress | Set-Content -Path $OutFile -Encoding utf8NoBOM
