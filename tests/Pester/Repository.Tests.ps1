# Issue 16: the test run leaves the repository as it found it. The runner records
# `git status --porcelain` before anything runs (build.ps1 -Task Test records it before the build)
# and runs this file last.
Describe 'The repository after the test run' -Tag Repository {
    It 'has the same git status as before the run (nothing created, changed or deleted)' {
        $root = Resolve-Path (Join-Path $PSScriptRoot '../..')
        if (-not (Get-Command git -ErrorAction Ignore) -or -not (Test-Path (Join-Path $root '.git'))) {
            Set-ItResult -Skipped -Because 'this is not a git checkout'
            return
        }
        $before = $env:ITWINAUTH_GIT_STATUS_BEFORE
        $before | Should -Not -BeNullOrEmpty -Because 'the runner records the status first'
        $after = (@(git -C $root status --porcelain --untracked-files=all) -join "`n")
        $after | Should -Be ($before -replace '^none$', '')
    }
}
