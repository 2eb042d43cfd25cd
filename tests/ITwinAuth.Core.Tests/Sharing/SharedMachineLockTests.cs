using System.Diagnostics;
using Xunit;

namespace ITwinAuth.Core.Tests.Sharing;

/// <summary>A Fact that runs on Linux only, and says why it is skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute(string why)
    {
        if (!OperatingSystem.IsLinux()) Skip = "Linux only: " + why;
    }
}

/// <summary>
/// MachineLock: one renewal at a time on a machine, a bounded wait, a folder it cannot use costs nothing,
/// and a lock dies with its process. Waits here are the lock's own (real time, by design: it waits for
/// other processes); none of them is a test waiting out time.
/// </summary>
public sealed class SharedMachineLockTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly List<IDisposable> _held = new();

    public void Dispose()
    {
        foreach (var held in _held) held.Dispose();
        _folder.Dispose();
    }

    private Task<(MachineLock? Held, bool Waited)> Acquire(string name, TimeSpan wait, ILogSink? log = null, string? folder = null) =>
        MachineLock.AcquireAsync(folder ?? _folder.Path, name, wait, log ?? new RecordingLog(), default);

    private MachineLock Keep(MachineLock? held)
    {
        Assert.NotNull(held);
        _held.Add(held!);
        return held!;
    }

    [Fact]
    public async Task A_second_acquisition_waits_then_gives_up_while_the_first_is_held()
    {
        var first = await Acquire("entry", TimeSpan.FromSeconds(5));
        Keep(first.Held);
        Assert.False(first.Waited);
        Assert.True(File.Exists(Path.Combine(_folder.Path, "entry.lock")));

        var log = new RecordingLog();
        var second = await Acquire("entry", TimeSpan.FromMilliseconds(300), log).Within(SharedKit.HangBound, "A bounded wait for the lock");

        Assert.Null(second.Held);
        Assert.True(second.Waited);
        Assert.Contains(log.Lines, l => l.Contains("was not free within", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_waiting_acquisition_takes_the_lock_once_the_first_is_released()
    {
        var first = await Acquire("entry", TimeSpan.FromSeconds(5));
        Assert.NotNull(first.Held);

        var log = new SignallingLog();
        var waiting = Acquire("entry", SharedKit.HangBound, log);
        await log.WhenLine("Another process is renewing this token").Within(SharedKit.HangBound, "The second acquisition's wait");
        Assert.False(waiting.IsCompleted);
        first.Held!.Dispose();

        var second = await waiting.Within(SharedKit.HangBound, "The second acquisition after the release");
        Keep(second.Held);
        Assert.True(second.Waited);
        Assert.Contains(log.Lines, l => l.Contains("Took the renewal lock", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Locks_of_other_entries_do_not_wait_for_each_other()
    {
        var a = await Acquire("entry-a", TimeSpan.Zero);
        var b = await Acquire("entry-b", TimeSpan.Zero);
        Keep(a.Held);
        Keep(b.Held);
        Assert.False(a.Waited);
        Assert.False(b.Waited);
    }

    [Fact]
    public async Task A_released_lock_is_taken_at_once_and_its_file_stays()
    {
        var first = await Acquire("entry", TimeSpan.Zero);
        first.Held!.Dispose();
        var second = await Acquire("entry", TimeSpan.Zero);
        Keep(second.Held);
        Assert.False(second.Waited);
        Assert.True(File.Exists(Path.Combine(_folder.Path, "entry.lock")));
    }

    [Fact]
    public async Task A_folder_under_a_regular_file_is_no_lock_without_an_error_or_a_wait()
    {
        // Root in CI can write anywhere: a folder that cannot exist (its parent is a file) is what cannot be written.
        var file = Path.Combine(_folder.Path, "a-regular-file");
        await File.WriteAllTextAsync(file, "not a folder");
        var log = new RecordingLog();

        (MachineLock? Held, bool Waited) result = default;
        var thrown = await Record.ExceptionAsync(async () => result = await Acquire("entry", TimeSpan.FromSeconds(5), log, Path.Combine(file, "locks"))
            .Within(SharedKit.HangBound, "An acquisition in an impossible folder"));

        Assert.Null(thrown);
        Assert.Null(result.Held);
        // No process held it: there was nothing to wait for, and no token another process may have written.
        Assert.False(result.Waited, string.Join("\n", log.Lines));
    }

    [Fact]
    public async Task A_folder_that_is_a_regular_file_is_no_lock_without_an_error_or_a_wait()
    {
        var file = Path.Combine(_folder.Path, "a-regular-file");
        await File.WriteAllTextAsync(file, "not a folder");
        var log = new RecordingLog();

        (MachineLock? Held, bool Waited) result = default;
        var thrown = await Record.ExceptionAsync(async () => result = await Acquire("entry", TimeSpan.FromSeconds(5), log, file)
            .Within(SharedKit.HangBound, "An acquisition in a file"));

        Assert.Null(thrown);
        Assert.Null(result.Held);
        Assert.False(result.Waited, string.Join("\n", log.Lines));
    }

    [Fact]
    public async Task A_lock_path_that_is_a_folder_is_no_lock_without_an_error_or_a_wait()
    {
        Directory.CreateDirectory(Path.Combine(_folder.Path, "entry.lock"));
        var log = new RecordingLog();

        (MachineLock? Held, bool Waited) result = default;
        var thrown = await Record.ExceptionAsync(async () => result = await Acquire("entry", TimeSpan.FromSeconds(5), log)
            .Within(SharedKit.HangBound, "An acquisition of a folder"));

        Assert.Null(thrown);
        Assert.Null(result.Held);
        Assert.False(result.Waited, string.Join("\n", log.Lines));
    }

    /// <summary>Starts flock(1) holding an exclusive lock on <paramref name="path"/> in another process; returns once it holds it.
    /// -o: the command it runs does not inherit the locked descriptor, so flock's own process is the only holder
    /// (otherwise the lock outlives flock until its child is reaped too, and the test would race that).</summary>
    private static async Task<Process> HoldWithFlock(string path)
    {
        var start = new ProcessStartInfo("flock") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-o", "-x", path, "sh", "-c", "echo locked; exec sleep 120" }) start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        var line = await process.StandardOutput.ReadLineAsync().Within(SharedKit.HangBound, "flock taking the lock");
        Assert.Equal("locked", line);
        return process;
    }

    [LinuxFact("flock(1) is util-linux; .NET's FileShare.None is flock(2) there")]
    public async Task A_lock_held_by_another_process_is_waited_for_and_released_when_that_process_is_killed()
    {
        var path = Path.Combine(_folder.Path, "entry.lock");
        using var holder = await HoldWithFlock(path);
        try
        {
            // .NET's lock and flock(1)'s are the same lock: the other process's holds this one off.
            var log = new RecordingLog();
            var blocked = await Acquire("entry", TimeSpan.FromMilliseconds(300), log).Within(SharedKit.HangBound, "A wait for flock's lock");
            Assert.Null(blocked.Held);
            Assert.True(blocked.Waited);
            Assert.Contains(log.Lines, l => l.Contains("Another process is renewing this token", StringComparison.Ordinal));

            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync().Within(SharedKit.HangBound, "The killed holder's exit");

            // Killed, not released: the operating system let go of its lock, and it is taken without a wait.
            var taken = await Acquire("entry", TimeSpan.Zero);
            Keep(taken.Held);
            Assert.False(taken.Waited);
        }
        finally
        {
            if (!holder.HasExited) holder.Kill(entireProcessTree: true);
        }
    }

    [LinuxFact("flock(1) is util-linux; .NET's FileShare.None is flock(2) there")]
    public async Task A_lock_this_process_holds_keeps_another_process_out()
    {
        var held = await Acquire("entry", TimeSpan.Zero);
        Keep(held.Held);

        var start = new ProcessStartInfo("flock") { UseShellExecute = false };
        foreach (var argument in new[] { "-n", "-x", Path.Combine(_folder.Path, "entry.lock"), "true" }) start.ArgumentList.Add(argument);
        using var probe = Process.Start(start)!;
        await probe.WaitForExitAsync().Within(SharedKit.HangBound, "flock -n");
        Assert.Equal(1, probe.ExitCode);   // flock -n: 1 when the lock is held elsewhere

        held.Held!.Dispose();
        using var again = Process.Start(start)!;
        await again.WaitForExitAsync().Within(SharedKit.HangBound, "flock -n");
        Assert.Equal(0, again.ExitCode);
    }
}
