namespace ITwinAuth.Emulator;

/// <summary>The clock the emulated IMS issues tokens by and the emulated API checks their expiry by:
/// the real one, moved forward by what tests ask (POST /_emulator/clock). A test can then let tokens
/// expire at once instead of sleeping, with the module on its own fake clock moved by as much.
/// Retry-After dates and everything else stay on the real clock.</summary>
public sealed class EmulatorClock : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;

    /// <summary>Moves the clock forward (never back: an issued token cannot become younger).</summary>
    public void Advance(TimeSpan span)
    {
        if (span < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(span), "The emulator's clock only moves forward.");
        Interlocked.Add(ref _offsetTicks, span.Ticks);
    }
}
