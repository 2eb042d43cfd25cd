# In-memory vaults that answer as SecretManagement 1.1.2 with SecretStore 1.0.6 does, error for error
# (shared/SECRETMANAGEMENT.md): exception types, FullyQualifiedErrorIds, what is thrown and what is
# written, the default-vault search order, a locked SecretStore, and a vault that throws.
# Vault kinds, by -ModuleName: Microsoft.PowerShell.SecretStore (can be locked), TestFileVault (a
# plain extension vault), TestBrokenVault (every extension call throws, like an offline remote vault).
# Every extension call is logged ("Get-Secret <name> <vault>", "Get-SecretInfo <filter> <vault>",
# and "Prompt <vault>" when a locked store set to -Interaction Prompt asks for its password), so
# tests can count what reached the vaults: Get-StandInExtensionCall / Clear-StandInExtensionCall.
Set-StrictMode -Version Latest

if (-not ('Microsoft.PowerShell.SecretManagement.PasswordRequiredException' -as [type])) {
    Add-Type -TypeDefinition @'
namespace Microsoft.PowerShell.SecretManagement {
    public class PasswordRequiredException : System.InvalidOperationException {
        public PasswordRequiredException(string message) : base(message) { }
    }
}
'@
}

$script:Vaults = @{}    # name -> @{ Name; ModuleName; IsDefault; Locked; Password; Interaction; Secrets = @{ name -> @{ Value; Metadata } } }
$script:Calls = [System.Collections.Generic.List[string]]::new()
$script:PasswordMessage = "A valid password is required to access the Microsoft.PowerShell.SecretStore vault.`nUse the Unlock-SecretStore cmdlet to provide the required password to access the store."
$script:OutageMessage = 'The vault backend is unreachable (simulated outage).'
$script:NoVaultsWarning = "`n        There are currently no extension vaults registered.`n        At least one vault must be registered before SecretManagement can add or retrieve secrets.`n        You can download SecretManagement extension vault modules from PowerShellGallery.`n        https://aka.ms/SecretManagementVaults`n        "

function Get-StandInExtensionCall { $script:Calls.ToArray() }
function Clear-StandInExtensionCall { $script:Calls.Clear() }

function Find-Vault([string] $Name) {
    foreach ($entry in $script:Vaults.Values) { if ($entry.Name -eq $Name) { return $entry } }    # -eq: case-insensitive
    $null
}

# Default first, then the others by name, case-insensitively (Get-Secret's and Get-SecretInfo's order).
function Get-VaultsInOrder {
    $all = @($script:Vaults.Values | Sort-Object { $_.Name.ToUpperInvariant() })
    @($all | Where-Object IsDefault) + @($all | Where-Object { -not $_.IsDefault })
}

function Stop-VaultNotFound([string] $Name, $Cmdlet) {
    $exception = [System.Management.Automation.PSInvalidOperationException]::new("Vault not found in registry: $Name")
    $Cmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception, 'GetSecretVaultNotFound', 'ObjectNotFound', $Name))
}

function New-PasswordRequired { [Microsoft.PowerShell.SecretManagement.PasswordRequiredException]::new($script:PasswordMessage) }

function New-VaultFailure([string] $Message) {
    $innermost = [System.Management.Automation.RuntimeException]::new($script:OutageMessage)
    $inner = [System.Management.Automation.RuntimeException]::new($script:OutageMessage, $innermost)
    [System.Management.Automation.PSInvalidOperationException]::new($Message, $inner)
}

function New-VaultModule($Entry) {
    [pscustomobject]@{ PSTypeName = 'Microsoft.PowerShell.SecretManagement.ExtensionVaultModule'; VaultName = $Entry.Name; ModuleName = $Entry.ModuleName }
}

# The extension side: what a vault module's own functions do. They throw; the cmdlets turn that into records.
class VaultLockedSignal : System.Exception { VaultLockedSignal() : base('locked') { } }

