# docs/RELIABILITY.md says what the tests observed. tests/Pester/Reliability.Tests.ps1 writes each
# run's observations to test-results/RELIABILITY-<edition>.md, and tests/Pester/Attack.Tests.ps1 its
# last section, the attacks, to test-results/ATTACKS-<edition>.md; this compares the committed file
# with every observation newer than the build and its scenarios (build.ps1 -Task Test runs first in CI).
BeforeDiscovery {
    $doc = Join-Path $PSScriptRoot '../../docs/RELIABILITY.md'
    $build = Join-Path $env:ITWINAUTH_OUTPUT '.build.stamp'
    function Find-Observation([string] $Prefix, [string[]] $Scenarios) {
        # Older than the build or the scenarios: observed of other code, so not evidence either way.
        $since = @($Scenarios + $build) | Where-Object { Test-Path $_ } | ForEach-Object { [IO.File]::GetLastWriteTimeUtc($_) } | Sort-Object | Select-Object -Last 1
        @(Get-ChildItem $env:ITWINAUTH_TEST_RESULTS -Filter "$Prefix-*.md" -ErrorAction Ignore | Where-Object LastWriteTimeUtc -GE $since |
                ForEach-Object { @{ Edition = $_.BaseName.Substring($Prefix.Length + 1); Path = $_.FullName; Doc = $doc } })
    }
    $pester = Join-Path $PSScriptRoot '../Pester'
    $observations = Find-Observation RELIABILITY @(Join-Path $pester 'Reliability.Tests.ps1')
    $attacks = Find-Observation ATTACKS @(Get-ChildItem $pester -Filter 'Attack.*.ps1' | ForEach-Object FullName)
}

BeforeAll {
    # The committed file: the scenarios' table, then (from its heading to the end) the attacks' section.
    function Get-DocPart([string] $Doc, [ValidateSet('Scenarios', 'Attacks')] [string] $Part) {
        $text = (Get-Content $Doc -Raw) -replace "`r`n", "`n"
        $at = $text.IndexOf("`n## Attacks (issue 22)`n")
        if ($Part -eq 'Scenarios') { if ($at -lt 0) { $text } else { $text.Substring(0, $at).TrimEnd("`n") + "`n" } }
        elseif ($at -lt 0) { '' } else { $text.Substring($at + 1) }
    }
    # The attacks' measured figures (time, peak memory) change from run to run: their table is compared
    # row for row with every number masked; the rest of the section word for word.
    function Get-Comparable([string] $Section) {
        $at = $Section.IndexOf("`n### Measured")
        if ($at -lt 0) { return $Section }
        $Section.Substring(0, $at) + ($Section.Substring($at) -replace '\d+(?:[.,]\d+)*', '#')
    }
}

Describe 'docs/RELIABILITY.md' -Tag Reliability {
    It 'has an observation of this build to compare with (build.ps1 -Task Test writes it)' -ForEach @(@{ Count = $observations.Count; Attacks = $attacks.Count }) {
        $Count | Should -BeGreaterThan 0 -Because "no test-results/RELIABILITY-<edition>.md is newer than the build: run ./build.ps1 -Task Test first"
        $Attacks | Should -BeGreaterThan 0 -Because "no test-results/ATTACKS-<edition>.md is newer than the build: run ./build.ps1 -Task Test first"
    }

    It 'says what the <Edition> run observed' -ForEach $observations {
        Get-DocPart $Doc Scenarios | Should -Be (Get-Content $Path -Raw) -Because "docs/RELIABILITY.md must say what the tests observed ($Path); rerun ./build.ps1 -Task Test with ITWINAUTH_UPDATE_DOCS=1 after an intended change"
    }

    It 'says what the attacks of the <Edition> run observed' -ForEach $attacks {
        Get-Comparable (Get-DocPart $Doc Attacks) | Should -Be (Get-Comparable (Get-Content $Path -Raw)) -Because "docs/RELIABILITY.md must say what the attacks observed ($Path); rerun ./build.ps1 -Task Test with ITWINAUTH_UPDATE_DOCS=1 after an intended change"
    }
}
