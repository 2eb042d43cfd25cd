# Loads the build of ITwinAuth that fits this PowerShell: net6.0 for PowerShell 7.2+, netstandard2.0
# (with its own System.Text.Json) for Windows PowerShell 5.1.
if ($PSVersionTable.PSEdition -eq 'Core' -and $PSVersionTable.PSVersion -lt [version]'7.2') {
    throw "ITwinAuth needs PowerShell 7.2 or later (or Windows PowerShell 5.1); this is $($PSVersionTable.PSVersion)."
}
$framework = if ($PSVersionTable.PSEdition -eq 'Core') { 'net6.0' } else { 'netstandard2.0' }
$assembly = [IO.Path]::Combine($PSScriptRoot, 'bin', $framework, 'ITwinAuth.dll')
Import-Module -Name $assembly -ErrorAction Stop

# Removing the module releases the shared HTTP connections, the cached tokens and the current connection.
$ExecutionContext.SessionState.Module.OnRemove = {
    [ITwinAuth.ModuleLifetime]::Release()
}