function Invoke-Extension([string] $Operation, [string] $Name, $Entry) {
    $script:Calls.Add("$Operation $Name $($Entry.Name)")
    if ($Entry.ModuleName -eq 'TestBrokenVault') { throw [System.Management.Automation.RuntimeException]::new($script:OutageMessage) }
    if ($Entry.Locked) {
        if ($Entry.Interaction -eq 'Prompt') {
            $script:Calls.Add("Prompt $($Entry.Name)")
            $Host.UI.WriteLine("Vault $($Entry.Name) requires a password.")
            $Host.UI.WriteLine('Enter password:')
        }
        throw [VaultLockedSignal]::new()
    }
    if ($Operation -eq 'Get-Secret') {
        if ($Entry.Secrets.ContainsKey($Name)) { return , $Entry.Secrets[$Name] }
        return $null
    }
    $infos = foreach ($secretName in @($Entry.Secrets.Keys | Sort-Object { $_.ToUpperInvariant() })) {
        if ($secretName -notlike $Name) { continue }
        # Case-sensitive, as SecretStore's: Metadata['clientid'] does not find ClientId.
        $metadata = [System.Collections.Generic.Dictionary[string, object]]::new()
        foreach ($key in $Entry.Secrets[$secretName].Metadata.Keys) { $metadata[$key] = $Entry.Secrets[$secretName].Metadata[$key] }
        [pscustomobject]@{
            PSTypeName = 'Microsoft.PowerShell.SecretManagement.SecretInformation'
            Name       = $secretName
            Type       = Get-SecretType $Entry.Secrets[$secretName].Value
            VaultName  = $Entry.Name
            Metadata   = [System.Collections.ObjectModel.ReadOnlyDictionary[string, object]]::new($metadata)
        }
    }
    $infos
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

function Write-SecretNotFound([string] $Name, $Cmdlet) {
    $exception = [System.Management.Automation.ItemNotFoundException]::new("The secret $Name was not found.")
    $Cmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($exception, 'GetSecretNotFound', 'ObjectNotFound', $Cmdlet))
}

function Get-Secret {
    [CmdletBinding(DefaultParameterSetName = 'NameParameterSet')]
    param(
        [Parameter(ParameterSetName = 'NameParameterSet', Mandatory, Position = 0)] [string] $Name,
        [Parameter(ParameterSetName = 'NameParameterSet', Position = 1)] [string] $Vault,
        [Parameter(ParameterSetName = 'InfoParameterSet', Mandatory, ValueFromPipeline)] [psobject] $InputObject,
        [switch] $AsPlainText
    )
    begin { if ($script:Vaults.Count -eq 0) { $PSCmdlet.WriteWarning($script:NoVaultsWarning) } }
    process {
        if ($PSCmdlet.ParameterSetName -eq 'InfoParameterSet') { $Name = $InputObject.Name; $Vault = $InputObject.VaultName }
        if ($Vault) {
            $entry = Find-Vault $Vault
            if (-not $entry) { Stop-VaultNotFound $Vault $PSCmdlet }
            try {
                $stored = Invoke-Extension 'Get-Secret' $Name $entry
            }
            catch [VaultLockedSignal] {
                $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new((New-PasswordRequired), 'GetSecretException', 'InvalidOperation', $PSCmdlet))
                return
            }
            catch {
                $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new((New-VaultFailure "Unable to get secret $Name from vault $($entry.Name)"),
                        'GetSecretInvalidOperation', 'InvalidOperation', (New-VaultModule $entry)))
                Write-SecretNotFound $Name $PSCmdlet
                return
            }
            if ($null -ne $stored) { return ConvertTo-Returned $stored.Value -AsPlainText:$AsPlainText }
            Write-SecretNotFound $Name $PSCmdlet
            return
        }

        $ordered = @(Get-VaultsInOrder)
        foreach ($entry in $ordered) {
            if ($entry.IsDefault) {
                # The default vault: Get-SecretInfo first, outside the try/catch for a locked store.
                try {
                    $infos = @(Invoke-Extension 'Get-SecretInfo' $Name $entry)
                }
                catch [VaultLockedSignal] {
                    $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new((New-PasswordRequired),
                            'Microsoft.PowerShell.SecretManagement.PasswordRequiredException', 'NotSpecified', $null))
                }
                catch {
                    $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new((New-VaultFailure "Unable to get secret information from vault $($entry.Name)"),
                            'GetSecretInfoInvalidOperation', 'InvalidOperation', (New-VaultModule $entry)))
                    continue
                }
                if (@($infos).Count -eq 0) { continue }
            }
            try {
                $stored = Invoke-Extension 'Get-Secret' $Name $entry
            }
            catch [VaultLockedSignal] {
                $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new((New-PasswordRequired), 'GetSecretException', 'InvalidOperation', $PSCmdlet))
                continue
            }
            catch {
                $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new((New-VaultFailure "Unable to get secret $Name from vault $($entry.Name)"),
                        'GetSecretInvalidOperation', 'InvalidOperation', (New-VaultModule $entry)))
                continue
            }
            if ($null -ne $stored) { return ConvertTo-Returned $stored.Value -AsPlainText:$AsPlainText }
        }
        Write-SecretNotFound $Name $PSCmdlet
    }
}

