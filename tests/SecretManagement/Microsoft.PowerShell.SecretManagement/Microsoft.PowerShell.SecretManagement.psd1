# A TEST DOUBLE of Microsoft.PowerShell.SecretManagement 1.1.2, for this repository's tests only. It
# follows the consumer contract recorded in shared/SECRETMANAGEMENT.md error for error (types returned
# per stored kind, -AsPlainText, metadata, the search order, and every failure with its exception type
# and FullyQualifiedErrorId) and keeps vaults in memory, with an extension-call log for tests. The
# vault tests run against the real modules (tests/Pester/SecretVaults.Tests.ps1, docs/SECRETS.md);
# this serves tests that need a vault in-process. Users install the real module from the PowerShell Gallery.
@{
    RootModule        = 'Microsoft.PowerShell.SecretManagement.psm1'
    ModuleVersion     = '1.1.2'
    GUID              = 'a5c858f6-4a8e-41f1-b1ee-0e2ed1b4b5b1'
    Author            = 'ITwinAuth tests (stand-in)'
    Description       = 'Test stand-in for Microsoft.PowerShell.SecretManagement.'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Get-Secret', 'Set-Secret', 'Get-SecretInfo', 'Set-SecretInfo', 'Remove-Secret',
        'Get-SecretVault', 'Register-SecretVault', 'Unregister-SecretVault', 'Unlock-SecretVault', 'Test-SecretVault',
        'Set-SecretVaultDefault', 'Lock-StandInVault', 'Get-StandInExtensionCall', 'Clear-StandInExtensionCall')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
