# The extension functions SecretManagement calls (in its own runspace). -VaultParameters:
#   Log         a file: each call appends "<Function> <name or filter> <vault>"
#   Broken      $true: every call (after its log line) throws Reason
#   Reason      the failure's message (default: the outage of shared/SECRETMANAGEMENT.md section 6)
#   HangSeconds Get-Secret waits this long before answering (a vault whose backend hangs)
#   HangIn      'PowerShell' (Start-Sleep, which a stopped pipeline interrupts; the default) or
#               'DotNet' (Thread.Sleep, which nothing interrupts)
# Secrets are kept in memory, per vault (one module serves every vault registered with it), exactly
# as Set-Secret gave them, with their metadata.
$script:Vaults = @{}

function Get-Store([string] $VaultName) {
    if (-not $script:Vaults.ContainsKey($VaultName)) { $script:Vaults[$VaultName] = @{} }
    $script:Vaults[$VaultName]
}

function Write-CallLog([string] $Line, [hashtable] $AdditionalParameters) {
    if ($AdditionalParameters.Log) { Add-Content -Path $AdditionalParameters.Log -Value $Line }
    if ($AdditionalParameters.Broken) {
        $reason = if ($AdditionalParameters.Reason) { $AdditionalParameters.Reason } else { 'The vault backend is unreachable (simulated outage).' }
        throw $reason
    }
}

function Get-Secret {
    param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    Write-CallLog "Get-Secret $Name $VaultName" $AdditionalParameters
    if ($AdditionalParameters.HangSeconds) {
        if ($AdditionalParameters.HangIn -eq 'DotNet') { [System.Threading.Thread]::Sleep([int] $AdditionalParameters.HangSeconds * 1000) }
        else { Start-Sleep -Seconds $AdditionalParameters.HangSeconds }
    }
    $store = Get-Store $VaultName
    if ($store.ContainsKey($Name)) { , $store[$Name].Secret }
}

function Get-SecretInfo {
    param([string] $Filter, [string] $VaultName, [hashtable] $AdditionalParameters)
    Write-CallLog "Get-SecretInfo $Filter $VaultName" $AdditionalParameters
    $store = Get-Store $VaultName
    foreach ($name in @($store.Keys | Where-Object { $_ -like $Filter } | Sort-Object)) {
        $entry = $store[$name]
        $metadata = [System.Collections.Generic.Dictionary[string, object]]::new()
        foreach ($key in $entry.Metadata.Keys) { $metadata[$key] = $entry.Metadata[$key] }
        $type = switch ($entry.Secret) {
            { $_ -is [pscredential] } { 'PSCredential'; break }
            { $_ -is [securestring] } { 'SecureString'; break }
            { $_ -is [string] } { 'String'; break }
            { $_ -is [hashtable] } { 'Hashtable'; break }
            { $_ -is [byte[]] } { 'ByteArray'; break }
            default { 'Unknown' }
        }
        [Microsoft.PowerShell.SecretManagement.SecretInformation]::new($name, [Microsoft.PowerShell.SecretManagement.SecretType]::$type, $VaultName,
            [System.Collections.ObjectModel.ReadOnlyDictionary[string, object]]::new($metadata))
    }
}

function Set-Secret {
    param([string] $Name, [object] $Secret, [string] $VaultName, [hashtable] $AdditionalParameters, [hashtable] $Metadata)
    (Get-Store $VaultName)[$Name] = @{ Secret = $Secret; Metadata = $(if ($Metadata) { $Metadata } else { @{} }) }
    $true
}

function Set-SecretInfo {
    param([string] $Name, [hashtable] $Metadata, [string] $VaultName, [hashtable] $AdditionalParameters)
    $store = Get-Store $VaultName
    if ($store.ContainsKey($Name)) { $store[$Name].Metadata = $Metadata }
}

function Remove-Secret {
    param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters)
    (Get-Store $VaultName).Remove($Name)
    $true
}

function Test-SecretVault {
    param([string] $VaultName, [hashtable] $AdditionalParameters)
    -not $AdditionalParameters.Broken
}
