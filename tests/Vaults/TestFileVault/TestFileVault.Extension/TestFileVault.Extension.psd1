@{
    ModuleVersion     = '1.0.0'
    GUID              = '9b8e4d21-6f3a-4c55-8e1d-0a7b3c9d2e64'
    RootModule        = 'TestFileVault.Extension.psm1'
    FunctionsToExport = @('Get-Secret', 'Get-SecretInfo', 'Set-Secret', 'Set-SecretInfo', 'Remove-Secret', 'Test-SecretVault')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
