# Starting a fresh PowerShell of the same version as this one: `dotnet pwsh` runs pwsh.dll under
# dotnet, so the child is started the same way. Used by build.ps1, the help build, the Pester
# tests and the benchmarks.

function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { return , @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    return , @($process)
}

# Starts a process with its standard streams redirected: its output is the caller's to read, and it
# never reads this process's console. Standard input is closed at once, unless -KeepInput (for a
# child told to stop when its standard input closes, such as the emulator).
function Start-ChildProcess {
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @(), [hashtable] $Environment = @{}, [switch] $KeepInput)
    $info = [Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $ArgumentList) { $info.ArgumentList.Add([string]$argument) }
    foreach ($entry in $Environment.GetEnumerator()) { $info.Environment[$entry.Key] = [string]$entry.Value }
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($info)
    if (-not $KeepInput) { $process.StandardInput.Close() }
    $process
}

# Runs a child pwsh with its own environment (HOME, PSModulePath...), plain-text output, and a time
# bound: a hang fails the caller instead of the run.
function Invoke-ChildPwsh {
    param([Parameter(Mandatory)] [string[]] $ArgumentList, [hashtable] $Environment = @{}, [int] $TimeoutSeconds = 180,
        # Called with each line of standard output as it comes (a long child is then never silent).
        [scriptblock] $OnOutputLine)
    $command = Get-PwshCommand
    $settings = @{ NO_COLOR = '1' } # plain text: escape codes would break XML test reports
    foreach ($entry in $Environment.GetEnumerator()) { $settings[$entry.Key] = $entry.Value }
    $child = Start-ChildProcess -FilePath $command[0] -ArgumentList (@($command | Select-Object -Skip 1) + $ArgumentList) -Environment $settings
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

Export-ModuleMember -Function Get-PwshCommand, Start-ChildProcess, Invoke-ChildPwsh
