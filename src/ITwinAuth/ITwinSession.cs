using System.Threading;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>
/// The module's state in this PowerShell process, shared by its runspaces (ForEach-Object -Parallel
/// included), like Az's context: the engine's <see cref="ClientContext"/> (token cache, transport,
/// rate-limit pauses) and the current connection, which Connect-ITwin sets and every request
/// cmdlet given no -Connection or -Token uses. The context is the engine's only root; nothing in the
/// core is static.
/// </summary>
internal static class ITwinSession
{
    private static ClientContext? _context;
    private static ServiceConnection? _current;

    public static ClientContext Context
    {
        get
        {
            var context = Volatile.Read(ref _context);
            if (context is not null) return context;
            var made = new ClientContext();
            var raced = Interlocked.CompareExchange(ref _context, made, null);
            if (raced is null) return made;
            made.Dispose();
            return raced;
        }
    }

    public static ServiceConnection? Current
    {
        get => Volatile.Read(ref _current);
        set => Volatile.Write(ref _current, value);
    }

    /// <summary>The current connection as an object to show, or null.</summary>
    public static ITwinConnection? CurrentSnapshot => Current?.Snapshot(Context.Tokens);

    /// <summary>Forgets the connection and releases the context (module removal); a later call makes a new one.</summary>
    public static void Release()
    {
        Current = null;
        Secrets.RecentSecrets.Forget();
        Interlocked.Exchange(ref _context, null)?.Dispose();
    }
}
