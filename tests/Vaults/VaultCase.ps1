# Dot-sourced first in each vault test's child pwsh (Invoke-VaultCase in VaultTests.psm1): the built
# module, the real SecretManagement, the apps the parent registered, and helpers. The child has a HOME
# of its own, so its vault registry and SecretStore files are its own and are deleted after it.
$ErrorActionPreference = 'Stop'
Import-Module $env:ITWINAUTH_MODULE
Import-Module Microsoft.PowerShell.SecretManagement
if ((Get-Module Microsoft.PowerShell.SecretManagement).ModuleType -ne 'Binary') {
    throw "Not the real SecretManagement: $((Get-Module Microsoft.PowerShell.SecretManagement).Path)"
}

$at = @{ Authority = $env:AUTHORITY; ApiBaseUri = $env:API }
$app = [pscredential]::new($env:APP_ID, (ConvertTo-SecureString $env:APP_SECRET -AsPlainText -Force))
$other = [pscredential]::new($env:OTHER_ID, (ConvertTo-SecureString $env:OTHER_SECRET -AsPlainText -Force))
$storePassword = ConvertTo-SecureString 'Store-Password-1' -AsPlainText -Force

# A SecretStore vault. Without -Password it needs none (Authentication None). With -Password it is
# created with its password, which leaves it unlocked in this process only (a new process finds it
# locked) until -PasswordTimeout seconds have passed.
function New-Store {
    param([string] $Name = 'Store', [switch] $Default, [switch] $Password, [ValidateSet('None', 'Prompt')] [string] $Interaction = 'None',
        [int] $PasswordTimeout = 900)
    if ($Password) {
        Reset-SecretStore -Authentication Password -Password $storePassword -Interaction $Interaction -PasswordTimeout $PasswordTimeout -Force -WarningAction SilentlyContinue
    }
    else {
        Reset-SecretStore -Authentication None -Interaction None -Force -WarningAction SilentlyContinue
    }
    Register-SecretVault -Name $Name -ModuleName Microsoft.PowerShell.SecretStore -DefaultVault:$Default
}

# A SecretStore locked in this very process: created with a one-second password timeout, then waited out.
function New-LockedStore {
    param([string] $Name = 'LockedStore', [switch] $Default, [ValidateSet('None', 'Prompt')] [string] $Interaction = 'None')
    New-Store -Name $Name -Default:$Default -Password -Interaction $Interaction -PasswordTimeout 1
    Start-Sleep -Milliseconds 1600
}

# A TestFileVault (tests/Vaults/TestFileVault): in memory, logging each extension call to $env:VAULT_LOG.
function New-FileVault {
    param([Parameter(Mandatory)] [string] $Name, [switch] $Default, [switch] $Broken, [string] $Reason, [int] $HangSeconds,
        [ValidateSet('PowerShell', 'DotNet')] [string] $HangIn = 'PowerShell')
    $parameters = @{ Log = $env:VAULT_LOG }
    if ($Broken) { $parameters.Broken = $true }
    if ($Reason) { $parameters.Reason = $Reason }
    if ($HangSeconds) { $parameters.HangSeconds = $HangSeconds; $parameters.HangIn = $HangIn }
    Register-SecretVault -Name $Name -ModuleName TestFileVault -VaultParameters $parameters -DefaultVault:$Default
}

# The extension calls logged since the last call of this function.
function Get-VaultCall {
    $calls = @(if (Test-Path $env:VAULT_LOG) { Get-Content $env:VAULT_LOG })
    Remove-Item $env:VAULT_LOG -ErrorAction Ignore
    , $calls
}

# An error record as plain data for the parent.
function ConvertTo-Failure($Record) {
    [pscustomobject]@{
        Id       = ($Record.FullyQualifiedErrorId -split ',')[0]
        Category = "$($Record.CategoryInfo.Category)"
        Message  = $Record.Exception.Message
        Inner    = $(if ($Record.Exception.InnerException) { $Record.Exception.InnerException.GetType().FullName })
        Innermost = $(
            $e = $Record.Exception
            while ($e.InnerException) { $e = $e.InnerException }
            if ($e -ne $Record.Exception) { $e.Message })
        Shown    = ($Record | Out-String -Width 300)
    }
}

# The error a command raises, terminating or not. No error is a failure of the test.
function Get-Failure([Parameter(Mandatory)] [scriptblock] $ScriptBlock) {
    try {
        & $ScriptBlock | Out-Null
    }
    catch {
        return ConvertTo-Failure $_
    }
    throw 'The command raised no error.'
}

# The module's internal client with a deadline of its own, as a test seam that ships nothing: the
# module itself always uses SecretManagementClient.ReadDeadline.
function New-VaultClient([Parameter(Mandatory)] [TimeSpan] $Deadline, [Threading.CancellationToken] $Cancellation = [Threading.CancellationToken]::None) {
    $type = [ITwinAuth.Commands.GetITwinServiceTokenCommand].Assembly.GetType('ITwinAuth.Secrets.SecretManagementClient', $true)
    [Activator]::CreateInstance($type, [Reflection.BindingFlags]'Instance, NonPublic', $null, @($Deadline, $Cancellation), $null)
}

# The result, as the one line the parent reads.
function Write-Result([Parameter(Mandatory)] $InputObject) {
    '##RESULT## ' + (ConvertTo-Json -InputObject $InputObject -Compress -Depth 6)
}
