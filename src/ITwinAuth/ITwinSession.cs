using System.Threading;

namespace ITwinAuth;

/// <summary>
/// The current connection of this PowerShell process: set by Get-ITwinServiceToken, used by every
/// request cmdlet that is given no -Connection or -Token. Process-wide, like Az's context, so
/// runspaces of ForEach-Object -Parallel share it (and its cached token).
/// </summary>
public static class ITwinSession
{
    private static ITwinConnection? _current;

    public static ITwinConnection? Current
    {
        get => Volatile.Read(ref _current);
        internal set => Volatile.Write(ref _current, value);
    }
}
