# A SecretManagement extension vault for ITwinAuth's tests (tests/Pester/SecretVaults.Tests.ps1),
# registered against the real Microsoft.PowerShell.SecretManagement. It keeps secrets in memory, as
# given (any object: a nested Hashtable, a PSObject-wrapped string), logs every extension call, and
# can fail or hang on demand. See TestFileVault.Extension.psm1 for its -VaultParameters.
@{
    ModuleVersion     = '1.0.0'
    GUID              = '3f0c9a57-2c71-4a8e-9d0e-5b1c2f7e8a41'
    Author            = 'ITwinAuth tests'
    Description       = 'Test extension vault for ITwinAuth (in memory, logged, can fail or hang).'
    PowerShellVersion = '5.1'
    NestedModules     = @('./TestFileVault.Extension')
    FunctionsToExport = @()
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
