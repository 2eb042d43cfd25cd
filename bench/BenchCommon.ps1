# Shared by bench/Invoke-Benchmarks.ps1 and the child it runs for the network scenario (bench/Network.ps1).

function Get-Median([double[]] $Values) {
    $sorted = $Values | Sort-Object
    $middle = [int][Math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

# Times each contender for $PerRound calls per round, rotating the order every round; returns the
# median milliseconds per call of each.
function Measure-SideBySide([System.Collections.Specialized.OrderedDictionary] $Contenders, [int] $Rounds, [int] $PerRound, [int] $Warmup) {
    $names = @($Contenders.Keys)
    foreach ($name in $names) { for ($i = 0; $i -lt $Warmup; $i++) { & $Contenders[$name] } }
    $samples = @{}
    foreach ($name in $names) { $samples[$name] = [System.Collections.Generic.List[double]]::new() }
    for ($round = 0; $round -lt $Rounds; $round++) {
        for ($k = 0; $k -lt $names.Count; $k++) {
            $name = $names[($k + $round) % $names.Count]
            $block = $Contenders[$name]
            [GC]::Collect(); [GC]::WaitForPendingFinalizers()   # no contender pays for another's garbage
            $watch = [Diagnostics.Stopwatch]::StartNew()
            for ($i = 0; $i -lt $PerRound; $i++) { & $block }
            $samples[$name].Add($watch.Elapsed.TotalMilliseconds / $PerRound)
        }
    }
    $result = [ordered]@{}
    foreach ($name in $names) { $result[$name] = Get-Median $samples[$name].ToArray() }
    $result
}
