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
    param([Parameter(Mandatory)] [string[]] $ArgumentList, [hashtable] $Environment = @{}, [int] $TimeoutSeconds = 180,
        # Called with each line of standard output as it comes (a long child is then never silent).
        [scriptblock] $OnOutputLine)
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
    $stderr = $child.StandardError.ReadToEndAsync()
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    if ($OnOutputLine) {
        $lines = [Text.StringBuilder]::new()
        while ($true) {
            $read = $child.StandardOutput.ReadLineAsync()
            if (-not $read.Wait([Math]::Max(0, ($deadline - [DateTime]::UtcNow).TotalMilliseconds))) {
                $child.Kill($true)
                throw "The child pwsh did not finish within $TimeoutSeconds s."
            }
            if ($null -eq $read.Result) { break }
            [void] $lines.AppendLine($read.Result)
            $read.Result | ForEach-Object $OnOutputLine
        }
        $stdout = [Threading.Tasks.Task]::FromResult($lines.ToString())
    }
    else {
        $stdout = $child.StandardOutput.ReadToEndAsync()
    }
    if (-not $child.WaitForExit([Math]::Max(0, [int]($deadline - [DateTime]::UtcNow).TotalMilliseconds))) {
        $child.Kill($true)
        throw "The child pwsh did not finish within $TimeoutSeconds s."
    }
    $child.WaitForExit()
    [pscustomobject]@{ ExitCode = $child.ExitCode; Output = $stdout.Result + $stderr.Result }
}

Export-ModuleMember -Function Get-PwshCommand, Invoke-ChildPwsh
