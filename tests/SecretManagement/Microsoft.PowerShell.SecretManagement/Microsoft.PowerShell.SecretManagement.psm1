# In-memory vaults that answer as SecretManagement 1.1.2 with SecretStore 1.0.6 does (see the manifest).
Set-StrictMode -Version Latest

if (-not ('Microsoft.PowerShell.SecretStore.PasswordRequiredException' -as [type])) {
    Add-Type -TypeDefinition @'
namespace Microsoft.PowerShell.SecretStore {
    public sealed class PasswordRequiredException : System.InvalidOperationException {
        public PasswordRequiredException(string message) : base(message) { }
    }
}
'@
}

$script:Vaults = [ordered]@{}    # name -> @{ ModuleName; IsDefault; Locked; Password; Secrets = @{ name -> @{ Value; Metadata } } }

function Get-VaultOrThrow([string] $Name, $Cmdlet) {
    if (-not $script:Vaults.Contains($Name)) {
        # The real module throws: a CmdletInvocationException around PSInvalidOperationException.
        $exception = [System.Management.Automation.PSInvalidOperationException]::new("Vault $Name was not found in registry.")
        $Cmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception, 'InvalidVaultName', 'InvalidOperation', $Name))
    }
    $script:Vaults[$Name]
}

function Get-SearchOrder([string] $Vault, $Cmdlet) {
    if ($Vault) { return , @($Vault) }
    $names = @($script:Vaults.Keys | Sort-Object { -not $script:Vaults[$_].IsDefault })
    return , $names
}

function Write-Locked([string] $VaultName, $Cmdlet) {
    $exception = [Microsoft.PowerShell.SecretStore.PasswordRequiredException]::new('A valid password is required to access the Microsoft.PowerShell.SecretStore vault.')
    $Cmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($exception, 'GetSecretException', 'InvalidOperation', $VaultName))
}

# What the real module hands back for each stored kind. (if/elseif, not switch: switch would
# enumerate a byte[].)
function ConvertTo-Returned($Value, [switch] $AsPlainText) {
    if ($Value -is [pscredential]) { return $Value }
    if ($Value -is [byte[]]) { return , $Value }
    if ($Value -is [securestring]) {
        if ($AsPlainText) { return [System.Net.NetworkCredential]::new('', $Value).Password } else { return $Value.Copy() }
    }
    if ($Value -is [string]) {
        if ($AsPlainText) { return $Value } else { return (ConvertTo-SecureString -String $Value -AsPlainText -Force) }
    }
    if ($Value -is [hashtable]) {
        $copy = @{}
        foreach ($key in $Value.Keys) {
            $item = $Value[$key]
            if ($item -is [string] -and -not $AsPlainText) { $item = ConvertTo-SecureString -String $item -AsPlainText -Force }
            elseif ($item -is [securestring] -and $AsPlainText) { $item = [System.Net.NetworkCredential]::new('', $item).Password }
            $copy[$key] = $item
        }
        return $copy
    }
}

function Get-SecretType($Value) {
    if ($Value -is [pscredential]) { return 'PSCredential' }
    if ($Value -is [securestring]) { return 'SecureString' }
    if ($Value -is [string]) { return 'String' }
    if ($Value -is [hashtable]) { return 'Hashtable' }
    if ($Value -is [byte[]]) { return 'ByteArray' }
    return 'Unknown'
}

function Get-Secret {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)] [string] $Name,
        [Parameter(Position = 1)] [string] $Vault,
        [switch] $AsPlainText
    )
    process {
        foreach ($vaultName in (Get-SearchOrder $Vault $PSCmdlet)) {
            $entry = Get-VaultOrThrow $vaultName $PSCmdlet
            if ($entry.Locked) {
                Write-Locked $vaultName $PSCmdlet
                return
            }
            if ($entry.Secrets.ContainsKey($Name)) {
                ConvertTo-Returned $entry.Secrets[$Name].Value -AsPlainText:$AsPlainText
                return
            }
        }
        # Not found: no exception, an error record, nothing returned.
        $exception = [System.Management.Automation.ItemNotFoundException]::new("The secret $Name was not found.")
        $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($exception, 'GetSecretNotFound', 'ObjectNotFound', $Name))
    }
}

