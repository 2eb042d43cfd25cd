# Issue 16: the third README command, build.ps1 -Task Shell, driven non-interactively with
# -ShellCommand: the child shell has the built module imported and is signed in to the emulator,
# and the emulator stops when the shell exits.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    # The configuration the run was built with, so that the Shell task finds the build up to date.
    $configuration = if ($env:ITWINAUTH_EMULATOR -match '[\\/]bin[\\/](Debug|Release)[\\/]') { $Matches[1] } else { 'Release' }
}

Describe 'build.ps1 -Task Shell' -Tag Shell {
    It 'opens a pwsh with the built module imported and signed in, shows three commands to try, and stops the emulator on exit' {
        $command = '"MODULE=$((Get-Module ITwinAuth).ModuleBase)"; "ME=$((Get-ITwinMe).Email)"; "CONNECTION=$((Get-ITwinConnection).ClientId)"; "AUTHORITY=$env:ITWIN_AUTHORITY"'
        $run = Invoke-ChildPwsh -TimeoutSeconds 300 -ArgumentList @('-NoProfile', '-NonInteractive', '-File', (Join-Path $repoRoot 'build.ps1'),
            '-Task', 'Shell', '-Configuration', $configuration, '-ShellCommand', $command)
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'assemblies up to date' -Because 'the test run has just built it'
        # The built module (output/ITwinAuth/<version>), whichever edition this run tests.
        $run.Output | Should -Match ([regex]::Escape("MODULE=$(Join-Path $env:ITWINAUTH_OUTPUT 'ITwinAuth' (Import-PowerShellDataFile $env:ITWINAUTH_MODULE).ModuleVersion)"))
        $run.Output | Should -Match 'ME=service-shell@apps\.imsoidc\.bentley\.com'
        $run.Output | Should -Match 'CONNECTION=service-shell'
        $run.Output | Should -Match 'Get-ITwinMe'
        $run.Output | Should -Match 'Invoke-ITwinRequest /itwins'
        $run.Output | Should -Match 'Invoke-ITwinRequest -Method Post /itwins'
        $run.Output | Should -Match 'The emulator has stopped \(exited: True\)'
        $run.Output -match 'AUTHORITY=http://127\.0\.0\.1:(\d+)' | Should -BeTrue
        $client = [Net.Sockets.TcpClient]::new()
        try { { $client.Connect([Net.IPAddress]::Loopback, [int]$Matches[1]) } | Should -Throw -Because 'the emulator must be gone' }
        finally { $client.Dispose() }
    }

    It 'fails with the shell''s failure when the command fails, and still stops the emulator' {
        $run = Invoke-ChildPwsh -TimeoutSeconds 300 -ArgumentList @('-NoProfile', '-NonInteractive', '-File', (Join-Path $repoRoot 'build.ps1'),
            '-Task', 'Shell', '-Configuration', $configuration, '-ShellCommand', 'Invoke-ITwinRequest -Path /no-such-path')
        $run.ExitCode | Should -Not -Be 0
        $run.Output | Should -Match 'The emulator has stopped \(exited: True\)'
    }
}