function Get-SecretInfo {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string] $Name = '*', [Parameter(Position = 1)] [string] $Vault)
    if ($script:Vaults.Count -eq 0) { $PSCmdlet.WriteWarning($script:NoVaultsWarning) }
    if ($Vault) {
        $entry = Find-Vault $Vault
        if (-not $entry) { Stop-VaultNotFound $Vault $PSCmdlet }
        $ordered = @($entry)
    }
    else {
        $ordered = @(Get-VaultsInOrder)
    }
    foreach ($entry in $ordered) {
        try {
            Invoke-Extension 'Get-SecretInfo' $Name $entry
        }
        catch [VaultLockedSignal] {
            $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new((New-PasswordRequired), 'GetSecretInfoException', 'InvalidOperation', $PSCmdlet))
        }
        catch {
            $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new((New-VaultFailure "Unable to get secret information from vault $($entry.Name)"),
                    'GetSecretInfoInvalidOperation', 'InvalidOperation', (New-VaultModule $entry)))
        }
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
    $entry = if ($Vault) { Find-Vault $Vault } else { @(Get-VaultsInOrder | Where-Object IsDefault)[0] }
    if (-not $entry) { Stop-VaultNotFound $Vault $PSCmdlet }
    if ($entry.Locked) { $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new((New-PasswordRequired), 'SetSecretException', 'InvalidOperation', $PSCmdlet)); return }
    if ($Secret -isnot [pscredential] -and $Secret -isnot [securestring] -and $Secret -isnot [string] -and $Secret -isnot [hashtable] -and $Secret -isnot [byte[]]) {
        throw "Invalid secret type $($Secret.GetType().FullName)."
    }
    # SecretStore keeps a Hashtable's entries only as byte[], string, SecureString or PSCredential (section 9).
    if ($entry.ModuleName -eq 'Microsoft.PowerShell.SecretStore' -and $Secret -is [hashtable]) {
        foreach ($key in $Secret.Keys) {
            $item = $Secret[$key]
            if ($item -isnot [byte[]] -and $item -isnot [string] -and $item -isnot [securestring] -and $item -isnot [pscredential]) {
                $exception = [System.ArgumentException]::new("The object type for $key Hashtable entry is not supported. Supported types are byte[], string, SecureString, PSCredential")
                $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($exception, 'ArgumentException', 'NotSpecified', $null))
                return
            }
        }
    }
    $entry.Secrets[$Name] = @{ Value = $Secret; Metadata = $(if ($Metadata) { $Metadata.Clone() } else { @{} }) }
}

function Set-SecretInfo {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [hashtable] $Metadata, [string] $Vault)
    $candidates = if ($Vault) { @(Find-Vault $Vault) } else { @(Get-VaultsInOrder) }
    foreach ($entry in $candidates) {
        if ($entry -and $entry.Secrets.ContainsKey($Name)) { $entry.Secrets[$Name].Metadata = $Metadata.Clone(); return }
    }
    Write-Error -Message "The secret $Name was not found." -ErrorId 'SetSecretInfoNotFound' -Category ObjectNotFound
}

