# The harness of the vault tests (tests/Pester/SecretVaults.Tests.ps1): each case runs in a child
# pwsh of its own, with a HOME of its own (so its vault registry and SecretStore files are in a
# temporary folder, deleted after), against the real Microsoft.PowerShell.SecretManagement and
# SecretStore, with this folder's TestFileVault on PSModulePath. build.ps1 passes where the real
# modules are (ITWINAUTH_SECRETMANAGEMENT_MODULES: ../shared/secretmanagement/modules beside the
# repository); installed ones are used when that folder is absent.
Import-Module (Join-Path $PSScriptRoot '../ChildPwsh.psm1')

$script:StandIn = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../SecretManagement'))

function Get-RealModuleFolder {
    $folder = $env:ITWINAUTH_SECRETMANAGEMENT_MODULES
    if ($folder -and (Test-Path (Join-Path $folder 'Microsoft.PowerShell.SecretManagement')) -and (Test-Path (Join-Path $folder 'Microsoft.PowerShell.SecretStore'))) {
        return $folder
    }
}

# Why the real-module tests cannot run here, or nothing when they can.
function Get-RealVaultSkipReason {
    if (Get-RealModuleFolder) { return }
    $installed = foreach ($name in 'Microsoft.PowerShell.SecretManagement', 'Microsoft.PowerShell.SecretStore') {
        Get-Module -ListAvailable $name | Where-Object { -not $_.ModuleBase.StartsWith($script:StandIn) } | Select-Object -First 1
    }
    if (@($installed).Count -eq 2) { return }
    'the real Microsoft.PowerShell.SecretManagement and SecretStore are not here: build.ps1 looks for them in ' +
    '../shared/secretmanagement/modules beside the repository (ITWINAUTH_SECRETMANAGEMENT_MODULES), and they are not installed'
}

function New-VaultHome {
    $path = Join-Path ([IO.Path]::GetTempPath()) "itwinauth-vault-$PID-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
    New-Item -ItemType Directory -Path $path | Out-Null
    $path
}

# Runs -Script after tests/Vaults/VaultCase.ps1 in a child pwsh and returns what it gave to Write-Result,
# with the child's whole console output as .Output. -HomePath: a HOME shared by several children of one
# test (the caller creates and deletes it). -Interactive: without -NonInteractive (standard input is
# still closed, so a prompt reads the end of the file).
function Invoke-VaultCase {
    param([Parameter(Mandatory)] [string] $Script, [hashtable] $Environment = @{}, [string] $HomePath, [switch] $Interactive,
        [int] $TimeoutSeconds = 120)
    $ownHome = -not $HomePath
    if ($ownHome) { $HomePath = New-VaultHome }
    try {
        $modulePath = @($PSScriptRoot, (Get-RealModuleFolder), $env:PSModulePath) | Where-Object { $_ }
        $settings = @{
            HOME = $HomePath; XDG_DATA_HOME = ''; XDG_CONFIG_HOME = ''; XDG_CACHE_HOME = ''
            PSModulePath = $modulePath -join [IO.Path]::PathSeparator
            VAULT_LOG = Join-Path $HomePath 'calls.log'
            ITWIN_CLIENT_ID = ''; ITWIN_CLIENT_SECRET = ''; ITWIN_SCOPE = ''; ITWIN_AUTHORITY = ''; ITWIN_API_BASE_URI = ''
            ITP_SERVICE_CLIENT_ID = ''; ITP_SERVICE_CLIENT_SECRET = ''; ITP_ISSUER_URL = ''; ITP_API_URL = ''
        }
        foreach ($entry in $Environment.GetEnumerator()) { $settings[$entry.Key] = $entry.Value }
        $arguments = @('-NoProfile') + @(if (-not $Interactive) { '-NonInteractive' }) +
            @('-Command', ". '$((Join-Path $PSScriptRoot 'VaultCase.ps1') -replace "'", "''")'`n$Script")
        $run = Invoke-ChildPwsh -ArgumentList $arguments -Environment $settings -TimeoutSeconds $TimeoutSeconds
        $line = @($run.Output -split "`r?`n" | Where-Object { $_.StartsWith('##RESULT## ') }) | Select-Object -Last 1
        if (-not $line) { throw "The vault case gave no result (exit code $($run.ExitCode)):`n$($run.Output)" }
        $result = $line.Substring('##RESULT## '.Length) | ConvertFrom-Json
        $result | Add-Member -NotePropertyName Output -NotePropertyValue $run.Output -PassThru
    }
    finally {
        if ($ownHome) { Remove-Item $HomePath -Recurse -Force -ErrorAction Ignore }
    }
}

Export-ModuleMember -Function Get-RealVaultSkipReason, New-VaultHome, Invoke-VaultCase
