# Starting a fresh PowerShell of the same version as this one: `dotnet pwsh` runs pwsh.dll under
# dotnet, so the child is started the same way. Used by build.ps1, the help build, the Pester
# tests and the benchmarks.

function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { return , @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    return , @($process)
}

# Runs a child pwsh with its own environment (HOME, PSModulePath...), plain-text output, and a time
# bound: a hang fails the caller instead of the run.
function Invoke-ChildPwsh {
    param([Parameter(Mandatory)] [string[]] $ArgumentList, [hashtable] $Environment = @{}, [int] $TimeoutSeconds = 180)
    $command = Get-PwshCommand
    $info = [Diagnostics.ProcessStartInfo]::new($command[0])
    foreach ($argument in @($command | Select-Object -Skip 1) + $ArgumentList) { $info.ArgumentList.Add($argument) }
    $info.Environment['NO_COLOR'] = '1' # plain text: escape codes would break XML test reports
    foreach ($entry in $Environment.GetEnumerator()) { $info.Environment[$entry.Key] = [string]$entry.Value }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.RedirectStandardInput = $true
    $info.UseShellExecute = $false
    $child = [Diagnostics.Process]::Start($info)
    $child.StandardInput.Close()
    $stdout = $child.StandardOutput.ReadToEndAsync()
    $stderr = $child.StandardError.ReadToEndAsync()
    if (-not $child.WaitForExit($TimeoutSeconds * 1000)) {
        $child.Kill($true)
        throw "The child pwsh did not finish within $TimeoutSeconds s."
    }
    $child.WaitForExit()
    [pscustomobject]@{ ExitCode = $child.ExitCode; Output = $stdout.Result + $stderr.Result }
}

Export-ModuleMember -Function Get-PwshCommand, Invoke-ChildPwsh