function Remove-Secret {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [string] $Vault)
    $entry = Find-Vault $Vault
    if (-not $entry) { Stop-VaultNotFound $Vault $PSCmdlet }
    [void] $entry.Secrets.Remove($Name)
}

# Reads only the registry: never a vault, so never a prompt or a vault error.
function Get-SecretVault {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string] $Name = '*')
    $found = $false
    foreach ($entry in @($script:Vaults.Values | Sort-Object { $_.Name.ToUpperInvariant() })) {
        if ($entry.Name -notlike $Name) { continue }
        $found = $true
        [pscustomobject]@{
            PSTypeName      = 'Microsoft.PowerShell.SecretManagement.SecretVaultInfo'
            Name            = $entry.Name
            ModuleName      = $entry.ModuleName
            ModulePath      = Join-Path $PSScriptRoot $entry.ModuleName
            Description     = ''
            VaultParameters = [System.Collections.ObjectModel.ReadOnlyDictionary[string, object]]::new([System.Collections.Generic.Dictionary[string, object]]::new())
            IsDefault       = $entry.IsDefault
        }
    }
    if (-not $found -and -not [WildcardPattern]::ContainsWildcardCharacters($Name)) {
        $exception = [System.Management.Automation.ItemNotFoundException]::new("Vault $Name does not exist in registry.")
        $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($exception, 'GetSecretVaultNotFound', 'ObjectNotFound', $Name))
    }
}

# The first vault registered becomes the default even without -DefaultVault.
function Register-SecretVault {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name, [string] $ModuleName = 'Microsoft.PowerShell.SecretStore', [switch] $DefaultVault, [switch] $AllowClobber)
    $makeDefault = $DefaultVault -or $script:Vaults.Count -eq 0
    if ($makeDefault) { foreach ($v in $script:Vaults.Values) { $v.IsDefault = $false } }
    $script:Vaults[$Name.ToUpperInvariant()] = @{ Name = $Name; ModuleName = $ModuleName; IsDefault = [bool]$makeDefault; Locked = $false; Password = $null; Interaction = 'None'; Secrets = @{} }
}

# Unregistering the default vault leaves no default.
function Unregister-SecretVault {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name)
    $script:Vaults.Remove($Name.ToUpperInvariant())
}

function Set-SecretVaultDefault {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name)
    $entry = Find-Vault $Name
    if (-not $entry) { Stop-VaultNotFound $Name $PSCmdlet }
    foreach ($v in $script:Vaults.Values) { $v.IsDefault = $false }
    $entry.IsDefault = $true
}

# Test-only: lock a SecretStore vault with a password, as after its password timeout. -Interaction
# Prompt makes it ask for the password (logged as "Prompt <vault>") before failing the same way.
function Lock-StandInVault {
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [securestring] $Password, [ValidateSet('None', 'Prompt')] [string] $Interaction = 'None')
    $entry = Find-Vault $Name
    $entry.Locked = $true
    $entry.Interaction = $Interaction
    $entry.Password = [System.Net.NetworkCredential]::new('', $Password).Password
}

function Unlock-SecretVault {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [securestring] $Password)
    $entry = Find-Vault $Name
    if (-not $entry) { Stop-VaultNotFound $Name $PSCmdlet }
    if ($entry.ModuleName -ne 'Microsoft.PowerShell.SecretStore') {
        $PSCmdlet.WriteWarning("Cannot unlock extension vault '$($entry.Name)': The vault does not support the Unlock-SecretVault function.")
        return
    }
    if ($entry.Password -ne [System.Net.NetworkCredential]::new('', $Password).Password) {
        $exception = [System.Management.Automation.PSInvalidOperationException]::new("$($entry.Name) Vault Unlock operation failed with error: Store file integrity check failed. The provided password may be invalid, or store files have become corrupted or have been tampered with.")
        $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($exception, 'SecretStoreUnlockFailed', 'InvalidOperation', $Name))
        return
    }
    $entry.Locked = $false
}

function Test-SecretVault {
    [CmdletBinding()]
    param([string] $Name)
    $entry = Find-Vault $Name
    $null -ne $entry -and -not $entry.Locked -and $entry.ModuleName -ne 'TestBrokenVault'
}
