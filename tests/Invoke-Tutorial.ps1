# Bentley's "Authorize Service Application" tutorial, end to end, against the iTwin emulator:
# 1. register a service application, 2. get a token (client credentials), 3. prove it with /users/me.
# build.ps1 -Task Demo runs it; a Pester test runs it too.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EmulatorPath
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'Emulator.psm1')
$emulator = Start-ITwinEmulator -EmulatorPath $EmulatorPath
try {
    Write-Host "`n1. Register a service application (the emulator stands in for 'My apps' at $($emulator.Authority))" -ForegroundColor Cyan
    $app = Register-EmulatorApp -Emulator $emulator -Scopes 'itwin-platform'
    Write-Host "   client_id:     $($app.client_id)"
    Write-Host '   client_secret: ******** (shown once by the portal: keep it in a vault)'
    Write-Host "   scope:         $($app.scope)"
    $clientId = $app.client_id
    $secret = ConvertTo-SecureString -String $app.client_secret -AsPlainText -Force
    $app = $null

    Write-Host "`n2. Get an access token: POST client credentials to the token endpoint found by discovery" -ForegroundColor Cyan
    Import-Module $ModulePath
    $token = Get-ITwinServiceToken -ClientId $clientId -ClientSecret $secret -Scope itwin-platform `
        -Authority $emulator.Authority -ApiBaseUri $emulator.ApiBaseUri
    $token | Format-Table | Out-Host

    Write-Host '3. Prove the token: GET /users/me with Authorization: Bearer (the token is never printed)' -ForegroundColor Cyan
    Get-ITwinMe | Format-List | Out-Host
    Write-Host 'The tutorial ran end to end.' -ForegroundColor Green
}
finally {
    Stop-ITwinEmulator -Emulator $emulator
}