function Set-Secret {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Name,
        [Parameter(Mandatory, Position = 1)] [object] $Secret,
        [string] $Vault,
        [hashtable] $Metadata,
        [switch] $NoClobber
    )
    if (-not $Vault) { $Vault = @($script:Vaults.Keys | Where-Object { $script:Vaults[$_].IsDefault })[0] }
    $entry = Get-VaultOrThrow $Vault $PSCmdlet
    if ($entry.Locked) { Write-Locked $Vault $PSCmdlet; return }
    if ($Secret -isnot [pscredential] -and $Secret -isnot [securestring] -and $Secret -isnot [string] -and $Secret -isnot [hashtable] -and $Secret -isnot [byte[]]) {
        throw "Invalid secret type $($Secret.GetType().FullName)."
    }
    $entry.Secrets[$Name] = @{ Value = $Secret; Metadata = $(if ($Metadata) { $Metadata.Clone() } else { @{} }) }
}

function Set-SecretInfo {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [hashtable] $Metadata, [string] $Vault)
    foreach ($vaultName in (Get-SearchOrder $Vault $PSCmdlet)) {
        $entry = Get-VaultOrThrow $vaultName $PSCmdlet
        if ($entry.Secrets.ContainsKey($Name)) { $entry.Secrets[$Name].Metadata = $Metadata.Clone(); return }
    }
    Write-Error -Message "The secret $Name was not found." -ErrorId 'SetSecretInfoNotFound' -Category ObjectNotFound
}

function Get-SecretInfo {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string] $Name = '*', [string] $Vault)
    foreach ($vaultName in (Get-SearchOrder $Vault $PSCmdlet)) {
        $entry = Get-VaultOrThrow $vaultName $PSCmdlet
        foreach ($secretName in @($entry.Secrets.Keys | Sort-Object)) {
            if ($secretName -notlike $Name) { continue }
            $metadata = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::OrdinalIgnoreCase)
            foreach ($key in $entry.Secrets[$secretName].Metadata.Keys) { $metadata[$key] = $entry.Secrets[$secretName].Metadata[$key] }
            [pscustomobject]@{
                PSTypeName = 'Microsoft.PowerShell.SecretManagement.SecretInformation'
                Name       = $secretName
                Type       = Get-SecretType $entry.Secrets[$secretName].Value
                VaultName  = $vaultName
                Metadata   = [System.Collections.ObjectModel.ReadOnlyDictionary[string, object]]::new($metadata)
            }
        }
    }
}

function Remove-Secret {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [string] $Vault)
    $entry = Get-VaultOrThrow $Vault $PSCmdlet
    [void] $entry.Secrets.Remove($Name)
}

function Get-SecretVault {
    [CmdletBinding()]
    param([string] $Name = '*')
    foreach ($vaultName in $script:Vaults.Keys) {
        if ($vaultName -notlike $Name) { continue }
        [pscustomobject]@{
            PSTypeName = 'Microsoft.PowerShell.SecretManagement.SecretVaultInfo'
            Name       = $vaultName
            ModuleName = $script:Vaults[$vaultName].ModuleName
            IsDefault  = $script:Vaults[$vaultName].IsDefault
        }
    }
}

function Register-SecretVault {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name, [string] $ModuleName = 'Microsoft.PowerShell.SecretStore', [switch] $DefaultVault, [switch] $AllowClobber)
    if ($DefaultVault -or $script:Vaults.Count -eq 0) { foreach ($v in $script:Vaults.Values) { $v.IsDefault = $false } }
    $script:Vaults[$Name] = @{ ModuleName = $ModuleName; IsDefault = ($DefaultVault -or $script:Vaults.Count -eq 0); Locked = $false; Password = $null; Secrets = @{} }
}

function Unregister-SecretVault {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name)
    $script:Vaults.Remove($Name)
}

# Test-only: lock a vault with a password, as SecretStore does after its password timeout.
function Lock-StandInVault {
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [securestring] $Password)
    $entry = $script:Vaults[$Name]
    $entry.Locked = $true
    $entry.Password = [System.Net.NetworkCredential]::new('', $Password).Password
}

function Unlock-SecretVault {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [securestring] $Password)
    $entry = Get-VaultOrThrow $Name $PSCmdlet
    if ($entry.Password -ne [System.Net.NetworkCredential]::new('', $Password).Password) { throw 'Invalid password.' }
    $entry.Locked = $false
}

function Test-SecretVault {
    [CmdletBinding()]
    param([string] $Name)
    $null -ne $script:Vaults[$Name] -and -not $script:Vaults[$Name].Locked
}
