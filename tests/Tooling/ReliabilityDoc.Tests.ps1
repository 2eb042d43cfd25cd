# docs/RELIABILITY.md says what the tests observed. tests/Pester/Reliability.Tests.ps1 writes each
# run's observations to test-results/RELIABILITY-<edition>.md; this compares the committed file with
# every observation newer than the build and the scenarios (build.ps1 -Task Test runs first in CI).
BeforeDiscovery {
    $doc = Join-Path $PSScriptRoot '../../docs/RELIABILITY.md'
    $scenarios = Join-Path $PSScriptRoot '../Pester/Reliability.Tests.ps1'
    $build = Join-Path $env:ITWINAUTH_OUTPUT '.build.stamp'
    # Older than the build or the scenarios: observed of other code, so not evidence either way.
    $since = @($scenarios, $build) | Where-Object { Test-Path $_ } | ForEach-Object { [IO.File]::GetLastWriteTimeUtc($_) } | Sort-Object | Select-Object -Last 1
    $observations = @(Get-ChildItem $env:ITWINAUTH_TEST_RESULTS -Filter 'RELIABILITY-*.md' -ErrorAction Ignore | Where-Object LastWriteTimeUtc -GE $since |
            ForEach-Object { @{ Edition = $_.BaseName -replace '^RELIABILITY-'; Path = $_.FullName; Doc = $doc } })
}

Describe 'docs/RELIABILITY.md' -Tag Reliability {
    It 'has an observation of this build to compare with (build.ps1 -Task Test writes it)' -ForEach @(@{ Count = $observations.Count }) {
        $Count | Should -BeGreaterThan 0 -Because "no test-results/RELIABILITY-<edition>.md is newer than the build: run ./build.ps1 -Task Test first"
    }

    It 'says what the <Edition> run observed' -ForEach $observations {
        ((Get-Content $Doc -Raw) -replace "`r`n", "`n") | Should -Be (Get-Content $Path -Raw) -Because "docs/RELIABILITY.md must say what the tests observed ($Path); rerun ./build.ps1 -Task Test with ITWINAUTH_UPDATE_DOCS=1 after an intended change"
    }
}
