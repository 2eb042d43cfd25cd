@{
    RootModule             = 'ITwinAuth.psm1'
    # The one source of the version: build.ps1 passes it to the assemblies and the package.
    ModuleVersion          = '0.1.0'
    GUID                   = '5b0f2f8e-6c1a-4d1e-9a57-3f3c0e7d2a41'
    Author                 = 'ITwinAuth contributors'
    CompanyName            = 'ITwinAuth'
    Copyright              = '(c) ITwinAuth contributors. MIT License.'
    Description            = 'Sign in to the Bentley iTwin Platform as a service application (OAuth 2.0 client credentials) with secrets from SecretManagement, PSCredential or environment variables, and call its REST APIs with cached tokens, paging, retries and typed output.'
    CompatiblePSEditions   = @('Desktop', 'Core')
    PowerShellVersion      = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess       = @('ITwinAuth.Format.ps1xml', 'ITwinAuth.Api.Format.ps1xml')
    CmdletsToExport        = @(
        'Connect-ITwin'
        'Disconnect-ITwin'
        'Get-ITwinServiceToken'
        'Get-ITwinMe'
        'Get-ITwinConnection'
        'Clear-ITwinTokenCache'
        'Invoke-ITwinRequest'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('iTwin', 'Bentley', 'OAuth', 'ServiceApplication', 'ClientCredentials', 'REST', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://github.com/itwinauth/ITwinAuth/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/itwinauth/ITwinAuth'
            ReleaseNotes = 'See CHANGELOG.md.'
        }
    }
}
